import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../metrics/summary.js';
import type { RunTimeline } from '../metrics/timeline.js';
import { formatBytes, formatCount, formatDecimal, formatDurationMs, formatPercent, timeAxisUnit } from './format.js';
import { html, SafeHtml } from './html.js';
import { chartFigure, page, table } from './page.js';
import { renderChart, type ChartDefinition } from './render-chart.js';

/** One configuration of a comparison: a label and the results of its run. */
export interface ComparedRun {
  /** Short name of the configuration, e.g. `lru, limit 3`. */
  label: string;
  summary: RunSummary;
  timeline?: RunTimeline;
}

/** A headline metric of the comparison table and which direction is better. */
interface ComparedMetric {
  name: string;
  better: 'lower' | 'higher' | 'none';
  value: (summary: RunSummary) => number | null;
  format: (value: number) => string;
}

const METRICS: readonly ComparedMetric[] = [
  { name: 'requests', better: 'none', value: (s) => s.requests.total, format: formatCount },
  { name: 'failed requests', better: 'lower', value: (s) => s.requests.failed, format: formatCount },
  { name: 'hit ratio', better: 'higher', value: (s) => s.hitRatio, format: formatPercent },
  { name: 'cold loads', better: 'lower', value: (s) => s.loads.cold, format: formatCount },
  { name: 'cold loads / offline optimum', better: 'lower', value: (s) => s.offlineOptimum.ratio, format: (v) => `${formatDecimal(v)}×` },
  { name: 'evictions per 1,000', better: 'lower', value: (s) => s.evictions.perThousandRequests, format: formatDecimal },
  { name: 'thrash', better: 'lower', value: (s) => s.evictions.thrash.count, format: formatCount },
  { name: 'p50 latency', better: 'lower', value: (s) => s.latency.p50Ms, format: formatDurationMs },
  { name: 'p90 latency', better: 'lower', value: (s) => s.latency.p90Ms, format: formatDurationMs },
  { name: 'p99 latency', better: 'lower', value: (s) => s.latency.p99Ms, format: formatDurationMs },
  { name: 'max latency', better: 'lower', value: (s) => s.latency.maxMs, format: formatDurationMs },
  { name: 'invariant violations', better: 'lower', value: (s) => s.invariants.lruOverflows + s.invariants.groupCoResidences, format: formatCount },
  { name: 'unexplained violations', better: 'lower', value: (s) => s.invariants.unexplained, format: formatCount },
  { name: "Jain's index, requests per replica", better: 'higher', value: (s) => s.replicaBalance?.overall.jainIndex ?? null, format: (v) => v.toFixed(4) },
  { name: "Jain's index, calls in flight", better: 'higher', value: (s) => s.replicaBalance?.overall.inFlightJainIndex ?? null, format: (v) => v.toFixed(4) },
  { name: 'peak GPU memory', better: 'lower', value: (s) => s.memory.peakFraction, format: formatPercent },
  { name: 'time above threshold', better: 'lower', value: (s) => s.memory.timeAboveThresholdMs, format: formatDurationMs },
  { name: 'failed expectations', better: 'lower', value: (s) => s.expectations.results.filter((result) => !result.passed).length, format: formatCount },
];

/**
 * Renders several configurations of one scenario side by side as one self-contained HTML
 * file: a table of headline metrics with the best value of each row marked, and charts
 * with one series per configuration. Runs should share the trace and the seed, or the
 * differences mix configuration and workload.
 */
