import type { Timer } from '../../src/clock/clock.js';
import { ProcessLauncher } from '../../src/backend/process/process-launcher.js';
import type { LoaderEvent } from '../../src/loader/events.js';
import type { ModelLoader } from '../../src/loader/model-loader.js';
import type { Logger } from '../../src/util/logger.js';
import { GpuMemoryPool, SimMemoryProbe } from '../backends/gpu-memory.js';
import { ScaledClock } from '../clock/scaled-clock.js';
import { SimulationTimeLimitError } from '../clock/virtual-clock.js';
import type { FaultRecord } from '../metrics/summary.js';
import type { Scenario, ScenarioFault, ScenarioModel } from '../scenario/types.js';
import type { ReplayEnvironment } from './replay-environment.js';
import { findCompiledCli } from '../../src/cli/compiled-cli.js';
import { pushTo, removeFrom } from '../backends/faults.js';

/** Options of the real-process environment. */
export interface ProcessEnvironmentOptions {
  /** The real clock runs this many times faster than the scenario. Default 1. */
  speed?: number;
  /**
   * Command that starts one fake backend, without `--addr`, which the launcher appends.
   * Default: this Node.js running the compiled `loaderlab backend` (dist/src/cli/main.js).
   */
  backendCommand?: { executable: string; args: readonly string[] };
  logger?: Logger;
}

/**
 * Creates the `process` environment: the scenario against real child processes of the fake backend
 * (`loaderlab backend`) over gRPC on loopback, on a real clock that may run faster than the
 * scenario. Each model's timings reach its backend as `LoadModel` options, scaled by the speed.
 * A scenario's load time covers the whole cold load, so the backend is asked to load for
 * that time less its own start-up, which `prepare()` measures with one spawn.
 *
 * Faults are applied from outside the backend: a crash kills the process (SIGKILL), a hang
 * stops it (SIGSTOP) and resumes it (SIGCONT) when the hang ends, a slow or failing load
 * changes the `LoadModel` options of the loads that follow.
 *
 * NOTE: refuse-connection faults have no process-mode equivalent and are recorded as
 * missed. There is no GPU either: memory is the sum of the sizes of models loading or
 * resident, never refused, and a service time a trace recorded per request is not replayed.
 */
export function createProcessEnvironment(scenario: Scenario, options: ProcessEnvironmentOptions = {}): ReplayEnvironment {
  return new ProcessEnvironment(scenario, options);
}

class ProcessEnvironment implements ReplayEnvironment {
  readonly mode = 'process';
  readonly clock: ScaledClock;
  readonly launcher: ProcessLauncher;
  readonly backends: Readonly<Record<string, { executable: string; args: readonly string[] }>>;
  readonly memory: GpuMemoryPool;
  readonly memoryProbe: SimMemoryProbe;
  private readonly speed: number;
  private readonly models: ReadonlyMap<string, ScenarioModel>;
  private readonly faults: readonly ScenarioFault[];
  private readonly records: FaultRecord[];
  private readonly timers: Timer[] = [];
  private readonly slowLoads = new Map<string, Array<{ index: number; factor: number }>>();
  /** Load failures still to cause, by model, in fault order. */
  private readonly failingLoads = new Map<string, Array<{ index: number; left: number }>>();
  private readonly stoppedPids = new Set<number>();
  private loader: ModelLoader | undefined;
  private stopEvents: (() => void) | undefined;
  /** Time from spawn to the first healthy `Health` of a fake backend, in scenario ms. */
  private startupMs = 0;

  constructor(scenario: Scenario, options: ProcessEnvironmentOptions) {
    this.speed = options.speed ?? 1;
    this.clock = new ScaledClock(this.speed);
    this.launcher = new ProcessLauncher({ clock: this.clock, ...(options.logger && { logger: options.logger }) });
    const command = options.backendCommand ?? defaultBackendCommand();
    const names = [...new Set(scenario.models.map((model) => model.backend))];
    this.backends = Object.fromEntries(names.map((name) => [name, { executable: command.executable, args: command.args }]));
    this.memory = new GpuMemoryPool(scenario.host.gpuMemoryBytes);
    this.memoryProbe = new SimMemoryProbe(this.memory);
    this.models = new Map(scenario.models.map((model) => [model.id, model]));
    this.faults = scenario.faults;
    this.records = scenario.faults.map((fault) => ({
      timeMs: fault.atMs,
      kind: fault.kind,
      modelId: 'modelId' in fault ? fault.modelId : null,
      nodeId: fault.nodeId ?? null,
      durationMs: 'durationMs' in fault ? fault.durationMs : 0,
      hit: false,
    }));
  }

