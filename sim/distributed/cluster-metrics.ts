import type { Clock } from '../../src/clock/clock.js';
import type { DistributedEvent, ReplicaRemovalReason } from '../../src/distributed/events.js';
import type { EvictionReason, LoaderEvent } from '../../src/loader/events.js';
import { sharesGroup } from '../../src/distributed/types.js';
import type { GpuMemoryPool } from '../backends/gpu-memory.js';
import { MetricsCollector, type CollectedModel, type CollectedSummary, type RequestRecord } from '../metrics/metrics-collector.js';
import type { RunTimeline } from '../metrics/timeline.js';
import { BalanceCollector, type ReplicaBalanceSummary } from './balance.js';

/** Options of `ClusterMetrics`. */
export interface ClusterMetricsOptions {
  models: readonly CollectedModel[];
  nodes: readonly { id: string; memory: GpuMemoryPool }[];
  /** Times memory changes, which carry no time of their own. */
  clock: Clock;
  /** Clock time of the run's start; every reported time counts from it. */
  startMs: number;
  thrashWindowMs?: number;
  /** Window of the fairness-over-time series. Default 60,000 ms. */
  balanceWindowMs?: number;
}

/** Eviction reason of each replica removal; a lost node's replicas end as crashes instead. */
const EVICTION_OF: Readonly<Record<ReplicaRemovalReason, EvictionReason | undefined>> = {
  'cluster-lru': 'cluster-lru',
  group: 'group',
  'connection-error': 'connection-error',
  explicit: 'explicit',
  'scale-down': 'idle',
  'node-lost': undefined,
};

/**
 * The metrics of a distributed replay. Three parts:
 * - a cluster-wide collector for requests, latency, hits, cold loads and evictions, with
 *   the GPU memory of all nodes added up;
 * - one collector per node for its lanes (residency, loads, evictions), its memory and
 *   the group rule, which binds per node;
 * - the replica balance.
 * Replica events become the loader events the collectors understand.
 *
 * NOTE: a collector tracks residency by model id, so with more than one replica of a
 * model on one node (replica slots above 1) that node's lanes merge those replicas.
 */
export class ClusterMetrics {
  private readonly cluster: MetricsCollector;
  private readonly perNode = new Map<string, MetricsCollector>();
  private readonly balance: BalanceCollector;
  private readonly groupsOf: ReadonlyMap<string, readonly string[]>;
  /** Models loaded per node, for naming group conflicts. */
  private readonly loadedOn = new Map<string, Set<string>>();
  /** Loaded replicas per model, for the hit of an arriving request. */
  private readonly loadedReplicas = new Map<string, number>();
  private readonly stopMemory: (() => void)[] = [];

  constructor(options: ClusterMetricsOptions) {
    const totalBytes = options.nodes.reduce((sum, node) => sum + node.memory.totalBytes, 0);
    const base = { models: options.models, lruLimit: 0, memoryThreshold: null, startMs: options.startMs };
    const thrash = options.thrashWindowMs !== undefined ? { thrashWindowMs: options.thrashWindowMs } : {};
    this.cluster = new MetricsCollector({ ...base, ...thrash, gpuMemoryBytes: totalBytes, nodeId: 'cluster' });
    this.groupsOf = new Map(options.models.map((model) => [model.modelId, model.groups]));
    for (const node of options.nodes) {
      const collector = new MetricsCollector({ ...base, ...thrash, gpuMemoryBytes: node.memory.totalBytes, nodeId: node.id });
      this.perNode.set(node.id, collector);
      this.loadedOn.set(node.id, new Set());
      this.stopMemory.push(
        node.memory.onChange((change) => {
          const nowMs = options.clock.now();
          collector.recordMemory(nowMs, change.usedBytes);
          this.cluster.recordMemory(nowMs, options.nodes.reduce((sum, n) => sum + n.memory.usedBytes, 0));
        }),
      );
    }
    this.balance = new BalanceCollector(options.startMs, options.balanceWindowMs ?? 60_000);
  }

  recordArrival(modelId: string, arrivalMs: number): void {
    this.cluster.recordArrival(modelId, arrivalMs);
  }

  recordRequest(record: RequestRecord): void {
    this.cluster.recordRequest(record);
  }

  /** Returns whether some replica of the model is loaded now. */
  isLoaded(modelId: string): boolean {
    return (this.loadedReplicas.get(modelId) ?? 0) > 0;
  }

  arrivalSpan(): { firstArrivalMs: number; lastArrivalMs: number } {
    return this.cluster.arrivalSpan();
  }

  onFrontendEvent(event: LoaderEvent): void {
    if (event.type === 'cooldown-rejected') {
      this.cluster.onLoaderEvent(event);
    }
  }

