import type { DistributedEvent } from '../../src/distributed/events.js';
import { replicaId } from '../../src/distributed/types.js';

/** One replica's share of the traffic over the run. */
export interface ReplicaLoadSummary {
  modelId: string;
  nodeId: string;
  replicaIndex: number;
  /** Calls counted on the replica (one per replayed request). */
  requests: number;
  /** Maximum calls in flight at once, summed over all frontends. */
  peakInFlight: number;
}

/** Balance of one model over its replicas. */
export interface ModelBalance {
  modelId: string;
  /** Replicas that were loaded at some time in the run. */
  replicas: number;
  requests: number;
  /** Standard deviation over mean of requests per replica; 0 for one replica. */
  coefficientOfVariation: number;
  /** Largest request count of a replica over the mean. */
  maxOverMean: number;
  /** Jain's fairness index of requests per replica: (Σx)² / (n Σx²), 1 when perfectly even. */
  jainIndex: number;
  /**
   * Balance of calls in flight per loaded replica, averaged over the time the model had
   * any call in flight. Each moment counts Jain's index of the counts over Jain's index of
   * the most even split of the same total, because one call on two replicas cannot do
   * better than 1 and 0. It shows momentary herding that even request counts hide, and 1
   * is the best possible.
   */
  inFlightJainIndex: number;
}

/** The summary's `replicaBalance`; the report draws its replicas and fairness over time. */
export interface ReplicaBalanceSummary {
  replicas: ReplicaLoadSummary[];
  /** Sorted by model id. */
  perModel: ModelBalance[];
  /** Jain's index of requests per replica within each window, per model with two or more replicas. */
  fairnessOverTime: { timeMs: number; modelId: string; jainIndex: number }[];
  windowMs: number;
  /**
   * Request-weighted means over the models that had two or more replicas; null when
   * no model had. These are the headline balance figures of a run.
   */
  overall: { jainIndex: number | null; inFlightJainIndex: number | null };
}

interface ReplicaState {
  modelId: string;
  nodeId: string;
  replicaIndex: number;
  requests: number;
  inFlight: number;
  peakInFlight: number;
  live: boolean;
  windowRequests: number;
  liveInWindow: boolean;
}

interface ModelTime {
  /** Time-weighted sum of the in-flight Jain's index while calls were in flight. */
  weightedJain: number;
  busyMs: number;
  lastChangeMs: number;
}

/** Windows kept for the fairness-over-time series; later windows are not sampled. */
const MAX_WINDOWS = 2_000;

/**
 * Measures how evenly routing spreads calls over each model's replicas, from the routers'
 * `replica-acquired` and `replica-released` events summed over every frontend, so the
 * in-flight counts are the true cluster-wide ones even when frontends route from caches.
 */
export class BalanceCollector {
  private readonly replicas = new Map<string, ReplicaState>();
  private readonly modelTimes = new Map<string, ModelTime>();
  private readonly fairness: ReplicaBalanceSummary['fairnessOverTime'] = [];
  private windowStartMs: number;

  constructor(
    private readonly startMs: number,
    private readonly windowMs = 60_000,
  ) {
    this.windowStartMs = startMs;
  }

  onEvent(event: DistributedEvent): void {
    this.closeWindowsBefore(event.timeMs);
    switch (event.type) {
      case 'replica-loaded': {
        const replica = this.replica(event);
        replica.live = true;
        replica.liveInWindow = true;
        return;
      }
      case 'replica-removed':
        this.advanceModelTime(event.modelId, event.timeMs);
        this.replica(event).live = false;
        return;
      case 'replica-acquired': {
        this.advanceModelTime(event.modelId, event.timeMs);
        const replica = this.replica(event);
        replica.requests += 1;
        replica.windowRequests += 1;
        replica.liveInWindow = true;
        replica.inFlight += 1;
        replica.peakInFlight = Math.max(replica.peakInFlight, replica.inFlight);
        return;
      }
      case 'replica-released':
        this.advanceModelTime(event.modelId, event.timeMs);
        this.replica(event).inFlight = Math.max(0, this.replica(event).inFlight - 1);
        return;
      default:
        return;
    }
  }

  finish(endMs: number): ReplicaBalanceSummary {
    this.closeWindowsBefore(endMs);
    for (const modelId of this.modelTimes.keys()) {
      this.advanceModelTime(modelId, endMs);
    }
    const replicas = [...this.replicas.values()].sort((a, b) => compare(replicaId(a), replicaId(b)));
    const perModel = [...new Set(replicas.map((r) => r.modelId))].sort(compare).map((modelId) => this.modelBalance(modelId));
    const balanced = perModel.filter((m) => m.replicas >= 2 && m.requests > 0);
    const weight = balanced.reduce((sum, m) => sum + m.requests, 0);
    return {
      replicas: replicas.map(({ modelId, nodeId, replicaIndex, requests, peakInFlight }) => ({ modelId, nodeId, replicaIndex, requests, peakInFlight })),
      perModel,
      fairnessOverTime: this.fairness,
      windowMs: this.windowMs,
      overall: {
        jainIndex: weight > 0 ? round(balanced.reduce((sum, m) => sum + m.jainIndex * m.requests, 0) / weight) : null,
        inFlightJainIndex: weight > 0 ? round(balanced.reduce((sum, m) => sum + m.inFlightJainIndex * m.requests, 0) / weight) : null,
      },
    };
  }

