import type { TopLevelSpec } from 'vega-lite';
import { EVICTION_REASONS } from '../../src/loader/events.js';
import type { RunSummary } from '../metrics/summary.js';
import type { LatencySample, RunTimeline } from '../metrics/timeline.js';
import { timeAxisUnit, type TimeAxisUnit } from './format.js';
import type { ChartDefinition } from './render-chart.js';
import type { ReplicaBalanceReport } from './report-types.js';

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CHART_WIDTH = 860;
const LANE_HEIGHT_PX = 16;
const GIB = 2 ** 30;

/**
 * Shared look of every chart. ARIA attributes are off because every mark would otherwise
 * carry a label, which multiplies the SVG size of a long run. The tables carry the numbers.
 */
const CONFIG = {
  aria: false,
  font: 'sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12, orient: 'right' },
} as const;

/** Colours of timeline events: loads in green and red, each eviction reason its own colour. */
const EVENT_COLOURS: Readonly<Record<string, string>> = {
  load: '#54a24b',
  'load failed': '#d62728',
  'evicted: lru': '#e45756',
  'evicted: group': '#f58518',
  'evicted: idle': '#72b7b2',
  'evicted: busy-timeout': '#b279a2',
  'evicted: memory': '#9d755d',
  'evicted: connection-error': '#ff9da6',
  'evicted: explicit': '#bab0ac',
  'evicted: cluster-lru': '#eeca3b',
  crash: '#000000',
};

const EVENT_ORDER = ['load', 'load failed', ...EVICTION_REASONS.map((reason) => `evicted: ${reason}`), 'crash'];

