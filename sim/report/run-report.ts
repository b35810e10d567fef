import { EVICTION_REASONS } from '../../src/loader/events.js';
import { REQUEST_FAILURE_REASONS, type RunSummary } from '../metrics/summary.js';
import type { RunTimeline } from '../metrics/timeline.js';
import { formatBytes, formatCount, formatDecimal, formatDurationMs, formatPercent } from './format.js';
import { html, SafeHtml } from './html.js';
import { card, chartFigure, page, table } from './page.js';
import { renderChart } from './render-chart.js';
import type { ReplicaBalanceReport, ReportScenarioInfo } from './report-types.js';
import { runCharts } from './run-charts.js';

/** Violations listed in the report; the summary keeps up to 100 and counts all. */
const VIOLATIONS_SHOWN = 20;

/**
 * Renders the HTML report of one run as a single self-contained file: inline CSS, charts
 * as inline SVG rendered here from Vega-Lite specs, and each spec embedded next to its
 * chart. The page loads nothing from the network. Every text that comes from a scenario or
 * a trace is escaped.
 *
 * Sections: the headline numbers above the fold, then the charts, then tables of models,
 * expectations, invariant violations and faults.
 */
export async function renderRunReport(summary: RunSummary, timeline: RunTimeline, scenarioInfo: ReportScenarioInfo = {}): Promise<string> {
  const balance = (summary as RunSummary & { replicaBalance?: ReplicaBalanceReport }).replicaBalance;
  const charts = await Promise.all(runCharts(summary, timeline, balance).map(renderChart));
  const name = scenarioInfo.name ?? summary.scenario.name;

  const body = html`<header>
<h1>Replay report: ${name}</h1>
${descriptionOf(summary, scenarioInfo)}
${metaList(summary, scenarioInfo)}
</header>
<section id="headline">
<div class="cards">
${headlineCards(summary)}
</div>
${truncationNote(timeline)}
</section>
${charts.map(chartFigure)}
${modelSection(summary, scenarioInfo)}
${expectationSection(summary)}
${violationSection(summary)}
${faultSection(summary)}
${fidelitySection(summary)}
`;
  return page(`Replay report: ${name}`, body);
}

function descriptionOf(summary: RunSummary, info: ReportScenarioInfo): SafeHtml | string {
  const description = info.description ?? summary.scenario.description;
  return description ? html`<p class="description">${description}</p>` : '';
}

