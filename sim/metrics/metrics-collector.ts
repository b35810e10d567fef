import { EVICTION_REASONS, type EvictionReason, type LoaderEvent } from '../../src/loader/events.js';
import { CappedList, MemoryStepSeries, ThinningBuffer } from './bounded-series.js';
import { LatencyDigest } from './latency-digest.js';
import { ModelSequence } from './offline-optimum.js';
import {
  REQUEST_FAILURE_REASONS,
  type InvariantViolation,
  type ModelSummary,
  type RequestFailureReason,
  type RunSummary,
} from './summary.js';
import {
  TIMELINE_MARK_LIMIT,
  TIMELINE_SAMPLE_LIMIT,
  TIMELINE_SCHEMA_VERSION,
  type EvictionMark,
  type LatencySample,
  type LoadMark,
  type ResidencyEnd,
  type ResidencyInterval,
  type RunTimeline,
} from './timeline.js';

/** Violations kept in the summary; the counters keep counting past it. */
const VIOLATIONS_KEPT = 100;

/** A model as the collector needs to know it, for invariant checks and per-model figures. */
export interface CollectedModel {
  modelId: string;
  groups: readonly string[];
  pinned: boolean;
}

/** Options of `MetricsCollector`. */
export interface MetricsCollectorOptions {
  models: readonly CollectedModel[];
  /** The loader's LRU limit; 0 = none. */
  lruLimit: number;
  gpuMemoryBytes: number;
  /** Reclaimer threshold as a fraction; null when the reclaimer is off. */
  memoryThreshold: number | null;
  /** An eviction followed by a load of the same model within this window counts as thrash. Default 60,000 ms. */
  thrashWindowMs?: number;
  /** Clock time of the run's start; every reported time counts from it. Default 0. */
  startMs?: number;
  /** Node of every mark in the timeline. Default `local`. */
  nodeId?: string;
}

/** The end of one request, as the runner reports it. */
export interface RequestRecord {
  modelId: string;
  arrivalMs: number;
  endMs: number;
  /** True when the model was resident and ready as the request arrived. */
  hit: boolean;
  outcome: 'succeeded' | RequestFailureReason;
}

/** The parts of the summary the collector measures; the runner adds scenario, config and expectations. */
export type CollectedSummary = Pick<
  RunSummary,
  | 'durationMs'
  | 'requests'
  | 'hitRatio'
  | 'loads'
  | 'evictions'
  | 'admissionWait'
  | 'latency'
  | 'models'
  | 'memory'
  | 'invariants'
  | 'offlineOptimum'
>;

interface ModelCounters {
  requests: number;
  succeeded: number;
  failed: number;
  hits: number;
  coldLoads: number;
  evictions: number;
  residentMs: number;
  latency: LatencyDigest;
}

interface OpenResidency {
  loadStartMs: number;
  readyMs: number;
}

/**
 * Turns loader events, request outcomes and memory changes into the run's metrics and
 * timeline. It keeps its own view of which models are resident, built from `load-succeeded`,
 * `evicted` and unintentional `backend-exited` events, and checks the LRU limit and the
 * concurrency groups against that view. So a loader bug shows up here even when the loader
 * reports nothing.
 *
 * Memory: counters per model, latency digests (bounded, see `LatencyDigest`), timeline lists
 * capped at `TIMELINE_MARK_LIMIT` or thinned to `TIMELINE_SAMPLE_LIMIT`, and the model
 * sequence for the offline optimum (4 bytes per request, the one part that grows with the trace).
 */
export class MetricsCollector {
  private readonly lruLimit: number;
  private readonly memoryTotal: number;
  private readonly memoryThreshold: number | null;
  private readonly thrashWindowMs: number;
  private readonly startMs: number;
  private readonly nodeId: string;
  private readonly groupsOf = new Map<string, readonly string[]>();
  private readonly perModel = new Map<string, ModelCounters>();

  private readonly failedByReason = zeroCounts(REQUEST_FAILURE_REASONS);
  private requestsTotal = 0;
  private requestsSucceeded = 0;
  private hits = 0;
  private readonly latency = new LatencyDigest();
  private readonly sequence = new ModelSequence();
  private firstArrivalMs: number | undefined;
  private lastArrivalMs = 0;

