import { describe, expect, it } from 'vitest';
import { BackendCallError } from '../../../src/errors.js';
import type { BackendExit } from '../../../src/backend/backend-launcher.js';
import { VirtualClock } from '../../../sim/clock/virtual-clock.js';
import { GpuMemoryPool, SimMemoryProbe } from '../../../sim/backends/gpu-memory.js';
import { SimLauncher, UnknownSimModelError } from '../../../sim/backends/sim-launcher.js';
import type { RequestFacts, SimModel } from '../../../sim/backends/sim-backend.js';
import { syntheticPrompt } from '../../../sim/backends/prompt.js';
import type { ScenarioFault } from '../../../sim/scenario/types.js';

const GIB = 1024 ** 3;

function model(overrides: Partial<SimModel> = {}): SimModel {
  return {
    modelId: 'alpha',
    sizeBytes: 10 * GIB,
    loadMs: 1_000,
    service: { kind: 'fixed', serviceMs: 100 },
    parallelSlots: 1,
    ...overrides,
  };
}

interface SetupOptions {
  faults?: ScenarioFault[];
  jitterFraction?: number;
  memoryBytes?: number;
  requestFacts?: (correlationId: string) => RequestFacts | undefined;
}

async function setup(models: SimModel[], options: SetupOptions = {}) {
  const clock = new VirtualClock();
  const memory = new GpuMemoryPool(options.memoryBytes ?? 40 * GIB);
  const launcher = new SimLauncher({
    clock,
    memory,
    models,
    seed: 7,
    faults: options.faults ?? [],
    jitterFraction: options.jitterFraction ?? 0,
    ...(options.requestFacts && { requestFacts: options.requestFacts }),
  });
  launcher.startFaults();
  // Faults at time 0 apply before anything the test starts.
  await clock.runUntil(0);
  const launch = (modelId = 'alpha') => launcher.launch({ modelId, backend: { name: 'sim' } });
  return { clock, memory, launcher, launch };
}

/** Records when each promise settles, on the clock, and how. */
function track<T>(clock: VirtualClock, promise: Promise<T>): { timeMs?: number; outcome?: string; error?: unknown } {
  const result: { timeMs?: number; outcome?: string; error?: unknown } = {};
  promise.then(
    () => {
      result.timeMs = clock.now();
      result.outcome = 'ok';
    },
    (error: unknown) => {
      result.timeMs = clock.now();
      result.outcome = error instanceof BackendCallError ? error.kind : 'error';
      result.error = error;
    },
  );
  return result;
}

