import type { BackendLauncher } from '../../src/backend/backend-launcher.js';
import type { Clock } from '../../src/clock/clock.js';
import type { ModelLoader } from '../../src/loader/model-loader.js';
import type { MemoryProbe } from '../../src/watchdog/memory-probe.js';
import type { GpuMemoryPool } from '../backends/gpu-memory.js';
import type { FaultRecord } from '../metrics/summary.js';

/**
 * The surroundings of a replay: its clock, the backends its loader starts, and the host's GPU memory.
 * The runner drives the same loop against either kind, virtual (`sim`) or real processes
 * (`process`), and only this seam differs.
 */
export interface ReplayEnvironment {
  readonly mode: 'sim' | 'process';
  readonly clock: Clock;
  readonly launcher: BackendLauncher;
  /** Backends for the loader's catalog, by name. */
  readonly backends: Readonly<Record<string, { executable: string; args?: readonly string[] }>>;
  readonly memory: GpuMemoryPool;
  readonly memoryProbe: MemoryProbe;
  /** Extra `key:value` `LoadModel` options for a model, e.g. the fake backend's timings. */
  loadOptions(modelId: string): readonly string[];
  /** Gets ready before the replay starts (process mode measures a backend's start-up). */
  prepare?(): Promise<void>;
  /** Lets the environment follow the loader (process mode accounts memory from its events). */
  attach(loader: ModelLoader): void;
  /** Runs everything due up to `timeMs`, then returns with the clock at `timeMs` or later. */
  advanceTo(timeMs: number): Promise<void>;
  /** Waits for `promise` while time runs; fails once the clock passes `limitMs` first. */
  waitFor<T>(promise: Promise<T>, what: string, limitMs: number): Promise<T>;
  startFaults(): void;
  stopFaults(): void;
  faultRecords(): FaultRecord[];
  /** Releases what the environment holds (processes, files); idempotent. */
  close(): Promise<void>;
}
