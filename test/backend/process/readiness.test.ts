import { describe, expect, it } from 'vitest';
import type { BackendClient, CallOptions } from '../../../src/backend/backend-client.js';
import { pollUntilHealthy, type ReadinessOutcome } from '../../../src/backend/process/readiness.js';
import { BackendCallError } from '../../../src/errors.js';
import { VirtualClock } from '../../../sim/clock/virtual-clock.js';

/** A client whose `Health` fails (connection refused) until `readyAtMs`, recording each poll time. */
function clientReadyAt(clock: VirtualClock, readyAtMs: number, pollTimesMs: number[]): BackendClient {
  const health = async (_options?: CallOptions): Promise<boolean> => {
    pollTimesMs.push(clock.now());
    if (clock.now() >= readyAtMs) return true;
    throw new BackendCallError('Health', 'test:1', 'connection', 'ECONNREFUSED');
  };
  return { health } as unknown as BackendClient;
}

async function poll(clock: VirtualClock, client: BackendClient, timeoutMs: number, signal?: AbortSignal): Promise<ReadinessOutcome> {
  const outcome = pollUntilHealthy(client, {
    clock,
    timeoutMs,
    initialDelayMs: 5,
    maxDelayMs: 50,
    healthDeadlineMs: 1_000,
    ...(signal && { signal }),
  });
  await clock.run();
  return outcome;
}

describe('pollUntilHealthy', () => {
  it('polls at once, then backs off from 5 ms to the 50 ms cap', async () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const outcome = await poll(clock, clientReadyAt(clock, 200, times), 10_000);
    expect(times.slice(0, 8)).toEqual([0, 5, 12.5, 23.75, 40.625, 65.9375, 103.90625, 153.90625]);
    expect(outcome).toEqual({ kind: 'ready', attempts: 9, elapsedMs: 203.90625 });
  });

  it('sees a backend ready at 200 ms within one cap interval', async () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    const outcome = await poll(clock, clientReadyAt(clock, 200, times), 10_000);
    expect(outcome.kind).toBe('ready');
    expect((outcome as { elapsedMs: number }).elapsedMs).toBeLessThanOrEqual(200 + 50);
  });

  it('times out with the last error', async () => {
    const clock = new VirtualClock();
    const outcome = await poll(clock, clientReadyAt(clock, Infinity, []), 1_000);
    expect(outcome.kind).toBe('timed-out');
    expect((outcome as { lastError: string }).lastError).toContain('ECONNREFUSED');
    expect(clock.now()).toBe(1_000);
  });

  it('stops when its signal aborts', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    clock.setTimer(30, () => controller.abort());
    const outcome = await poll(clock, clientReadyAt(clock, Infinity, []), 10_000, controller.signal);
    expect(outcome.kind).toBe('aborted');
  });

  it('keeps polling while Health returns a status other than OK', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const client = { health: async () => ++calls >= 3 } as unknown as BackendClient;
    const outcome = await poll(clock, client, 10_000);
    expect(outcome).toMatchObject({ kind: 'ready', attempts: 3 });
  });
});
