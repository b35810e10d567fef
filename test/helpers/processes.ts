/** True while a process with this id exists (signal 0 checks without delivering anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until the process is gone or `timeoutMs` passes; returns whether it is gone. */
export async function waitForProcessGone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const startedMs = performance.now();
  while (performance.now() - startedMs < timeoutMs) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isProcessAlive(pid);
}