  onDistributedEvent(event: DistributedEvent): void {
    this.balance.onEvent(event);
    switch (event.type) {
      case 'replica-load-started':
        this.toCollectors(event.nodeId, { type: 'load-started', timeMs: event.timeMs, modelId: event.modelId, backend: 'distributed' });
        return;
      case 'replica-loaded':
        this.loadedOn.get(event.nodeId)?.add(event.modelId);
        this.loadedReplicas.set(event.modelId, (this.loadedReplicas.get(event.modelId) ?? 0) + 1);
        this.toCollectors(event.nodeId, {
          type: 'load-succeeded',
          timeMs: event.timeMs,
          modelId: event.modelId,
          backend: 'distributed',
          address: event.address,
          durationMs: event.durationMs,
        });
        return;
      case 'replica-load-failed':
        this.toCollectors(event.nodeId, {
          type: 'load-failed',
          timeMs: event.timeMs,
          modelId: event.modelId,
          backend: undefined,
          code: event.code,
          message: event.message,
          cooldownMs: 0,
        });
        return;
      case 'replica-removed':
        this.onRemoved(event);
        return;
      case 'group-rule-relaxed': {
        // Every candidate held a conflict, so the co-residence that follows is the soft rule at work.
        const blockers = [...(this.loadedOn.get(event.nodeId) ?? [])].filter((other) =>
          sharesGroup(this.groupsOf.get(other) ?? [], this.groupsOf.get(event.modelId) ?? []),
        );
        this.perNode.get(event.nodeId)?.onLoaderEvent({ type: 'overflow', timeMs: event.timeMs, modelId: event.modelId, kind: 'group', blockers });
        return;
      }
      default:
        return;
    }
  }

  /** Closes every collector and merges them into one summary, timeline and balance. */
  finish(clockMs: number): { summary: CollectedSummary; timeline: RunTimeline; balance: ReplicaBalanceSummary } {
    this.stopMemory.forEach((stop) => stop());
    const cluster = this.cluster.finish(clockMs);
    const nodes = [...this.perNode.values()].map((collector) => collector.finish(clockMs));
    const residentMs = new Map<string, number>();
    for (const node of nodes) {
      for (const model of node.summary.models) {
        residentMs.set(model.modelId, (residentMs.get(model.modelId) ?? 0) + model.residentMs);
      }
    }
    const violations = nodes.flatMap((node) => node.summary.invariants.violations).sort((a, b) => a.timeMs - b.timeMs);
    const summary: CollectedSummary = {
      ...cluster.summary,
      models: cluster.summary.models.map((model) => ({ ...model, residentMs: residentMs.get(model.modelId) ?? 0 })),
      invariants: {
        lruOverflows: 0,
        groupCoResidences: sum(nodes.map((node) => node.summary.invariants.groupCoResidences)),
        unexplained: sum(nodes.map((node) => node.summary.invariants.unexplained)),
        violations: violations.slice(0, 100),
      },
    };
    const byTime = <T extends { timeMs: number }>(lists: T[][]): T[] => lists.flat().sort((a, b) => a.timeMs - b.timeMs);
    const timeline: RunTimeline = {
      ...cluster.timeline,
      residency: nodes.flatMap((node) => node.timeline.residency).sort((a, b) => a.loadStartMs - b.loadStartMs),
      loads: byTime(nodes.map((node) => node.timeline.loads)),
      evictions: byTime(nodes.map((node) => node.timeline.evictions)),
      memory: nodes.flatMap((node) => node.timeline.memory),
      truncated: {
        ...cluster.timeline.truncated,
        residency: nodes.some((node) => node.timeline.truncated.residency),
        loads: nodes.some((node) => node.timeline.truncated.loads),
        evictions: nodes.some((node) => node.timeline.truncated.evictions),
      },
    };
    return { summary, timeline, balance: this.balance.finish(clockMs) };
  }

  private onRemoved(event: Extract<DistributedEvent, { type: 'replica-removed' }>): void {
    if (this.loadedOn.get(event.nodeId)?.delete(event.modelId)) {
      this.loadedReplicas.set(event.modelId, Math.max(0, (this.loadedReplicas.get(event.modelId) ?? 0) - 1));
    }
    const reason = EVICTION_OF[event.reason];
    if (reason === undefined) {
      this.toCollectors(event.nodeId, {
        type: 'backend-exited',
        timeMs: event.timeMs,
        modelId: event.modelId,
        exitCode: null,
        signal: null,
        intentional: false,
      });
      return;
    }
    this.toCollectors(event.nodeId, {
      type: 'evicted',
      timeMs: event.timeMs,
      modelId: event.modelId,
      reason,
      forced: event.reason === 'connection-error',
      ...(event.forModelId !== undefined && { forModelId: event.forModelId }),
    });
  }

  private toCollectors(nodeId: string, event: LoaderEvent): void {
    this.cluster.onLoaderEvent(event);
    this.perNode.get(nodeId)?.onLoaderEvent(event);
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, x) => total + x, 0);
}
