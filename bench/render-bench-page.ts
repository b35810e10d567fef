import type { BenchRun, RegressionCheck } from './compare.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders a self-contained HTML table of a benchmark run, with regressions marked. */
export async function renderBenchPage(run: BenchRun, checks: readonly RegressionCheck[]): Promise<string> {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const rows = run.results
    .map((r) => {
      const check = byId.get(r.id);
      const params = Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ');
      const previous = check ? `${check.previousRatio.toFixed(2)}x` : '';
      const flag = check?.regressed ? ' class="regressed"' : '';
      return (
        `<tr${flag}><td>${escapeHtml(r.id)}</td><td>${escapeHtml(params)}</td>` +
        `<td>${escapeHtml(r.subjectName)}</td><td>${r.subjectMeanUs.toFixed(3)}</td>` +
        `<td>${escapeHtml(r.baselineName)}</td><td>${r.baselineMeanUs.toFixed(3)}</td>` +
        `<td>${r.ratio.toFixed(2)}x</td><td>${previous}</td></tr>`
      );
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>loaderlab benchmarks ${escapeHtml(run.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,td:nth-child(3),td:nth-child(5){text-align:left}tr.regressed{background:#fdd}</style>
</head><body>
<h1>loaderlab benchmarks</h1>
<p>Started ${escapeHtml(run.startedAt)} on Node ${escapeHtml(run.node)}. Each ratio is the subject's mean time over its baseline's, both measured in this run.</p>
<table><thead><tr><th>comparison</th><th>parameters</th><th>subject</th><th>mean µs</th><th>baseline</th><th>mean µs</th><th>ratio</th><th>previous ratio</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</body></html>
`;
}