export async function renderComparisonReport(runs: readonly ComparedRun[], title = 'Comparison'): Promise<string> {
  const charts = await Promise.all(comparisonCharts(runs).map(renderChart));
  const seeds = [...new Set(runs.map((run) => run.summary.seed))];
  const scenarios = [...new Set(runs.map((run) => run.summary.scenario.name))];
  const body = html`<header>
<h1>${title}</h1>
<dl class="meta">
<dt>scenario</dt><dd>${scenarios.join(', ')}</dd>
<dt>seed</dt><dd>${seeds.join(', ')}</dd>
<dt>code version</dt><dd>${[...new Set(runs.map((run) => run.summary.codeVersion))].join(', ')}</dd>
</dl>
${seeds.length > 1 ? html`<p class="note fail">The runs used different seeds, so their workloads differ.</p>` : ''}
</header>
<section id="comparison"><h2>Headline metrics</h2>
${metricTable(runs)}
<p class="note">The best value of each row is highlighted; rows where every run is equal have none.</p>
<h2>Configurations</h2>
${configTable(runs)}
</section>
${charts.map(chartFigure)}
`;
  return page(title, body);
}

/** Returns the indexes of the best values, or none when every value is equal or better is `none`. */
export function bestIndexes(values: readonly (number | null)[], better: ComparedMetric['better']): Set<number> {
  const known = values.filter((value): value is number => value !== null);
  if (better === 'none' || known.length === 0 || known.every((value) => value === known[0])) {
    return new Set();
  }
  const best = better === 'lower' ? Math.min(...known) : Math.max(...known);
  return new Set(values.flatMap((value, index) => (value === best ? [index] : [])));
}

function metricTable(runs: readonly ComparedRun[]): SafeHtml {
  // A metric no run has (replica balance in local mode) would only add a row of n/a.
  const shown = METRICS.filter((metric) => runs.some((run) => metric.value(run.summary) !== null));
  const rows = shown.map((metric) => {
    const values = runs.map((run) => metric.value(run.summary));
    const best = bestIndexes(values, metric.better);
    const cells = values.map((value, index) => {
      const text = value === null ? 'n/a' : metric.format(value);
      return best.has(index) ? html`<td class="best" title="best">${text} ★</td>` : html`<td>${text}</td>`;
    });
    return [metric.name, ...cells];
  });
  return table(['metric', ...runs.map((run) => run.label)], rows);
}

function configTable(runs: readonly ComparedRun[]): SafeHtml {
  const rows: [string, (summary: RunSummary) => string][] = [
    ['LRU limit', (s) => (s.config.lruLimit === 0 ? 'none' : formatCount(s.config.lruLimit))],
    ['eviction policy', (s) => s.config.evictionPolicy],
    ['force when busy', (s) => (s.config.forceEvictionWhenBusy ? 'on' : 'off')],
    ['idle timeout', (s) => (s.config.idleTimeoutMs === null ? 'off' : formatDurationMs(s.config.idleTimeoutMs))],
    ['reclaimer threshold', (s) => (s.config.memoryThreshold === null ? 'off' : formatPercent(s.config.memoryThreshold))],
    ['GPU memory', (s) => formatBytes(s.config.gpuMemoryBytes)],
    ['backends', (s) => s.mode],
  ];
  return table(
    ['setting', ...runs.map((run) => run.label)],
    rows.map(([name, value]) => [name, ...runs.map((run) => value(run.summary))]),
  );
}

const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const CONFIG = { aria: false, font: 'sans-serif', view: { stroke: null }, axis: { grid: true, gridColor: '#eee' } } as const;

function spec(body: Record<string, unknown>): TopLevelSpec {
  return { $schema: VEGA_LITE_SCHEMA, config: CONFIG, ...body } as TopLevelSpec;
}

