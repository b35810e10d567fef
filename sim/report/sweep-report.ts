import type { TopLevelSpec } from 'vega-lite';
import type { RunSummary } from '../metrics/summary.js';
import { formatCount, formatDecimal, formatDurationMs, formatPercent } from './format.js';
import { html } from './html.js';
import { chartFigure, page, table } from './page.js';
import { renderChart, type ChartDefinition } from './render-chart.js';

/** One run of a sweep: the swept parameter's value and the run's summary. */
export interface SweepPoint {
  value: number;
  summary: RunSummary;
}

const CONFIG = { aria: false, font: 'sans-serif', view: { stroke: null }, axis: { grid: true, gridColor: '#eee' } } as const;

function coldLoadChart(parameter: string, points: readonly SweepPoint[]): ChartDefinition {
  const rows = points.flatMap((point) => [
    { value: point.value, series: 'loader', coldLoads: point.summary.loads.cold },
    { value: point.value, series: 'offline optimum (Belady)', coldLoads: point.summary.offlineOptimum.coldLoads },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 640,
    height: 260,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: parameter, axis: { tickMinStep: 1 } },
      y: { field: 'coldLoads', type: 'quantitative', title: 'cold loads' },
      color: { field: 'series', type: 'nominal', title: null },
      strokeDash: { field: 'series', type: 'nominal', title: null },
    },
  };
  return {
    id: 'sweep-cold-loads',
    title: `Cold loads against ${parameter}`,
    caption: 'The model-loading analogue of a miss-ratio curve: the loader against the fewest cold loads any policy could make.',
    spec,
  };
}

function latencyChart(parameter: string, points: readonly SweepPoint[]): ChartDefinition {
  const rows = points.flatMap((point) => [
    { value: point.value, percentile: 'p50', latencyS: point.summary.latency.p50Ms / 1000 },
    { value: point.value, percentile: 'p99', latencyS: point.summary.latency.p99Ms / 1000 },
  ]);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    width: 640,
    height: 220,
    data: { values: rows },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'value', type: 'quantitative', title: parameter, axis: { tickMinStep: 1 } },
      y: { field: 'latencyS', type: 'quantitative', title: 'latency (s)' },
      color: { field: 'percentile', type: 'nominal', title: null },
    },
  };
  return { id: 'sweep-latency', title: `Latency against ${parameter}`, caption: 'p50 and p99 of all requests.', spec };
}

/**
 * Renders a sweep of one loader parameter as one self-contained HTML page: a table per
 * value, cold loads against the offline optimum, and latency percentiles.
 */
export async function renderSweepReport(parameter: string, points: readonly SweepPoint[], title: string): Promise<string> {
  const charts = await Promise.all([coldLoadChart(parameter, points), latencyChart(parameter, points)].map(renderChart));
  const first = points[0]?.summary;
  const rows = points.map((point) => {
    const s = point.summary;
    return [
      formatCount(point.value),
      formatCount(s.loads.cold),
      formatCount(s.offlineOptimum.coldLoads),
      s.offlineOptimum.ratio === null ? 'n/a' : `${formatDecimal(s.offlineOptimum.ratio)}×`,
      formatPercent(s.hitRatio),
      formatDecimal(s.evictions.perThousandRequests),
      formatDurationMs(s.latency.p50Ms),
      formatDurationMs(s.latency.p99Ms),
      formatCount(s.invariants.lruOverflows),
      formatCount(s.requests.failed),
    ];
  });
  const body = html`<header>
<h1>${title}</h1>
<dl class="meta">
<dt>scenario</dt><dd>${first?.scenario.name ?? ''}</dd>
<dt>seed</dt><dd>${first?.seed ?? ''}</dd>
<dt>code version</dt><dd>${first?.codeVersion ?? ''}</dd>
<dt>swept</dt><dd>${parameter}: ${points.map((p) => p.value).join(', ')}</dd>
</dl>
</header>
<section id="sweep"><h2>Runs</h2>
${table([parameter, 'cold loads', 'optimum', 'ratio', 'hit ratio', 'evictions per 1,000', 'p50', 'p99', 'LRU overflows', 'failed'], rows)}
<p class="note">Every run replays the same seeded traffic; only ${parameter} changes.</p>
</section>
${charts.map(chartFigure)}
`;
  return page(title, body);
}
