import { html, jsonForScript, SafeHtml } from './html.js';
import type { RenderedChart } from './render-chart.js';

/**
 * The report's only style sheet, inline so the page opens from disk. System fonts only:
 * an external font would be a network request.
 */
const STYLE = `
:root { color-scheme: light; --muted: #666; --line: #ddd; --good: #1a7f37; --bad: #c62828; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1000px; padding: 16px 24px 48px; color: #222; }
h1 { font-size: 22px; margin: 8px 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.description { margin: 0 0 8px; color: #333; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 12px; font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { font-size: 12px; color: var(--muted); }
.card .value { font-size: 20px; font-weight: 600; }
.card .detail { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.pass { color: var(--good); }
.fail { color: var(--bad); }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: right; vertical-align: top; }
th:first-child, td:first-child, td.text { text-align: left; overflow-wrap: anywhere; }
td.best { font-weight: 700; background: #e8f5e9; }
figure { margin: 12px 0 24px; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 4px; }
.chart svg { max-width: 100%; height: auto; }
details { font-size: 12px; margin-top: 4px; }
details pre { max-height: 320px; overflow: auto; background: #f6f8fa; padding: 8px; }
.note { font-size: 13px; color: var(--muted); }
`;

/** Wraps a body in a whole HTML document with the report style sheet. */
export function page(title: string, body: SafeHtml): string {
  const document = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
${body}
</body>
</html>
`;
  return document.html;
}

/**
 * Renders a chart figure: the SVG, then its Vega-Lite spec twice, readable in a <details>
 * block and machine-readable in a JSON script element, so it can be opened in the Vega editor.
 */
export function chartFigure(chart: RenderedChart): SafeHtml {
  const specJson = JSON.stringify(chart.spec, null, 2);
  return html`<figure class="chart" id="${chart.id}">
<h2>${chart.title}</h2>
<figcaption>${chart.caption}</figcaption>
${new SafeHtml(chart.svg)}
<details><summary>Vega-Lite spec</summary><pre>${specJson}</pre></details>
<script type="application/json" class="vega-lite-spec" data-chart="${chart.id}">${new SafeHtml(jsonForScript(chart.spec))}</script>
</figure>
`;
}

/** Renders a table with a header row. Cells are escaped unless they are `SafeHtml`. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): SafeHtml {
  return html`<table>
<thead><tr>${headers.map((header) => html`<th>${header}</th>`)}</tr></thead>
<tbody>
${rows.map((row) => html`<tr>${row.map((cell) => (cell instanceof SafeHtml && cell.html.startsWith('<td') ? cell : html`<td>${cell}</td>`))}</tr>\n`)}
</tbody>
</table>`;
}

/** Renders a headline figure. */
export function card(label: string, value: string, detail?: string, tone?: 'pass' | 'fail'): SafeHtml {
  return html`<div class="card"><div class="label">${label}</div><div class="value${tone ? ` ${tone}` : ''}">${value}</div>${
    detail !== undefined ? html`<div class="detail">${detail}</div>` : ''
  }</div>`;
}
