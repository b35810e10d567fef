import type { BackendClient } from '../backend-client.js';
import type { Clock } from '../../clock/clock.js';

/** Settings of readiness polling. */
export interface ReadinessSettings {
  clock: Clock;
  /** Give up after this long, in ms. */
  timeoutMs: number;
  /** Wait after the first failed poll, in ms; each later wait is 1.5 times longer. */
  initialDelayMs: number;
  /** Maximum wait between polls, in ms. */
  maxDelayMs: number;
  /** Deadline of each `Health` call, in ms. */
  healthDeadlineMs: number;
  /** Stops polling (a process exit, a caller's abort). */
  signal?: AbortSignal;
}

export type ReadinessOutcome =
  | { kind: 'ready'; attempts: number; elapsedMs: number }
  | { kind: 'timed-out'; attempts: number; elapsedMs: number; lastError: string }
  | { kind: 'aborted'; attempts: number };

const BACKOFF_FACTOR = 1.5;

/**
 * Polls `Health` until it returns OK. The first poll is immediate and the waits grow from
 * a few ms, so a backend that is ready after 200 ms is seen at about 200 ms rather than
 * after a fixed one-second interval. The cap bounds the lag for backends that start slowly.
 */
export async function pollUntilHealthy(client: BackendClient, settings: ReadinessSettings): Promise<ReadinessOutcome> {
  const { clock, signal } = settings;
  const startedMs = clock.now();
  let delayMs = settings.initialDelayMs;
  let attempts = 0;
  let lastError = 'no attempt finished';

  for (;;) {
    if (signal?.aborted) return { kind: 'aborted', attempts };
    const leftMs = settings.timeoutMs - (clock.now() - startedMs);
    if (leftMs <= 0) return { kind: 'timed-out', attempts, elapsedMs: clock.now() - startedMs, lastError };

    attempts++;
    try {
      const deadlineMs = Math.max(1, Math.min(settings.healthDeadlineMs, leftMs));
      const healthy = await client.health({ deadlineMs, ...(signal && { signal }) });
      if (healthy) return { kind: 'ready', attempts, elapsedMs: clock.now() - startedMs };
      lastError = 'Health did not return OK';
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }

    try {
      await clock.sleep(Math.min(delayMs, Math.max(0, leftMs)), signal);
    } catch {
      return { kind: 'aborted', attempts };
    }
    delayMs = Math.min(delayMs * BACKOFF_FACTOR, settings.maxDelayMs);
  }
}