function spec(body: Record<string, unknown>): TopLevelSpec {
  return { $schema: VEGA_LITE_SCHEMA, config: CONFIG, ...body } as TopLevelSpec;
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Lane label of a model on a node: the model id alone in local mode. */
function laneOf(modelId: string, nodeId: string, distributed: boolean): string {
  return distributed ? `${nodeId} · ${modelId}` : modelId;
}

/**
 * Resident models over time: a lane per model (per node and model in distributed mode),
 * light while loading and dark while resident, with loads and evictions marked.
 */
export function residencyChart(timeline: RunTimeline, unit: TimeAxisUnit): ChartDefinition | undefined {
  const nodes = new Set([...timeline.residency.map((interval) => interval.nodeId), ...timeline.loads.map((load) => load.nodeId)]);
  const distributed = nodes.size > 1 || (nodes.size === 1 && !nodes.has('local'));
  const toUnit = (ms: number): number => round((ms - timeline.startMs) / unit.divisorMs, 4);

  const bars: Record<string, unknown>[] = [];
  const marks: Record<string, unknown>[] = [];
  for (const interval of timeline.residency) {
    const lane = laneOf(interval.modelId, interval.nodeId, distributed);
    if (interval.readyMs > interval.loadStartMs) {
      bars.push({ lane, start: toUnit(interval.loadStartMs), end: toUnit(interval.readyMs), state: 'loading' });
    }
    bars.push({ lane, start: toUnit(interval.readyMs), end: toUnit(interval.endMs), state: 'resident' });
    if (interval.endReason === 'crash') {
      marks.push({ lane, time: toUnit(interval.endMs), event: 'crash' });
    }
  }
  for (const load of timeline.loads) {
    const event = load.outcome === 'succeeded' ? 'load' : 'load failed';
    marks.push({ lane: laneOf(load.modelId, load.nodeId, distributed), time: toUnit(load.timeMs), event });
  }
  for (const eviction of timeline.evictions) {
    marks.push({ lane: laneOf(eviction.modelId, eviction.nodeId, distributed), time: toUnit(eviction.timeMs), event: `evicted: ${eviction.reason}` });
  }
  if (bars.length === 0 && marks.length === 0) {
    return undefined;
  }

  const lanes = [...new Set([...bars, ...marks].map((row) => String(row.lane)))].sort();
  const events = EVENT_ORDER.filter((event) => marks.some((mark) => mark.event === event));
  const x = { field: 'start', type: 'quantitative', title: `time (${unit.label})`, scale: { domain: [0, toUnit(timeline.endMs)], nice: false } };
  const y = { field: 'lane', type: 'nominal', sort: lanes, title: null };
  return {
    id: 'residency',
    title: 'Resident models over time',
    caption: 'One lane per model: light while loading, dark while resident. Points mark load starts and evictions, coloured by reason.',
    spec: spec({
      width: CHART_WIDTH,
      height: Math.max(60, lanes.length * LANE_HEIGHT_PX),
      layer: [
        {
          data: { values: bars },
          mark: { type: 'bar', height: LANE_HEIGHT_PX - 4 },
          encoding: {
            y,
            x,
            x2: { field: 'end' },
            color: { field: 'state', type: 'nominal', title: 'state', scale: { domain: ['loading', 'resident'], range: ['#c6dbef', '#4c78a8'] } },
          },
        },
        {
          data: { values: marks },
          mark: { type: 'point', filled: true, size: 36, opacity: 0.9 },
          encoding: {
            y,
            x: { ...x, field: 'time' },
            color: { field: 'event', type: 'nominal', title: 'event', scale: { domain: events, range: events.map((event) => EVENT_COLOURS[event]) } },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    }),
  };
}

/** Latency histogram of succeeded requests on log-spaced bins, with the run's percentiles as rules. */
export function latencyHistogramChart(summary: RunSummary, timeline: RunTimeline): ChartDefinition | undefined {
  const latencies = succeededLatencies(timeline.latencySamples);
  if (latencies.length === 0) {
    return undefined;
  }
  // Ten bins per decade, so a cold-load mode seconds away from the hit mode stays visible.
  const binsPerDecade = 10;
  const counts = new Map<number, number>();
  for (const latency of latencies) {
    const bin = Math.floor(Math.log10(Math.max(latency, 0.01)) * binsPerDecade);
    counts.set(bin, (counts.get(bin) ?? 0) + 1);
  }
  const bins = [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bin, count]) => ({ from: round(10 ** (bin / binsPerDecade)), to: round(10 ** ((bin + 1) / binsPerDecade)), count }));
  const percentiles = [
    { name: 'p50', latencyMs: summary.latency.p50Ms },
    { name: 'p90', latencyMs: summary.latency.p90Ms },
    { name: 'p99', latencyMs: summary.latency.p99Ms },
  ].filter((row) => row.latencyMs > 0);
  const x = { field: 'from', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } };

  return {
    id: 'latency-histogram',
    title: 'Latency distribution',
    caption: `Succeeded requests${timeline.truncated.latencySampleStride > 1 ? ` (one in ${timeline.truncated.latencySampleStride} sampled)` : ''}, with the run's p50, p90 and p99.`,
    spec: spec({
      width: CHART_WIDTH,
      height: 200,
      layer: [
        {
          data: { values: bins },
          mark: { type: 'rect', color: '#4c78a8', stroke: 'white', strokeWidth: 0.5 },
          encoding: { x, x2: { field: 'to' }, y: { field: 'count', type: 'quantitative', title: 'requests', scale: { zero: true } }, y2: { datum: 0 } },
        },
        {
          data: { values: percentiles },
          mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 },
          encoding: {
            x: { ...x, field: 'latencyMs' },
            color: { field: 'name', type: 'nominal', title: 'percentile', scale: { domain: ['p50', 'p90', 'p99'], range: ['#54a24b', '#f58518', '#e45756'] } },
          },
        },
      ],
    }),
  };
}

/** p50, p90 and p99 latency of succeeded requests per time bucket. */
export function latencyOverTimeChart(timeline: RunTimeline, unit: TimeAxisUnit): ChartDefinition | undefined {
  const succeeded = timeline.latencySamples.filter((sample) => sample.outcome === 'succeeded' && sample.latencyMs > 0);
  if (succeeded.length < 2) {
    return undefined;
  }
  const spanMs = Math.max(1, timeline.endMs - timeline.startMs);
  const bucketCount = Math.max(1, Math.min(60, Math.floor(succeeded.length / 20)));
  const bucketMs = spanMs / bucketCount;
  const buckets: number[][] = Array.from({ length: bucketCount }, () => []);
  for (const sample of succeeded) {
    const index = Math.min(bucketCount - 1, Math.floor((sample.timeMs - timeline.startMs) / bucketMs));
    buckets[Math.max(0, index)]!.push(sample.latencyMs);
  }

  const rows: Record<string, unknown>[] = [];
  buckets.forEach((latencies, index) => {
    if (latencies.length === 0) {
      return;
    }
    latencies.sort((a, b) => a - b);
    const time = round(((index + 0.5) * bucketMs) / unit.divisorMs, 4);
    for (const [name, quantile] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) {
      rows.push({ time, percentile: name, latencyMs: round(nearestRank(latencies, quantile)) });
    }
  });
  return {
    id: 'latency-over-time',
    title: 'Latency percentiles over time',
    caption: `Percentiles of succeeded requests by arrival time, in ${bucketCount} buckets of ${formatBucket(bucketMs)}.`,
    spec: spec({
      width: CHART_WIDTH,
      height: 200,
      data: { values: rows },
      mark: { type: 'line', point: { size: 12 } },
      encoding: {
        x: { field: 'time', type: 'quantitative', title: `arrival time (${unit.label})` },
        y: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
        color: { field: 'percentile', type: 'nominal', title: 'percentile', scale: { domain: ['p50', 'p90', 'p99'], range: ['#54a24b', '#f58518', '#e45756'] } },
      },
    }),
  };
}

