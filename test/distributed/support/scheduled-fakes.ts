import type { Scheduler } from 'fast-check';
import type { BackendClient } from '../../../src/backend/backend-client.js';
import type { Clock, Timer } from '../../../src/clock/clock.js';
import type { AgentClient, StartedBackend } from '../../../src/distributed/agent-client.js';
import { AgentCallError } from '../../../src/distributed/errors.js';
import { BackendCallError } from '../../../src/errors.js';

/**
 * A clock for `fc.scheduler` runs: `now()` moves one millisecond per read, and every sleep
 * resolves when the scheduler releases it, so waits take part in the interleaving.
 */
export class SchedulerClock implements Clock {
  private nowMs = 0;
  constructor(private readonly scheduler: Scheduler) {}
  now(): number {
    this.nowMs += 1;
    return this.nowMs;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      return Promise.reject(signal.reason);
    }
    return this.scheduler.schedule(Promise.resolve(), `sleep ${ms}`);
  }
  setTimer(): Timer {
    return { cancel: () => {} };
  }
  setRepeatingTimer(): Timer {
    return { cancel: () => {} };
  }
}

/** Outcomes a property drew up front; each call takes the next one, cycling. */
export class Script<T> {
  private next = 0;
  constructor(private readonly outcomes: readonly T[]) {}
  take(fallback: T): T {
    if (this.outcomes.length === 0) return fallback;
    const outcome = this.outcomes[this.next % this.outcomes.length]!;
    this.next += 1;
    return outcome;
  }
}

/**
 * Backends and agents whose every call resolves when the scheduler releases it. A
 * backend is alive from its start until its agent stops it; calls to a dead one fail
 * with a connection error.
 */
export class ScheduledFleet {
  readonly alive = new Set<string>();
  private started = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly startFailures: Script<boolean>,
    private readonly loadFailures: Script<boolean>,
    private readonly callOutcomes: Script<'ok' | 'error'>,
  ) {}

  agent(nodeId: string, address: string): AgentClient {
    const byReplica = new Map<string, string>();
    const call = <T>(method: string, work: () => T): Promise<T> =>
      this.scheduler.schedule(Promise.resolve(), `${nodeId}.${method}`).then(work);
    return {
      address,
      startBackend: (request) =>
        call('StartBackend', (): StartedBackend => {
          if (this.startFailures.take(false)) {
            throw new AgentCallError('StartBackend', nodeId, address, 'rejected', 'backend exited before it was ready');
          }
          const backendAddress = `${nodeId}/${request.modelId}/${request.replicaIndex}/${(this.started += 1)}`;
          byReplica.set(`${request.modelId}#${request.replicaIndex}`, backendAddress);
          this.alive.add(backendAddress);
          return { address: backendAddress, pid: undefined, backend: 'fake', modelsDir: '/models' };
        }),
      stopBackend: (modelId, replicaIndex) =>
        call('StopBackend', () => {
          const backendAddress = byReplica.get(`${modelId}#${replicaIndex}`);
          byReplica.delete(`${modelId}#${replicaIndex}`);
          return backendAddress !== undefined && this.alive.delete(backendAddress);
        }),
      listBackends: () => call('ListBackends', () => []),
      memory: () => call('Memory', () => ({ totalMemoryBytes: 0, availableMemoryBytes: 0 })),
      heartbeat: () => call('Heartbeat', () => ({ agentId: nodeId, totalMemoryBytes: 0, availableMemoryBytes: 0, backends: [] })),
      close: () => {},
    };
  }

  backend(address: string): BackendClient {
    const call = <T>(method: string, work: () => T, signal?: AbortSignal): Promise<T> =>
      this.scheduler.schedule(Promise.resolve(), `${address}.${method}`).then(() => {
        if (!this.alive.has(address)) {
          throw new BackendCallError(method, address, 'connection', 'connection refused');
        }
        if (signal?.aborted) {
          throw new BackendCallError(method, address, 'other', 'cancelled');
        }
        return work();
      });
    const infer = (method: string, signal?: AbortSignal) =>
      call(
        method,
        () => {
          if (this.callOutcomes.take('ok') === 'error') {
            throw new BackendCallError(method, address, 'other', 'inference failed');
          }
        },
        signal,
      );
    return {
      address,
      health: () => call('Health', () => true),
      loadModel: () => call('LoadModel', () => (this.loadFailures.take(false) ? { success: false, message: 'bad weights' } : { success: true, message: '' })),
      predict: async (_request, options) => {
        await infer('Predict', options?.signal);
        return { message: new Uint8Array(), tokens: 0, prompt_tokens: 0, timing_prompt_processing: 0, timing_token_generation: 0 };
      },
      predictStream: (_request, _onReply, options) => infer('PredictStream', options?.signal),
      embedding: async (_request, options) => {
        await infer('Embedding', options?.signal);
        return { embeddings: [] };
      },
      free: () => call('Free', () => undefined),
      status: () => call('Status', () => ({ state: 'READY' as const })),
      close: () => {},
    };
  }
}
