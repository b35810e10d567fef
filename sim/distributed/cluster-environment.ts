import type { Clock } from '../../src/clock/clock.js';
import type { AgentConnector, BackendConnector } from '../../src/distributed/agent-client.js';
import type { EmbeddedCluster } from '../../src/distributed/cluster.js';
import type { NodeRegistration } from '../../src/distributed/types.js';
import type { GpuMemoryPool } from '../backends/gpu-memory.js';
import type { FaultRecord } from '../metrics/summary.js';

/**
 * The surroundings of a distributed replay: the clock, one agent per node, the backends
 * they start and each node's GPU memory. The distributed runner drives the same loop
 * against the virtual-time cluster (`sim`) and agents as real processes (`process`).
 */
export interface ClusterEnvironment {
  readonly mode: 'sim' | 'process';
  readonly clock: Clock;
  /**
   * Run-clock milliseconds per wall-clock millisecond: 1 for real time, the speed-up of a
   * scaled process run. Undefined on a virtual clock, where wall time does not matter.
   */
  readonly speed: number | undefined;
  /** Nodes to register, with their agents' addresses once `prepare()` has run. */
  nodes(): readonly NodeRegistration[];
  readonly connectAgent: AgentConnector;
  readonly connectBackend: BackendConnector;
  /** The GPU memory of a node, for the metrics. */
  memoryOf(nodeId: string): GpuMemoryPool;
  /** Extra `key:value` `LoadModel` options for a model, e.g. the fake backend's timings. */
  loadOptions(modelId: string): readonly string[];
  /** Starts what the replay needs before the cluster exists (process mode starts the agents). */
  prepare(): Promise<void>;
  /** Lets the environment follow the cluster (node faults re-register nodes, process mode accounts memory). */
  attach(cluster: EmbeddedCluster): void;
  /** Runs everything due up to `timeMs`, then returns with the clock at `timeMs` or later. */
  advanceTo(timeMs: number): Promise<void>;
  /** Waits for `promise` while time runs; fails once the clock passes `limitMs` first. */
  waitFor<T>(promise: Promise<T>, what: string, limitMs: number): Promise<T>;
  startFaults(): void;
  stopFaults(): void;
  faultRecords(): FaultRecord[];
  /** Releases what the environment holds (agents, backends); idempotent. */
  close(): Promise<void>;
}
