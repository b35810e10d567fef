import type { RunSummary } from '../metrics/summary.js';
import type { RunTimeline } from '../metrics/timeline.js';
import { runScenario, type RunOptions } from '../run/run-scenario.js';
import type { Scenario } from '../scenario/types.js';

/** One routing configuration of the comparison. */
export interface RoutingVariant {
  /** e.g. `registry, 3 frontends` or `cache 5000 ms, 8 frontends`. */
  label: string;
  frontends: number;
  replicaCache: boolean;
  replicaCacheRefreshMs: number;
}

/** The headline figures of one variant. */
export interface RoutingComparisonRow {
  label: string;
  frontends: number;
  replicaCache: boolean;
  replicaCacheRefreshMs: number | null;
  /** Request-weighted Jain's index of requests per replica over models with two or more replicas. */
  jainIndex: number | null;
  /** The same for calls in flight, relative to the most even split, averaged over busy time. */
  inFlightJainIndex: number | null;
  p50LatencyMs: number;
  p99LatencyMs: number;
  failedRequests: number;
  /**
   * Registry reads and picks per request (`acquireReplica` and `listReplicas`), the calls a
   * request may wait for; in-flight updates, heartbeats and reconciler passes are left out.
   */
  pickCallsPerRequest: number;
}

/** Options of `compareRouting`. */
export interface CompareRoutingOptions {
  /** Default [1, 3, 8]. */
  frontendCounts?: readonly number[];
  /** Refresh intervals of the replica cache, one cache variant each. Default: the scenario's. */
  replicaCacheRefreshMs?: readonly number[];
  /** Options of every run; each run uses the same seed and workload settings. */
  run?: RunOptions;
}

/**
 * Runs a distributed scenario once per routing variant: registry routing and the replica
 * cache, each with every frontend count. Every run replays the same seeded workload, so
 * the differences come from routing alone.
 */
export async function compareRouting(
  scenario: Scenario,
  options: CompareRoutingOptions = {},
): Promise<{ rows: RoutingComparisonRow[]; runs: { label: string; summary: RunSummary; timeline: RunTimeline }[] }> {
  const refreshIntervals = options.replicaCacheRefreshMs ?? [scenario.frontends.replicaCacheRefreshMs];
  const variants: RoutingVariant[] = (options.frontendCounts ?? [1, 3, 8]).flatMap((frontends) => [
    { label: `registry, ${frontends} frontend(s)`, frontends, replicaCache: false, replicaCacheRefreshMs: refreshIntervals[0]! },
    ...refreshIntervals.map((refreshMs) => ({
      label: `cache ${refreshMs} ms, ${frontends} frontend(s)`,
      frontends,
      replicaCache: true,
      replicaCacheRefreshMs: refreshMs,
    })),
  ]);

  const runs: { label: string; summary: RunSummary; timeline: RunTimeline }[] = [];
  for (const variant of variants) {
    const configured: Scenario = {
      ...scenario,
      frontends: { count: variant.frontends, replicaCache: variant.replicaCache, replicaCacheRefreshMs: variant.replicaCacheRefreshMs },
    };
    const { summary, timeline } = await runScenario(configured, options.run);
    runs.push({ label: variant.label, summary, timeline });
  }
  return { rows: runs.map((run, i) => toRow(variants[i]!, run.summary)), runs };
}

function toRow(variant: RoutingVariant, summary: RunSummary): RoutingComparisonRow {
  const calls = summary.distributed?.registryCalls ?? {};
  const pickCalls = (calls['acquireReplica'] ?? 0) + (calls['listReplicas'] ?? 0);
  return {
    label: variant.label,
    frontends: variant.frontends,
    replicaCache: variant.replicaCache,
    replicaCacheRefreshMs: variant.replicaCache ? variant.replicaCacheRefreshMs : null,
    jainIndex: summary.replicaBalance?.overall.jainIndex ?? null,
    inFlightJainIndex: summary.replicaBalance?.overall.inFlightJainIndex ?? null,
    p50LatencyMs: summary.latency.p50Ms,
    p99LatencyMs: summary.latency.p99Ms,
    failedRequests: summary.requests.failed,
    pickCallsPerRequest: summary.requests.total > 0 ? pickCalls / summary.requests.total : 0,
  };
}