/** GPU memory in use per node as a step line, with the reclaimer threshold and the capacity as rules. */
export function memoryChart(timeline: RunTimeline, unit: TimeAxisUnit): ChartDefinition | undefined {
  const rows: Record<string, unknown>[] = [];
  const rules: Record<string, unknown>[] = [];
  for (const series of timeline.memory) {
    for (const sample of series.samples) {
      rows.push({ node: series.nodeId, time: round((sample.timeMs - timeline.startMs) / unit.divisorMs, 4), usedGiB: round(sample.usedBytes / GIB) });
    }
    const last = series.samples.at(-1);
    if (last !== undefined) {
      // A step lasts until the next sample, so the last one is drawn to the end of the run.
      rows.push({ node: series.nodeId, time: round((timeline.endMs - timeline.startMs) / unit.divisorMs, 4), usedGiB: round(last.usedBytes / GIB) });
    }
    rules.push({ node: series.nodeId, line: 'capacity', gib: round(series.totalBytes / GIB) });
    if (series.thresholdFraction !== null) {
      rules.push({ node: series.nodeId, line: 'threshold', gib: round((series.totalBytes * series.thresholdFraction) / GIB) });
    }
  }
  if (rows.length === 0) {
    return undefined;
  }
  return {
    id: 'memory',
    title: 'GPU memory over time',
    caption: 'Memory in use per node; the dashed rules are the reclaimer threshold and the capacity.',
    spec: spec({
      width: CHART_WIDTH,
      height: 200,
      layer: [
        {
          data: { values: rows },
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: {
            x: { field: 'time', type: 'quantitative', title: `time (${unit.label})` },
            y: { field: 'usedGiB', type: 'quantitative', title: 'GiB' },
            color: { field: 'node', type: 'nominal', title: 'node' },
          },
        },
        {
          data: { values: rules },
          mark: { type: 'rule', color: '#555' },
          encoding: {
            y: { field: 'gib', type: 'quantitative' },
            strokeDash: { field: 'line', type: 'nominal', title: 'rule', scale: { domain: ['threshold', 'capacity'], range: [[6, 3], [2, 2]] } },
          },
        },
      ],
    }),
  };
}

/** Cold loads per model against the model's share of requests, one labelled point per model. */
export function coldLoadsChart(summary: RunSummary): ChartDefinition | undefined {
  if (summary.models.length === 0 || summary.requests.total === 0) {
    return undefined;
  }
  const rows = summary.models.map((model) => ({ model: model.modelId, requests: model.requests, coldLoads: model.coldLoads }));
  // Labels past the busiest 25 models would overlap into noise.
  const labelled = new Set([...rows].sort((a, b) => b.requests - a.requests || a.model.localeCompare(b.model)).slice(0, 25).map((row) => row.model));
  const x = { field: 'requests', type: 'quantitative', title: 'requests (popularity)', scale: { padding: 12 } };
  const y = { field: 'coldLoads', type: 'quantitative', title: 'cold loads' };
  return {
    id: 'cold-loads',
    title: 'Cold loads per model against popularity',
    caption: 'A popular model with many cold loads is being evicted while still in demand.',
    spec: spec({
      width: CHART_WIDTH,
      height: 260,
      layer: [
        { data: { values: rows }, mark: { type: 'point', filled: true, size: 60, color: '#4c78a8' }, encoding: { x, y } },
        {
          data: { values: rows.filter((row) => labelled.has(row.model)) },
          mark: { type: 'text', align: 'left', dx: 6, fontSize: 10, color: '#333' },
          encoding: { x, y, text: { field: 'model', type: 'nominal' } },
        },
      ],
    }),
  };
}