  private coldLoads = 0;
  private loadsSucceeded = 0;
  private loadsFailed = 0;
  private coalesced = 0;
  private readonly loadTime = new LatencyDigest();
  private loadTimeTotal = 0;
  private readonly loadStarts = new Map<string, number>();

  private readonly evictionsByReason = zeroCounts(EVICTION_REASONS);
  private evictionsTotal = 0;
  private thrash = 0;
  private readonly lastEvictedMs = new Map<string, number>();
  private admissionWaits = 0;
  private admissionWaitTotal = 0;
  private admissionWaitMax = 0;

  private readonly resident = new Map<string, OpenResidency>();
  /** Overflows the loader reported for loads not yet finished, by model and rule, with the blockers. */
  private readonly overflowReported = new Map<string, Map<'lru' | 'group', string[]>>();
  /** Resident models whose load went past a rule, with the rules they broke; they explain later breaches. */
  private readonly admittedPastRules = new Map<string, Set<'lru' | 'group'>>();
  private lruOverflows = 0;
  private groupCoResidences = 0;
  private unexplained = 0;
  private readonly violations: InvariantViolation[] = [];

  private memoryUsed = 0;
  private memoryPeak = 0;
  private memoryChangedMs: number;
  private memoryIntegral = 0;
  private aboveThresholdMs = 0;
  private readonly memorySeries = new MemoryStepSeries(TIMELINE_SAMPLE_LIMIT);

  private readonly residency = new CappedList<ResidencyInterval>(TIMELINE_MARK_LIMIT);
  private readonly loadMarks = new CappedList<LoadMark>(TIMELINE_MARK_LIMIT);
  private readonly evictionMarks = new CappedList<EvictionMark>(TIMELINE_MARK_LIMIT);
  private readonly latencySamples = new ThinningBuffer<LatencySample>(TIMELINE_SAMPLE_LIMIT);

  constructor(options: MetricsCollectorOptions) {
    this.lruLimit = options.lruLimit;
    this.memoryTotal = options.gpuMemoryBytes;
    this.memoryThreshold = options.memoryThreshold;
    this.thrashWindowMs = options.thrashWindowMs ?? 60_000;
    this.startMs = options.startMs ?? 0;
    this.nodeId = options.nodeId ?? 'local';
    this.memoryChangedMs = 0;
    for (const model of options.models) {
      this.groupsOf.set(model.modelId, model.groups);
      this.counters(model.modelId);
    }
    this.memorySeries.record(0, 0);
  }

  /** Records a request's arrival, in arrival order, for the offline optimum. */
  recordArrival(modelId: string, arrivalMs: number): void {
    const timeMs = arrivalMs - this.startMs;
    this.sequence.push(modelId);
    this.firstArrivalMs ??= timeMs;
    this.lastArrivalMs = timeMs;
  }

  /** First and last arrival times, counted from the run's start; 0 and 0 with no request. */
  arrivalSpan(): { firstArrivalMs: number; lastArrivalMs: number } {
    return { firstArrivalMs: this.firstArrivalMs ?? 0, lastArrivalMs: this.lastArrivalMs };
  }

  /** Records how a request ended. Call once per request. */
  recordRequest(record: RequestRecord): void {
    const counters = this.counters(record.modelId);
    const latencyMs = record.endMs - record.arrivalMs;
    this.requestsTotal += 1;
    counters.requests += 1;
    if (record.hit) {
      this.hits += 1;
      counters.hits += 1;
    }
    if (record.outcome === 'succeeded') {
      this.requestsSucceeded += 1;
      counters.succeeded += 1;
      this.latency.add(latencyMs);
      counters.latency.add(latencyMs);
    } else {
      this.failedByReason[record.outcome] += 1;
      counters.failed += 1;
    }
    this.latencySamples.offer({
      timeMs: record.arrivalMs - this.startMs,
      modelId: record.modelId,
      latencyMs,
      outcome: record.outcome,
    });
  }

