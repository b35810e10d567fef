import type { Clock } from '../../src/clock/clock.js';
import type { BackendLauncher, BackendProcess, LaunchRequest } from '../../src/backend/backend-launcher.js';
import { InvalidOptionError, LoadFailedError, LoaderLabError } from '../../src/errors.js';
import { createRandom, type Random } from '../../src/util/random.js';
import type { ScenarioFault } from '../scenario/types.js';
import { FaultInjector, type FaultTarget } from './faults.js';
import type { GpuMemoryPool } from './gpu-memory.js';
import { SimBackend, type RequestFacts, type SimBackendEnvironment, type SimModel } from './sim-backend.js';

/** The loader asked the simulated launcher for a model the scenario does not define. */
export class UnknownSimModelError extends LoaderLabError {
  readonly code = 'SIM_MODEL_UNKNOWN';
  constructor(
    readonly modelId: string,
    readonly known: readonly string[],
  ) {
    super(`no simulated model "${modelId}" is defined; the scenario defines: ${known.join(', ') || '(none)'}`);
  }
}

/** Options of `SimLauncher`. */
export interface SimLauncherOptions {
  clock: Clock;
  /** GPU memory of the host every backend of this launcher runs on. */
  memory: GpuMemoryPool;
  models: Iterable<SimModel>;
  /** Run seed; jitter draws come from one stream per model, `jitter/<modelId>`. */
  seed: string | number;
  /** Load and service times are scaled by a uniform factor in [1 - j, 1 + j]. Default 0 (exact). */
  jitterFraction?: number;
  /** Time from spawn until the backend passes its first health check. Default 0 ms. */
  startupMs?: number;
  /** Time a graceful stop (SIGTERM) takes until the process exits. Default 0 ms. */
  stopMs?: number;
  /** Faults to inject; they are scheduled by `startFaults()`. Default none. */
  faults?: readonly ScenarioFault[];
  /** Facts about replayed requests (prompt tokens, recorded service time), by `CorrelationId`. Default none. */
  requestFacts?: (correlationId: string) => RequestFacts | undefined;
}

/**
 * Starts simulated backends for the loader, in place of child processes. Every backend runs
 * on the launcher's clock and draws GPU memory from its pool. It also counts spawns per
 * model, so checks of the loader's invariants need not trust the loader's own events.
 */
export class SimLauncher implements BackendLauncher, FaultTarget {
  readonly faults: FaultInjector;
  private readonly models = new Map<string, SimModel>();
  private readonly env: Omit<SimBackendEnvironment, 'jitterRandom'>;
  private readonly jitterRandoms = new Map<string, Random>();
  private readonly runningBackends = new Map<string, Set<SimBackend>>();
  private readonly spawnCounts = new Map<string, number>();
  private readonly seed: string | number;
  private readonly startupMs: number;
  private nextInstance = 1;

  constructor(options: SimLauncherOptions) {
    for (const model of options.models) this.models.set(model.modelId, model);
    this.seed = options.seed;
    this.startupMs = options.startupMs ?? 0;
    const jitterFraction = options.jitterFraction ?? 0;
    if (!(jitterFraction >= 0 && jitterFraction < 1)) {
      throw new InvalidOptionError('jitterFraction', 'a number in [0, 1)', options.jitterFraction);
    }
    this.faults = new FaultInjector(options.clock, options.faults ?? []);
    this.env = {
      clock: options.clock,
      memory: options.memory,
      faults: this.faults,
      jitterFraction,
      stopMs: options.stopMs ?? 0,
      requestFacts: options.requestFacts ?? (() => undefined),
    };
  }

  /** Schedules the faults, counting their times from the clock's time now. */
  startFaults(): void {
    this.faults.start(this);
  }

  /**
   * Starts a simulated backend: waits `startupMs`, then resolves with the process. A start
   * inside a refuse-connection window fails the way a backend that never gets healthy does.
   */
  async launch(request: LaunchRequest): Promise<BackendProcess> {
    const model = this.models.get(request.modelId);
    if (!model) throw new UnknownSimModelError(request.modelId, [...this.models.keys()]);
    if (request.signal?.aborted) throw request.signal.reason;

    const address = `sim://${request.modelId}/${this.nextInstance++}`;
    const backend = new SimBackend(request.modelId, request.backend.name, address, model, {
      ...this.env,
      jitterRandom: this.jitterRandomFor(request.modelId),
    });
    this.spawnCounts.set(request.modelId, (this.spawnCounts.get(request.modelId) ?? 0) + 1);
    this.track(backend);
    if (this.startupMs > 0) {
      try {
        await this.env.clock.sleep(this.startupMs, request.signal);
      } catch (error) {
        await backend.stop({ force: true });
        throw error;
      }
    }

    if (this.faults.checkRefusing(request.modelId)) {
      await backend.stop({ force: true });
      throw new LoadFailedError(request.modelId, request.backend.name, 'the backend refused connections while starting');
    }
    return backend;
  }

  /** Running simulated backends of a model. */
  running(modelId: string): SimBackend[] {
    return [...(this.runningBackends.get(modelId) ?? [])];
  }

  /** Backends started for a model over the launcher's life. */
  spawns(modelId: string): number {
    return this.spawnCounts.get(modelId) ?? 0;
  }

  /** Running simulated backends of every model. */
  allRunning(): SimBackend[] {
    return [...this.runningBackends.values()].flatMap((set) => [...set]);
  }

  crash(modelId: string): boolean {
    const backends = this.running(modelId);
    for (const backend of backends) backend.crash();
    return backends.length > 0;
  }

  setHung(modelId: string, hung: boolean): boolean {
    const backends = this.running(modelId);
    for (const backend of backends) backend.setHung(hung);
    return backends.length > 0;
  }

  private track(backend: SimBackend): void {
    let set = this.runningBackends.get(backend.modelId);
    if (!set) {
      set = new Set();
      this.runningBackends.set(backend.modelId, set);
    }
    set.add(backend);
    backend.onExit(() => set.delete(backend));
  }

  private jitterRandomFor(modelId: string): Random {
    let random = this.jitterRandoms.get(modelId);
    if (!random) {
      random = createRandom(this.seed, `jitter/${modelId}`);
      this.jitterRandoms.set(modelId, random);
    }
    return random;
  }
}
