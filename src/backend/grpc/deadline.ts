/**
 * Converts a relative deadline into the absolute wall-clock time grpc-js expects. grpc-js
 * compares deadlines with `Date` and enforces them with its own timers, so this is the one
 * place in the client that must read the wall clock instead of the injected `Clock`.
 */
export function wallClockDeadline(deadlineMs: number): Date {
  return new Date(Date.now() + deadlineMs);
}