  /** Records GPU memory in use after a change. */
  recordMemory(clockMs: number, usedBytes: number): void {
    const timeMs = clockMs - this.startMs;
    this.advanceMemoryClock(timeMs);
    this.memoryUsed = usedBytes;
    this.memoryPeak = Math.max(this.memoryPeak, usedBytes);
    this.memorySeries.record(timeMs, usedBytes);
  }

  /** Handles one loader event; subscribe it with `loader.events.on(...)`. */
  onLoaderEvent(event: LoaderEvent): void {
    const timeMs = event.timeMs - this.startMs;
    switch (event.type) {
      case 'load-started':
        this.onLoadStarted(event.modelId, timeMs);
        return;
      case 'load-succeeded':
        this.onLoadSucceeded(event.modelId, timeMs, event.durationMs);
        return;
      case 'load-failed':
        this.onLoadFailed(event.modelId, timeMs);
        return;
      case 'load-coalesced':
        this.coalesced += 1;
        return;
      case 'evicted':
        this.onEvicted(event.modelId, timeMs, event.reason, event.forced, event.forModelId);
        return;
      case 'backend-exited':
        if (!event.intentional) this.closeResidency(event.modelId, timeMs, 'crash');
        return;
      case 'admission-waited':
        this.admissionWaits += 1;
        this.admissionWaitTotal += event.waitedMs;
        this.admissionWaitMax = Math.max(this.admissionWaitMax, event.waitedMs);
        return;
      case 'overflow': {
        let kinds = this.overflowReported.get(event.modelId);
        if (!kinds) {
          kinds = new Map();
          this.overflowReported.set(event.modelId, kinds);
        }
        kinds.set(event.kind, [...event.blockers]);
        return;
      }
      case 'resident-hit':
      case 'cooldown-rejected':
      case 'eviction-skipped':
        return;
    }
  }

  /** Closes open intervals at `clockMs` and returns the summary figures and the timeline. */
  finish(clockMs: number): { summary: CollectedSummary; timeline: RunTimeline } {
    const endMs = clockMs - this.startMs;
    this.advanceMemoryClock(endMs);
    for (const modelId of [...this.resident.keys()]) this.closeResidency(modelId, endMs, 'run-end');
    return { summary: this.summarize(endMs), timeline: this.timeline(endMs) };
  }

  private onLoadStarted(modelId: string, timeMs: number): void {
    this.coldLoads += 1;
    this.counters(modelId).coldLoads += 1;
    this.loadStarts.set(modelId, timeMs);
    const evictedMs = this.lastEvictedMs.get(modelId);
    if (evictedMs !== undefined && timeMs - evictedMs <= this.thrashWindowMs) this.thrash += 1;
  }

  private onLoadSucceeded(modelId: string, timeMs: number, durationMs: number): void {
    this.loadsSucceeded += 1;
    this.loadTime.add(durationMs);
    this.loadTimeTotal += durationMs;
    const loadStartMs = this.loadStarts.get(modelId) ?? timeMs - durationMs;
    this.loadStarts.delete(modelId);
    this.loadMarks.push({ timeMs: loadStartMs, modelId, nodeId: this.nodeId, durationMs, outcome: 'succeeded' });
    this.resident.set(modelId, { loadStartMs, readyMs: timeMs });
    this.checkInvariants(modelId, timeMs);
    const reported = this.overflowReported.get(modelId);
    if (reported) this.admittedPastRules.set(modelId, new Set(reported.keys()));
    this.overflowReported.delete(modelId);
  }

  private onLoadFailed(modelId: string, timeMs: number): void {
    this.loadsFailed += 1;
    const loadStartMs = this.loadStarts.get(modelId) ?? timeMs;
    this.loadStarts.delete(modelId);
    this.loadMarks.push({ timeMs: loadStartMs, modelId, nodeId: this.nodeId, durationMs: timeMs - loadStartMs, outcome: 'failed' });
    this.overflowReported.delete(modelId);
  }