describe('SimLauncher', () => {
  it('loads a model in its load time and reserves its memory', async () => {
    const { clock, memory, launch } = await setup([model()]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    const load = track(clock, backend.client.loadModel({ Model: 'alpha' }));
    await clock.runUntil(999);
    expect(load.outcome).toBeUndefined();
    expect(memory.usedBytes).toBe(10 * GIB);
    await clock.runUntil(1_000);
    expect(load).toMatchObject({ timeMs: 1_000, outcome: 'ok' });
  });

  it('fails a load that does not fit in GPU memory', async () => {
    const { clock, memory, launch } = await setup([model({ sizeBytes: 50 * GIB })]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    const result = await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    expect(result.success).toBe(false);
    expect(result.message).toContain('out of GPU memory');
    expect(memory.usedBytes).toBe(0);
  });

  it('serves calls in parallel slots and queues the rest in order', async () => {
    const { clock, launch } = await setup([model({ parallelSlots: 2 })]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const start = clock.now();
    const calls = [0, 1, 2, 3, 4].map(() => track(clock, backend.client.predict({ Tokens: 1 })));
    await clock.runUntil(start + 1_000);
    expect(calls.map((c) => c.timeMs! - start)).toEqual([100, 100, 200, 200, 300]);
  });

  it('derives service time from tokens and tokens per second', async () => {
    const service = { kind: 'tokens', tokensPerSecond: 50, promptTokensPerSecond: 1_000 } as const;
    const { clock, launch } = await setup([model({ service })]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const start = clock.now();
    const reply = await clock.runUntilSettled(
      backend.client.predict({ Prompt: syntheticPrompt(500), Tokens: 100 }),
      'predict',
    );
    // 100 output tokens at 50/s and 500 prompt tokens at 1,000/s.
    expect(clock.now() - start).toBe(2_500);
    expect(reply.tokens).toBe(100);
    expect(reply.prompt_tokens).toBe(500);
  });

  it('takes prompt tokens and recorded service time from request facts', async () => {
    const service = { kind: 'tokens', tokensPerSecond: 50, promptTokensPerSecond: 1_000 } as const;
    const facts: Record<string, RequestFacts> = { r1: { promptTokens: 500 }, r2: { serviceMs: 7_000 } };
    const { clock, launch } = await setup([model({ service })], { requestFacts: (id) => facts[id] });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    let start = clock.now();
    const reply = await clock.runUntilSettled(backend.client.predict({ Tokens: 100, CorrelationId: 'r1' }), 'predict');
    expect(clock.now() - start).toBe(2_500);
    expect(reply.prompt_tokens).toBe(500);
    start = clock.now();
    await clock.runUntilSettled(backend.client.predict({ Tokens: 100, CorrelationId: 'r2' }), 'recorded');
    expect(clock.now() - start).toBe(7_000);
  });

  it('drops a queued call at its deadline without using a slot', async () => {
    const { clock, launch } = await setup([model()]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const start = clock.now();
    const first = track(clock, backend.client.predict({}));
    const late = track(clock, backend.client.predict({}, { deadlineMs: 50 }));
    const third = track(clock, backend.client.predict({}));
    await clock.runUntil(start + 1_000);
    expect(first.timeMs! - start).toBe(100);
    expect(late).toMatchObject({ outcome: 'deadline', timeMs: start + 50 });
    expect(third.timeMs! - start).toBe(200);
  });

  it('keeps the slot of a running call whose deadline passed', async () => {
    const { clock, launch } = await setup([model()]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const start = clock.now();
    const timedOut = track(clock, backend.client.predict({}, { deadlineMs: 30 }));
    const next = track(clock, backend.client.predict({}));
    await clock.runUntil(start + 1_000);
    expect(timedOut).toMatchObject({ outcome: 'deadline', timeMs: start + 30 });
    expect(next.timeMs! - start).toBe(200);
  });

  it('draws the same jitter for the same seed', async () => {
    const durations = async (): Promise<number[]> => {
      const { clock, launch } = await setup([model()], { jitterFraction: 0.2 });
      const backend = await clock.runUntilSettled(launch(), 'launch');
      await clock.runUntilSettled(backend.client.loadModel({}), 'load');
      const result: number[] = [];
      for (let i = 0; i < 5; i++) {
        const start = clock.now();
        await clock.runUntilSettled(backend.client.predict({}), 'predict');
        result.push(clock.now() - start);
      }
      return result;
    };
    const first = await durations();
    expect(await durations()).toEqual(first);
    for (const ms of first) {
      expect(ms).toBeGreaterThanOrEqual(80);
      expect(ms).toBeLessThanOrEqual(120);
    }
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('stops gracefully as an intentional exit and frees memory', async () => {
    const { clock, memory, launch } = await setup([model()]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const exits: BackendExit[] = [];
    backend.onExit((exit) => exits.push(exit));
    await clock.runUntilSettled(backend.stop(), 'stop');
    await clock.runUntilSettled(backend.stop(), 'second stop');
    expect(exits).toEqual([{ exitCode: 0, signal: null, intentional: true }]);
    expect(backend.isRunning()).toBe(false);
    expect(memory.usedBytes).toBe(0);
  });

  it('rejects a launch of an unknown model', async () => {
    const { clock, launch } = await setup([model()]);
    await expect(clock.runUntilSettled(launch('nope'), 'launch')).rejects.toBeInstanceOf(UnknownSimModelError);
  });

  it('reports GPU memory through its probe', async () => {
    const { clock, memory, launch } = await setup([model()]);
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    expect(await new SimMemoryProbe(memory).read()).toEqual({ usedBytes: 10 * GIB, totalBytes: 40 * GIB, source: 'gpu' });
  });
});

describe('SimLauncher faults', () => {
  const at = (atMs: number) => ({ atMs, modelId: 'alpha', nodeId: undefined });

  it('crashes a running backend and fails its calls', async () => {
    const { clock, memory, launch, launcher } = await setup([model({ service: { kind: 'fixed', serviceMs: 5_000 } })], {
      faults: [{ kind: 'crash', ...at(2_000) }],
    });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const exits: BackendExit[] = [];
    backend.onExit((exit) => exits.push(exit));
    const call = track(clock, backend.client.predict({}));
    await clock.runUntil(3_000);
    expect(call).toMatchObject({ outcome: 'connection', timeMs: 2_000 });
    expect(exits).toEqual([{ exitCode: null, signal: 'SIGSEGV', intentional: false }]);
    expect(memory.usedBytes).toBe(0);
    expect(launcher.faults.faultRecords()[0]!.hit).toBe(true);
  });

  it('records a crash that found no backend as a miss', async () => {
    const { clock, launcher } = await setup([model()], { faults: [{ kind: 'crash', ...at(10) }] });
    await clock.runUntil(20);
    expect(launcher.faults.faultRecords()[0]).toMatchObject({ kind: 'crash', hit: false, modelId: 'alpha' });
  });

  it('freezes calls during a hang and resumes them after', async () => {
    const { clock, launch } = await setup([model()], { faults: [{ kind: 'hang', ...at(1_050), durationMs: 500 }] });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    const running = track(clock, backend.client.predict({}));
    const queued = track(clock, backend.client.predict({}));
    await clock.runUntil(5_000);
    // 50 ms served before the hang, 50 ms after it ends at 1,550 ms.
    expect(running.timeMs).toBe(1_600);
    expect(queued.timeMs).toBe(1_700);
  });

  it('times out a health check during a hang', async () => {
    const { clock, launch } = await setup([model()], { faults: [{ kind: 'hang', ...at(0), durationMs: 10_000 }] });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    const health = track(clock, backend.client.health({ deadlineMs: 300 }));
    await clock.runUntil(1_000);
    expect(health).toMatchObject({ outcome: 'deadline', timeMs: 300 });
  });

  it('stretches loads started in a slow-load window', async () => {
    const { clock, launch } = await setup([model()], {
      faults: [{ kind: 'slow-load', ...at(0), durationMs: 100, loadTimeFactor: 3 }],
    });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    expect(clock.now()).toBe(3_000);
    const start = clock.now();
    await clock.runUntilSettled(backend.client.loadModel({}), 'reload outside the window');
    expect(clock.now() - start).toBe(1_000);
  });

  it('fails the given number of loads after a fail-load fault', async () => {
    const { clock, launch, launcher } = await setup([model()], { faults: [{ kind: 'fail-load', ...at(0), count: 2 }] });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const backend = await clock.runUntilSettled(launch(), 'launch');
      outcomes.push((await clock.runUntilSettled(backend.client.loadModel({}), 'load')).success);
      await clock.runUntilSettled(backend.stop(), 'stop');
    }
    expect(outcomes).toEqual([false, false, true]);
    expect(launcher.spawns('alpha')).toBe(3);
  });

  it('refuses calls and starts during a refuse-connection window', async () => {
    const { clock, launch } = await setup([model()], { faults: [{ kind: 'refuse-connection', ...at(1_500), durationMs: 1_000 }] });
    const backend = await clock.runUntilSettled(launch(), 'launch');
    await clock.runUntilSettled(backend.client.loadModel({}), 'load');
    await clock.runUntil(1_600);
    const refused = track(clock, backend.client.predict({}));
    await clock.runUntil(1_700);
    expect(refused).toMatchObject({ outcome: 'connection', timeMs: 1_600 });
    await expect(clock.runUntilSettled(launch(), 'launch in the window')).rejects.toThrow(/refused connections/);
    await clock.runUntil(2_600);
    const accepted = track(clock, backend.client.predict({}));
    await clock.runUntil(3_000);
    expect(accepted).toMatchObject({ outcome: 'ok', timeMs: 2_700 });
  });
});