  loadOptions(modelId: string): readonly string[] {
    const model = this.models.get(modelId);
    if (!model) return [];
    let loadFactor = 1;
    for (const slow of this.slowLoads.get(modelId) ?? []) {
      loadFactor *= slow.factor;
      this.records[slow.index]!.hit = true;
    }
    const loadMs = Math.max(0, model.loadMs * loadFactor - this.startupMs);
    const entries = [
      `load_ms:${Math.round(loadMs / this.speed)}`,
      `parallel:${model.parallelSlots}`,
      `memory_bytes:${model.sizeBytes}`,
    ];
    if (model.service.kind === 'fixed') {
      // The runner requests one token from a fixed-time model, so one token lasts the service time.
      entries.push(`tokens_per_s:${model.service.serviceMs > 0 ? (1000 / model.service.serviceMs) * this.speed : 0}`);
    } else {
      entries.push(`tokens_per_s:${model.service.tokensPerSecond * this.speed}`);
      entries.push(`prompt_tokens_per_s:${(model.service.promptTokensPerSecond ?? 0) * this.speed}`);
    }
    if ((this.failingLoads.get(modelId)?.length ?? 0) > 0) entries.push('fail_load:injected load failure');
    return entries;
  }

  /** Spawns one backend and stops it, to measure the start-up that every cold load pays. */
  async prepare(): Promise<void> {
    const [name, definition] = Object.entries(this.backends)[0] ?? [];
    if (!name || !definition) return;
    const startedMs = this.clock.now();
    const backend = await this.launcher.launch({ modelId: 'start-up-calibration', backend: { name, ...definition } });
    this.startupMs = this.clock.now() - startedMs;
    await backend.stop({ force: true });
  }

  /** Start-up time of one fake backend as `prepare()` measured it, in scenario ms. */
  get measuredStartupMs(): number {
    return this.startupMs;
  }

  attach(loader: ModelLoader): void {
    this.loader = loader;
    this.stopEvents = loader.events.on((event) => this.onLoaderEvent(event));
  }

  async advanceTo(timeMs: number): Promise<void> {
    const waitMs = timeMs - this.clock.now();
    if (waitMs > 0) await this.clock.sleep(waitMs);
  }

  waitFor<T>(promise: Promise<T>, what: string, limitMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimer(Math.max(0, limitMs - this.clock.now()), () =>
        reject(new SimulationTimeLimitError(limitMs, what)),
      );
      promise.then(
        (value) => {
          timer.cancel();
          resolve(value);
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }

  startFaults(): void {
    this.faults.forEach((fault, index) => {
      this.timers.push(this.clock.setTimer(fault.atMs, () => this.begin(fault, index)));
    });
  }

  stopFaults(): void {
    for (const timer of this.timers) timer.cancel();
    this.timers.length = 0;
    // A stopped process would ignore the SIGTERM of the loader's shutdown until SIGKILL.
    for (const pid of this.stoppedPids) signal(pid, 'SIGCONT');
    this.stoppedPids.clear();
  }

  faultRecords(): FaultRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  close(): Promise<void> {
    this.stopFaults();
    this.stopEvents?.();
    return Promise.resolve();
  }

  /** Keeps the memory account and counts the failures of fail-load faults. */
  private onLoaderEvent(event: LoaderEvent): void {
    switch (event.type) {
      case 'load-started':
        this.memory.reserveOvercommitted(event.modelId, this.models.get(event.modelId)?.sizeBytes ?? 0);
        return;
      case 'load-failed': {
        this.memory.release(event.modelId);
        const pending = this.failingLoads.get(event.modelId);
        const next = pending?.[0];
        if (pending && next) {
          this.records[next.index]!.hit = true;
          next.left -= 1;
          if (next.left <= 0) pending.shift();
        }
        return;
      }
      case 'evicted':
        this.memory.release(event.modelId);
        return;
      case 'backend-exited':
        if (!event.intentional) this.memory.release(event.modelId);
        return;
      default:
        return;
    }
  }

  private begin(fault: ScenarioFault, index: number): void {
    const record = this.records[index]!;
    switch (fault.kind) {
      case 'crash': {
        const pid = this.pidOf(fault.modelId);
        record.hit = pid !== undefined && signal(pid, 'SIGKILL');
        return;
      }
      case 'hang': {
        const pid = this.pidOf(fault.modelId);
        if (pid === undefined || !signal(pid, 'SIGSTOP')) return;
        record.hit = true;
        this.stoppedPids.add(pid);
        this.timers.push(
          this.clock.setTimer(fault.durationMs, () => {
            if (this.stoppedPids.delete(pid)) signal(pid, 'SIGCONT');
          }),
        );
        return;
      }
      case 'slow-load': {
        const active = { index, factor: fault.loadTimeFactor };
        pushTo(this.slowLoads, fault.modelId, active);
        this.timers.push(this.clock.setTimer(fault.durationMs, () => removeFrom(this.slowLoads, fault.modelId, active)));
        return;
      }
      case 'fail-load':
        // NOTE: a request that read the options just before the last failure may still carry
        // `fail_load` into the next load, so a fault can fail one load more than its count.
        pushTo(this.failingLoads, fault.modelId, { index, left: fault.count });
        return;
      case 'refuse-connection':
      case 'node-down':
      case 'node-up':
        return;
    }
  }

  private pidOf(modelId: string): number | undefined {
    const info = this.loader?.get(modelId);
    return info?.state === 'ready' ? info.pid : undefined;
  }
}

/** Sends a signal; returns false when the process is gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/** `node dist/src/cli/main.js backend`, found from this file in the sources or in dist/. */
function defaultBackendCommand(): { executable: string; args: readonly string[] } {
  return { executable: process.execPath, args: [findCompiledCli('backendCommand'), 'backend'] };
}