/** Requests and peak in-flight calls per replica, for distributed runs that measured them. */
export function replicaBalanceChart(balance: ReplicaBalanceReport): ChartDefinition | undefined {
  if (balance.replicas.length === 0) {
    return undefined;
  }
  const rows = balance.replicas.map((replica) => ({
    replica: `${replica.modelId} · ${replica.nodeId}#${replica.replicaIndex}`,
    model: replica.modelId,
    requests: replica.requests,
    peakInFlight: replica.peakInFlight,
  }));
  const y = { field: 'replica', type: 'nominal', title: null, sort: rows.map((row) => row.replica) };
  return {
    id: 'replica-balance',
    title: 'Replica balance',
    caption: 'Requests served by each replica (bars) and its peak in-flight calls (right).',
    spec: spec({
      hconcat: [
        {
          width: 520,
          height: Math.max(60, rows.length * LANE_HEIGHT_PX),
          data: { values: rows },
          mark: 'bar',
          encoding: { y, x: { field: 'requests', type: 'quantitative', title: 'requests' }, color: { field: 'model', type: 'nominal', title: 'model' } },
        },
        {
          width: 200,
          height: Math.max(60, rows.length * LANE_HEIGHT_PX),
          data: { values: rows },
          mark: { type: 'tick', thickness: 3 },
          encoding: { y: { ...y, axis: null }, x: { field: 'peakInFlight', type: 'quantitative', title: 'peak in-flight' }, color: { field: 'model', type: 'nominal' } },
        },
      ],
    }),
  };
}

/** Jain's fairness index over time per model: 1 means every replica took an equal share. */
export function fairnessChart(balance: ReplicaBalanceReport, startMs: number, unit: TimeAxisUnit): ChartDefinition | undefined {
  const points = balance.fairnessOverTime ?? [];
  if (points.length === 0) {
    return undefined;
  }
  const rows = points.map((point) => ({ time: round((point.timeMs - startMs) / unit.divisorMs, 4), model: point.modelId, jain: round(point.jainIndex, 4) }));
  return {
    id: 'fairness',
    title: 'Fairness over time',
    caption: "Jain's fairness index of requests over each model's replicas (1 = perfectly even).",
    spec: spec({
      width: CHART_WIDTH,
      height: 200,
      data: { values: rows },
      mark: 'line',
      encoding: {
        x: { field: 'time', type: 'quantitative', title: `time (${unit.label})` },
        y: { field: 'jain', type: 'quantitative', title: "Jain's index", scale: { domain: [0, 1] } },
        color: { field: 'model', type: 'nominal', title: 'model' },
      },
    }),
  };
}

/** Builds every run-report chart that has data, in report order. */
export function runCharts(summary: RunSummary, timeline: RunTimeline, balance: ReplicaBalanceReport | undefined): ChartDefinition[] {
  const unit = timeAxisUnit(timeline.endMs - timeline.startMs);
  const charts = [
    residencyChart(timeline, unit),
    latencyHistogramChart(summary, timeline),
    latencyOverTimeChart(timeline, unit),
    memoryChart(timeline, unit),
    balance !== undefined ? replicaBalanceChart(balance) : undefined,
    balance !== undefined ? fairnessChart(balance, timeline.startMs, unit) : undefined,
    coldLoadsChart(summary),
  ];
  return charts.filter((chart): chart is ChartDefinition => chart !== undefined);
}

function succeededLatencies(samples: readonly LatencySample[]): number[] {
  return samples.filter((sample) => sample.outcome === 'succeeded').map((sample) => sample.latencyMs);
}

/** Nearest-rank quantile of sorted values, the method the summary's percentiles use. */
function nearestRank(sorted: readonly number[], quantile: number): number {
  const rank = Math.max(1, Math.ceil(quantile * sorted.length));
  return sorted[rank - 1]!;
}

function formatBucket(ms: number): string {
  return ms >= 1000 ? `${round(ms / 1000, 1)} s` : `${round(ms, 1)} ms`;
}