  private onEvicted(
    modelId: string,
    timeMs: number,
    reason: EvictionReason,
    forced: boolean,
    forModelId: string | undefined,
  ): void {
    this.evictionsTotal += 1;
    this.evictionsByReason[reason] += 1;
    this.counters(modelId).evictions += 1;
    this.lastEvictedMs.set(modelId, timeMs);
    this.evictionMarks.push({
      timeMs,
      modelId,
      nodeId: this.nodeId,
      reason,
      forced,
      ...(forModelId !== undefined && { forModelId }),
    });
    this.closeResidency(modelId, timeMs, reason);
  }

  private closeResidency(modelId: string, timeMs: number, endReason: ResidencyEnd): void {
    const open = this.resident.get(modelId);
    if (!open) return;
    this.resident.delete(modelId);
    this.admittedPastRules.delete(modelId);
    this.counters(modelId).residentMs += timeMs - open.readyMs;
    this.residency.push({ modelId, nodeId: this.nodeId, ...open, endMs: timeMs, endReason });
  }

  /**
   * Checks the LRU limit and the groups as the load of `modelId` completes. A breach is
   * explained when this load reported an overflow of that rule, or when a resident model
   * that takes part in the breach was itself loaded past the rule and reported it.
   */
  private checkInvariants(modelId: string, timeMs: number): void {
    const residents = [...this.resident.keys()].sort();
    const reported = this.overflowReported.get(modelId);

    if (this.lruLimit > 0 && residents.length > this.lruLimit) {
      this.lruOverflows += 1;
      const earlier = residents.filter((other) => other !== modelId && this.admittedPastRules.get(other)?.has('lru'));
      this.addViolation('lru', modelId, timeMs, residents, [], reported?.get('lru'), earlier);
    }

    const groups = this.groupsOf.get(modelId) ?? [];
    const shared = new Set<string>();
    const partners: string[] = [];
    for (const other of residents) {
      if (other === modelId) continue;
      const common = (this.groupsOf.get(other) ?? []).filter((group) => groups.includes(group));
      if (common.length === 0) continue;
      partners.push(other);
      for (const group of common) shared.add(group);
    }
    if (shared.size > 0) {
      this.groupCoResidences += 1;
      const earlier = partners.filter((other) => this.admittedPastRules.get(other)?.has('group'));
      this.addViolation('group', modelId, timeMs, residents, [...shared].sort(), reported?.get('group'), earlier);
    }
  }

  private addViolation(
    kind: 'lru' | 'group',
    modelId: string,
    timeMs: number,
    residents: string[],
    groups: string[],
    blockers: string[] | undefined,
    loadedPastRuleEarlier: string[],
  ): void {
    const explained = blockers !== undefined || loadedPastRuleEarlier.length > 0;
    if (!explained) this.unexplained += 1;
    if (this.violations.length >= VIOLATIONS_KEPT) return;
    const rule = kind === 'lru' ? 'LRU limit' : 'group rule';
    let reason: string;
    if (blockers !== undefined) {
      reason = `the loader waited for ${blockers.join(', ')} to make room and then loaded past the ${rule}`;
    } else if (loadedPastRuleEarlier.length > 0) {
      reason = `${loadedPastRuleEarlier.join(', ')} had been loaded past the ${rule} earlier and was still resident`;
    } else {
      reason = `the loader reported no ${kind} overflow for this load or the models resident with it`;
    }
    this.violations.push({ timeMs, kind, modelId, residents, groups, explained, reason });
  }

  private advanceMemoryClock(timeMs: number): void {
    const elapsedMs = Math.max(0, timeMs - this.memoryChangedMs);
    this.memoryIntegral += this.memoryUsed * elapsedMs;
    if (this.memoryThreshold !== null && this.memoryTotal > 0 && this.memoryUsed / this.memoryTotal > this.memoryThreshold) {
      this.aboveThresholdMs += elapsedMs;
    }
    this.memoryChangedMs = Math.max(this.memoryChangedMs, timeMs);
  }

  private counters(modelId: string): ModelCounters {
    let counters = this.perModel.get(modelId);
    if (!counters) {
      counters = { requests: 0, succeeded: 0, failed: 0, hits: 0, coldLoads: 0, evictions: 0, residentMs: 0, latency: new LatencyDigest() };
      this.perModel.set(modelId, counters);
    }
    return counters;
  }