/** Overlaid charts: latency CDF, memory over time and cold loads per model, one colour per configuration. */
function comparisonCharts(runs: readonly ComparedRun[]): ChartDefinition[] {
  const labels = runs.map((run) => run.label);
  const colour = { field: 'configuration', type: 'nominal', title: 'configuration', scale: { domain: labels } };
  const charts: ChartDefinition[] = [];

  const cdf = runs.flatMap((run) => latencyCdf(run));
  if (cdf.length > 0) {
    charts.push({
      id: 'latency-cdf',
      title: 'Latency distribution',
      caption: 'Share of succeeded requests at or below each latency (sampled requests).',
      spec: spec({
        width: 860,
        height: 240,
        data: { values: cdf },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'latencyMs', type: 'quantitative', title: 'latency (ms, log scale)', scale: { type: 'log' } },
          y: { field: 'share', type: 'quantitative', title: 'share of requests', axis: { format: '%' } },
          color: colour,
        },
      }),
    });
  }

  const spanMs = Math.max(1, ...runs.map((run) => (run.timeline ? run.timeline.endMs - run.timeline.startMs : 0)));
  const unit = timeAxisUnit(spanMs);
  const memory = runs.flatMap((run) => memoryRows(run, unit.divisorMs));
  if (memory.length > 0) {
    charts.push({
      id: 'memory',
      title: 'GPU memory over time',
      caption: 'Memory in use, summed over nodes, per configuration.',
      spec: spec({
        width: 860,
        height: 220,
        data: { values: memory },
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'time', type: 'quantitative', title: `time (${unit.label})` },
          y: { field: 'usedGiB', type: 'quantitative', title: 'GiB' },
          color: colour,
        },
      }),
    });
  }

  const coldLoads = runs.flatMap((run) => run.summary.models.map((model) => ({ configuration: run.label, model: model.modelId, coldLoads: model.coldLoads })));
  if (coldLoads.length > 0) {
    charts.push({
      id: 'cold-loads',
      title: 'Cold loads per model',
      caption: 'Cold loads of each model, one bar per configuration.',
      spec: spec({
        width: { step: 12 },
        height: 240,
        data: { values: coldLoads },
        mark: 'bar',
        encoding: {
          x: { field: 'model', type: 'nominal', title: null },
          xOffset: { field: 'configuration', type: 'nominal', scale: { domain: labels } },
          y: { field: 'coldLoads', type: 'quantitative', title: 'cold loads' },
          color: colour,
        },
      }),
    });
  }
  return charts;
}

/** Up to 200 points of the empirical CDF of a run's sampled succeeded latencies. */
function latencyCdf(run: ComparedRun): Record<string, unknown>[] {
  const latencies = (run.timeline?.latencySamples ?? [])
    .filter((sample) => sample.outcome === 'succeeded' && sample.latencyMs > 0)
    .map((sample) => sample.latencyMs)
    .sort((a, b) => a - b);
  if (latencies.length === 0) {
    return [];
  }
  const points = Math.min(200, latencies.length);
  return Array.from({ length: points }, (_, index) => {
    const rank = Math.ceil(((index + 1) / points) * latencies.length);
    return { configuration: run.label, latencyMs: latencies[rank - 1], share: rank / latencies.length };
  });
}

/** Memory in use summed over nodes, as steps at every sample time of any node. */
function memoryRows(run: ComparedRun, divisorMs: number): Record<string, unknown>[] {
  const timeline = run.timeline;
  if (timeline === undefined || timeline.memory.length === 0) {
    return [];
  }
  const times = [...new Set(timeline.memory.flatMap((series) => series.samples.map((sample) => sample.timeMs)))].sort((a, b) => a - b);
  const cursors = timeline.memory.map(() => 0);
  const used = timeline.memory.map(() => 0);
  const rows: Record<string, unknown>[] = [];
  for (const timeMs of times) {
    timeline.memory.forEach((series, index) => {
      while (cursors[index]! < series.samples.length && series.samples[cursors[index]!]!.timeMs <= timeMs) {
        used[index] = series.samples[cursors[index]!]!.usedBytes;
        cursors[index]! += 1;
      }
    });
    const total = used.reduce((sum, bytes) => sum + bytes, 0);
    rows.push({ configuration: run.label, time: (timeMs - timeline.startMs) / divisorMs, usedGiB: Math.round((total / 2 ** 30) * 1000) / 1000 });
  }
  return rows;
}