function metaList(summary: RunSummary, info: ReportScenarioInfo): SafeHtml {
  const config = summary.config;
  const rows: [string, string][] = [
    ['scenario', info.sourcePath ?? summary.scenario.name],
    ['seed', summary.seed],
    ['code version', summary.codeVersion],
    ['backends', summary.mode],
    ['topology', info.mode ?? 'local'],
    ['workload', summary.workload.source],
    [
      'loader',
      `LRU limit ${config.lruLimit === 0 ? 'none' : config.lruLimit}, ${config.evictionPolicy} eviction, ` +
        `force when busy ${config.forceEvictionWhenBusy ? 'on' : 'off'}, ` +
        `idle timeout ${config.idleTimeoutMs === null ? 'off' : formatDurationMs(config.idleTimeoutMs)}, ` +
        `busy timeout ${config.busyTimeoutMs === null ? 'off' : formatDurationMs(config.busyTimeoutMs)}, ` +
        `reclaimer ${config.memoryThreshold === null ? 'off' : formatPercent(config.memoryThreshold)}`,
    ],
    ['GPU memory', `${formatBytes(config.gpuMemoryBytes)}, ${formatCount(config.models)} model(s)`],
    ['run length', formatDurationMs(summary.durationMs)],
  ];
  return html`<dl class="meta">${rows.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

function headlineCards(summary: RunSummary): SafeHtml[] {
  const { requests, loads, evictions, latency, invariants, offlineOptimum, expectations } = summary;
  const failedReasons = REQUEST_FAILURE_REASONS.filter((reason) => requests.failedByReason[reason] > 0)
    .map((reason) => `${reason} ${formatCount(requests.failedByReason[reason])}`)
    .join(', ');
  const evictionReasons = EVICTION_REASONS.filter((reason) => evictions.byReason[reason] > 0)
    .map((reason) => `${reason} ${formatDecimal(evictions.perThousandRequestsByReason[reason])}`)
    .join(', ');
  const optimum =
    offlineOptimum.ratio === null
      ? `offline optimum ${formatCount(offlineOptimum.coldLoads)}`
      : `${formatDecimal(offlineOptimum.ratio)}× the offline optimum (${formatCount(offlineOptimum.coldLoads)})` +
        (offlineOptimum.ratio < 1
          ? invariants.lruOverflows > 0
            ? '; below 1 because the loader went past the LRU limit and served queued requests with one load'
            : '; below 1 because the loader served the requests queued during a load with that one load'
          : '');
  const violations = invariants.lruOverflows + invariants.groupCoResidences;
  let invariantTone: 'pass' | 'fail' | undefined;
  if (invariants.unexplained > 0) {
    invariantTone = 'fail';
  } else if (violations === 0) {
    invariantTone = 'pass';
  }
  const failedExpectations = expectations.results.filter((result) => !result.passed).length;
  const checked = expectations.results.length > 0;
  let expectationValue = 'none';
  let expectationTone: 'pass' | 'fail' | undefined;
  if (checked) {
    expectationValue = expectations.passed ? 'passed' : 'failed';
    expectationTone = expectations.passed ? 'pass' : 'fail';
  }

  return [
    card('requests', formatCount(requests.total), `${formatCount(requests.succeeded)} succeeded${requests.failed > 0 ? `, ${formatCount(requests.failed)} failed (${failedReasons})` : ''}`, requests.failed > 0 ? 'fail' : undefined),
    card('hit ratio', formatPercent(summary.hitRatio), 'requests that found their model resident'),
    card('cold loads', formatCount(loads.cold), optimum),
    card('evictions per 1,000', formatDecimal(evictions.perThousandRequests), evictionReasons === '' ? 'no evictions' : evictionReasons),
    card('p50 latency', formatDurationMs(latency.p50Ms), `mean ${formatDurationMs(latency.meanMs)}`),
    card('p99 latency', formatDurationMs(latency.p99Ms), `max ${formatDurationMs(latency.maxMs)}`),
    card(
      'invariant violations',
      formatCount(violations),
      `LRU overflows ${formatCount(invariants.lruOverflows)}, group co-residences ${formatCount(invariants.groupCoResidences)}, unexplained ${formatCount(invariants.unexplained)}`,
      invariantTone,
    ),
    card(
      'expectations',
      expectationValue,
      `${formatCount(expectations.results.length - failedExpectations)} passed, ${formatCount(failedExpectations)} failed`,
      expectationTone,
    ),
    card('thrash', formatCount(evictions.thrash.count), `evicted and loaded again within ${formatDurationMs(evictions.thrash.windowMs)}`),
    card('peak GPU memory', formatPercent(summary.memory.peakFraction), `${formatBytes(summary.memory.peakBytes)} of ${formatBytes(summary.memory.totalBytes)}`),
    card('skipped trace rows', formatCount(summary.workload.skippedRows), summary.workload.skippedRows > 0 ? 'malformed rows skipped by the scenario' : undefined, summary.workload.skippedRows > 0 ? 'fail' : undefined),
  ];
}

function truncationNote(timeline: RunTimeline): SafeHtml | string {
  const cut = (['residency', 'loads', 'evictions'] as const).filter((list) => timeline.truncated[list]);
  if (cut.length === 0) {
    return '';
  }
  return html`<p class="note">The timeline kept only the first entries of: ${cut.join(', ')}. Charts end where those lists stop; the numbers above count the whole run.</p>`;
}

function modelSection(summary: RunSummary, info: ReportScenarioInfo): SafeHtml {
  const configured = new Map((info.models ?? []).map((model) => [model.id, model]));
  const rows = summary.models.map((model) => {
    const setup = configured.get(model.modelId);
    return [
      model.modelId,
      setup ? formatBytes(setup.sizeBytes) : '',
      setup ? [...setup.groups, ...(setup.pinned ? ['pinned'] : [])].join(', ') : '',
      formatCount(model.requests),
      model.requests > 0 ? formatPercent(model.hits / model.requests) : '',
      formatCount(model.coldLoads),
      formatCount(model.evictions),
      formatCount(model.failed),
      formatDurationMs(model.latency.p50Ms),
      formatDurationMs(model.latency.p99Ms),
      formatDurationMs(model.residentMs),
    ];
  });
  return html`<section id="models"><h2>Models</h2>
${table(['model', 'size', 'groups', 'requests', 'hit ratio', 'cold loads', 'evictions', 'failed', 'p50', 'p99', 'resident'], rows)}
</section>`;
}

function expectationSection(summary: RunSummary): SafeHtml | string {
  const results = summary.expectations.results;
  if (results.length === 0) {
    return '';
  }
  const rows = results.map((result) => [
    result.name,
    html`<td class="text">${result.metric}</td>`,
    `${result.bound === 'max' ? '≤' : '≥'} ${formatDecimal(result.limit)}`,
    result.measured === null ? 'not measured' : formatDecimal(result.measured),
    html`<td class="${result.passed ? 'pass' : 'fail'}">${result.passed ? 'passed' : 'failed'}</td>`,
  ]);
  return html`<section id="expectations"><h2>Expectations</h2>
${table(['expectation', 'metric', 'bound', 'measured', 'result'], rows)}
</section>`;
}

function violationSection(summary: RunSummary): SafeHtml | string {
  const violations = summary.invariants.violations;
  if (violations.length === 0) {
    return '';
  }
  const rows = violations.slice(0, VIOLATIONS_SHOWN).map((violation) => [
    formatDurationMs(violation.timeMs),
    html`<td class="text">${violation.kind}</td>`,
    html`<td class="text">${violation.modelId}</td>`,
    html`<td class="text">${violation.residents.join(', ')}</td>`,
    html`<td class="text ${violation.explained ? '' : 'fail'}">${violation.reason}</td>`,
  ]);
  const more = violations.length > VIOLATIONS_SHOWN ? html`<p class="note">First ${VIOLATIONS_SHOWN} of ${formatCount(violations.length)} listed violations.</p>` : '';
  return html`<section id="violations"><h2>Invariant violations</h2>
${table(['time', 'kind', 'loaded model', 'resident', 'reason'], rows)}
${more}
</section>`;
}

function faultSection(summary: RunSummary): SafeHtml | string {
  if (summary.faults.length === 0) {
    return '';
  }
  const rows = summary.faults.map((fault) => [
    formatDurationMs(fault.timeMs),
    html`<td class="text">${fault.kind}</td>`,
    html`<td class="text">${fault.modelId ?? ''}</td>`,
    html`<td class="text">${fault.nodeId ?? ''}</td>`,
    fault.durationMs > 0 ? formatDurationMs(fault.durationMs) : '',
    fault.hit ? 'yes' : 'no',
  ]);
  return html`<section id="faults"><h2>Faults</h2>
${table(['time', 'kind', 'model', 'node', 'duration', 'met a backend'], rows)}
</section>`;
}

function fidelitySection(summary: RunSummary): SafeHtml | string {
  const fidelity = summary.fidelity;
  if (fidelity === undefined) {
    return '';
  }
  const rows = fidelity.entries.map((entry) => [
    entry.metric,
    formatDecimal(entry.sim),
    formatDecimal(entry.process),
    entry.relativeError === null ? 'undefined' : formatPercent(entry.relativeError),
  ]);
  return html`<section id="fidelity"><h2>Simulator fidelity</h2>
<p class="note">The same scenario with simulated backends and with real processes (process clock ${formatDecimal(fidelity.processSpeed)}× scenario time). Largest relative error: ${formatPercent(fidelity.maxRelativeError)}.</p>
${table(['metric', 'sim', 'process', 'relative error'], rows)}
</section>`;
}