  private summarize(endMs: number): CollectedSummary {
    const total = this.requestsTotal;
    const perThousand = (count: number): number => (total > 0 ? (count * 1000) / total : 0);
    const optimum = this.sequence.optimumColdLoads(this.lruLimit);
    const models: ModelSummary[] = [...this.perModel.keys()].sort().map((modelId) => {
      const c = this.perModel.get(modelId)!;
      return {
        modelId,
        requests: c.requests,
        succeeded: c.succeeded,
        failed: c.failed,
        hits: c.hits,
        coldLoads: c.coldLoads,
        evictions: c.evictions,
        residentMs: c.residentMs,
        latency: c.latency.stats(),
      };
    });
    const perThousandByReason = zeroCounts(EVICTION_REASONS);
    for (const reason of EVICTION_REASONS) perThousandByReason[reason] = perThousand(this.evictionsByReason[reason]);
    const loadStats = this.loadTime.stats();

    return {
      durationMs: endMs,
      requests: {
        total,
        succeeded: this.requestsSucceeded,
        failed: total - this.requestsSucceeded,
        failedByReason: { ...this.failedByReason },
      },
      hitRatio: total > 0 ? this.hits / total : 0,
      loads: {
        cold: this.coldLoads,
        succeeded: this.loadsSucceeded,
        failed: this.loadsFailed,
        coalescedWaiters: this.coalesced,
        perThousandRequests: perThousand(this.coldLoads),
        loadTimeMs: {
          total: this.loadTimeTotal,
          mean: loadStats.meanMs,
          p50: loadStats.p50Ms,
          p99: loadStats.p99Ms,
          max: loadStats.maxMs,
        },
      },
      evictions: {
        total: this.evictionsTotal,
        byReason: { ...this.evictionsByReason },
        perThousandRequests: perThousand(this.evictionsTotal),
        perThousandRequestsByReason: perThousandByReason,
        thrash: { count: this.thrash, windowMs: this.thrashWindowMs },
      },
      admissionWait: { count: this.admissionWaits, totalMs: this.admissionWaitTotal, maxMs: this.admissionWaitMax },
      latency: this.latency.stats(),
      models,
      memory: {
        totalBytes: this.memoryTotal,
        peakBytes: this.memoryPeak,
        peakFraction: this.memoryTotal > 0 ? this.memoryPeak / this.memoryTotal : 0,
        meanUsedBytes: endMs > 0 ? this.memoryIntegral / endMs : this.memoryUsed,
        thresholdFraction: this.memoryThreshold,
        timeAboveThresholdMs: this.aboveThresholdMs,
      },
      invariants: {
        lruOverflows: this.lruOverflows,
        groupCoResidences: this.groupCoResidences,
        unexplained: this.unexplained,
        violations: this.violations.map((v) => ({ ...v })),
      },
      offlineOptimum: {
        lruLimit: this.lruLimit,
        coldLoads: optimum,
        ratio: optimum > 0 ? this.coldLoads / optimum : null,
      },
    };
  }

  private timeline(endMs: number): RunTimeline {
    return {
      schemaVersion: TIMELINE_SCHEMA_VERSION,
      startMs: 0,
      endMs,
      models: [...this.perModel.keys()].sort(),
      residency: this.residency.items(),
      loads: this.loadMarks.items(),
      evictions: this.evictionMarks.items(),
      latencySamples: this.latencySamples.items(),
      memory: [
        {
          nodeId: this.nodeId,
          totalBytes: this.memoryTotal,
          thresholdFraction: this.memoryThreshold,
          samples: this.memorySeries.items(),
        },
      ],
      truncated: {
        residency: this.residency.truncated,
        loads: this.loadMarks.truncated,
        evictions: this.evictionMarks.truncated,
        latencySampleStride: this.latencySamples.stride,
      },
    };
  }
}

function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  const counts = {} as Record<K, number>;
  for (const key of keys) counts[key] = 0;
  return counts;
}