  private modelBalance(modelId: string): ModelBalance {
    const counts = [...this.replicas.values()].filter((r) => r.modelId === modelId).map((r) => r.requests);
    const total = counts.reduce((sum, x) => sum + x, 0);
    const mean = total / counts.length;
    const variance = counts.reduce((sum, x) => sum + (x - mean) ** 2, 0) / counts.length;
    const time = this.modelTimes.get(modelId);
    return {
      modelId,
      replicas: counts.length,
      requests: total,
      coefficientOfVariation: mean > 0 ? round(Math.sqrt(variance) / mean) : 0,
      maxOverMean: mean > 0 ? round(Math.max(...counts) / mean) : 1,
      jainIndex: round(jainIndex(counts)),
      inFlightJainIndex: time && time.busyMs > 0 ? round(time.weightedJain / time.busyMs) : 1,
    };
  }

  /** Adds the time since the model's last change, weighted by its in-flight balance during it. */
  private advanceModelTime(modelId: string, timeMs: number): void {
    const time = this.modelTimes.get(modelId) ?? { weightedJain: 0, busyMs: 0, lastChangeMs: timeMs };
    const elapsedMs = timeMs - time.lastChangeMs;
    const inFlight = [...this.replicas.values()].filter((r) => r.modelId === modelId && r.live).map((r) => r.inFlight);
    if (elapsedMs > 0 && inFlight.some((x) => x > 0)) {
      time.weightedJain += (jainIndex(inFlight) / evenSplitJainIndex(inFlight)) * elapsedMs;
      time.busyMs += elapsedMs;
    }
    time.lastChangeMs = timeMs;
    this.modelTimes.set(modelId, time);
  }

  private closeWindowsBefore(timeMs: number): void {
    while (timeMs >= this.windowStartMs + this.windowMs) {
      const endMs = this.windowStartMs + this.windowMs;
      if (this.fairness.length < MAX_WINDOWS * Math.max(1, this.modelTimes.size)) {
        this.sampleWindow(endMs);
      }
      for (const replica of this.replicas.values()) {
        replica.windowRequests = 0;
        replica.liveInWindow = replica.live;
      }
      this.windowStartMs = endMs;
    }
  }

  private sampleWindow(endMs: number): void {
    const byModel = new Map<string, number[]>();
    for (const replica of this.replicas.values()) {
      if (replica.liveInWindow) {
        byModel.set(replica.modelId, [...(byModel.get(replica.modelId) ?? []), replica.windowRequests]);
      }
    }
    for (const [modelId, counts] of [...byModel].sort(([a], [b]) => compare(a, b))) {
      if (counts.length >= 2 && counts.some((x) => x > 0)) {
        this.fairness.push({ timeMs: endMs - this.startMs, modelId, jainIndex: round(jainIndex(counts)) });
      }
    }
  }

  private replica(key: { modelId: string; nodeId: string; replicaIndex: number }): ReplicaState {
    const id = replicaId(key);
    let state = this.replicas.get(id);
    if (!state) {
      state = {
        modelId: key.modelId,
        nodeId: key.nodeId,
        replicaIndex: key.replicaIndex,
        requests: 0,
        inFlight: 0,
        peakInFlight: 0,
        live: false,
        windowRequests: 0,
        liveInWindow: false,
      };
      this.replicas.set(id, state);
    }
    return state;
  }
}

/** Jain's fairness index (Σx)² / (n Σx²); 1 for an empty or all-zero list. */
export function jainIndex(values: readonly number[]): number {
  const sum = values.reduce((total, x) => total + x, 0);
  const squares = values.reduce((total, x) => total + x * x, 0);
  return squares > 0 ? (sum * sum) / (values.length * squares) : 1;
}

/** Jain's index of the most even split of the same total over the same number of replicas. */
function evenSplitJainIndex(values: readonly number[]): number {
  const total = values.reduce((sum, x) => sum + x, 0);
  const n = values.length;
  const low = Math.floor(total / n);
  const high = total % n;
  return jainIndex([...Array<number>(high).fill(low + 1), ...Array<number>(n - high).fill(low)]);
}

/** Rounds to six decimals so the summary's bytes do not depend on floating-point noise in the last digits. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function compare(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
