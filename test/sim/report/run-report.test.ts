import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../sim/metrics/summary.js';
import { escapeHtml, jsonForScript } from '../../../sim/report/html.js';
import type { ReplicaBalanceReport } from '../../../sim/report/report-types.js';
import { renderRunReport } from '../../../sim/report/run-report.js';
import { HOSTILE_MODEL, sampleSummary, sampleTimeline } from './sample-run.js';

const scenarioInfo = {
  sourcePath: '/scenarios/<img src=x onerror=alert(2)>.yaml',
  mode: 'local' as const,
  models: [
    { id: HOSTILE_MODEL, sizeBytes: 16 * 2 ** 30, groups: ['<i>big</i>'], pinned: false },
    { id: 'llama-8b', sizeBytes: 8 * 2 ** 30, groups: [], pinned: true },
  ],
};

/** Parses every embedded chart spec back from the page. */
function embeddedSpecs(page: string): unknown[] {
  const scripts = [...page.matchAll(/<script type="application\/json" class="vega-lite-spec" data-chart="([^"]+)">([\s\S]*?)<\/script>/g)];
  return scripts.map((match) => JSON.parse(match[2]!));
}

describe('renderRunReport', () => {
  // One render serves every test that reads the sample page; rendering charts takes a while.
  let page: string;
  beforeAll(async () => {
    page = await renderRunReport(sampleSummary(), sampleTimeline(), scenarioInfo);
  });

  it('shows a script-tag model name as text', async () => {

    expect(page).not.toContain(HOSTILE_MODEL);
    expect(page).toContain(escapeHtml(HOSTILE_MODEL));
    const scriptTags = page.match(/<script\b[^>]*>/g) ?? [];
    expect(scriptTags.length).toBeGreaterThan(0);
    for (const tag of scriptTags) {
      expect(tag).toMatch(/^<script type="application\/json" class="vega-lite-spec"/);
    }
    expect(page).not.toMatch(/<img\b/);
    expect(page).not.toContain('<i>big</i>');
  });

  it('escapes text inside the rendered SVG', async () => {
    const svgs = page.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    const withLabel = svgs.filter((svg) => svg.includes('&lt;script&gt;'));

    expect(withLabel.length).toBeGreaterThan(0);
    for (const svg of svgs) {
      expect(svg).not.toMatch(/<script/i);
    }
  });

  it('embeds each chart spec as JSON that round-trips', async () => {
    const specs = embeddedSpecs(page);

    expect(specs).toHaveLength((page.match(/<svg/g) ?? []).length);
    expect(specs.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(specs)).toContain(HOSTILE_MODEL);
  });

  it('loads no external resource', async () => {

    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(page).not.toMatch(/url\(\s*["']?\s*(?:https?:)?\/\//i);
    expect(page).not.toMatch(/@import/i);
    expect(page).not.toMatch(/<(?:link|iframe|img|object|embed)\b/i);
  });

  it('puts the headline numbers first', async () => {
    const headline = page.slice(0, page.indexOf('<figure'));

    expect(headline).toContain('Replay report: report &lt;b&gt;sample&lt;/b&gt;');
    expect(headline).toContain('<dt>seed</dt><dd>42</dd>');
    expect(headline).toContain('loaderlab@0.1.0+abc123');
    expect(headline).toContain('>120<');
    expect(headline).toContain('>90%<');
    expect(headline).toContain('1.5× the offline optimum (8)');
    expect(headline).toContain('lru 75, idle 8.33');
    expect(headline).toContain('>120 ms<');
    expect(headline).toContain('>2.4 s<');
    expect(headline).toContain('LRU overflows 1, group co-residences 0');
    expect(headline).toContain('1 passed, 1 failed');
  });

  it('lists failed expectations with measured value and bound', async () => {
    const section = page.slice(page.indexOf('id="expectations"'));

    expect(section).toMatch(/p99LatencyMs<\/td><td class="text">latency.p99Ms<\/td><td>≤ 2,000<\/td><td>2,400<\/td><td class="fail">failed/);
  });

  it('renders the same bytes twice', async () => {
    const again = await renderRunReport(sampleSummary(), sampleTimeline(), scenarioInfo);

    expect(again).toBe(page);
  });

  it('draws replica balance when the summary has it', async () => {
    const balance: ReplicaBalanceReport = {
      replicas: [
        { modelId: 'llama-8b', nodeId: 'n1', replicaIndex: 0, requests: 50, peakInFlight: 3 },
        { modelId: 'llama-8b', nodeId: 'n2', replicaIndex: 0, requests: 30, peakInFlight: 2 },
      ],
      fairnessOverTime: [
        { timeMs: 10_000, modelId: 'llama-8b', jainIndex: 0.9 },
        { timeMs: 20_000, modelId: 'llama-8b', jainIndex: 0.95 },
      ],
    };
    const summary = { ...sampleSummary(), replicaBalance: balance } as RunSummary;
    const page = await renderRunReport(summary, sampleTimeline(), scenarioInfo);

    expect(page).toContain('id="replica-balance"');
    expect(page).toContain('id="fairness"');
  });

  it('shows fidelity when both modes ran', async () => {
    const summary: RunSummary = {
      ...sampleSummary(),
      fidelity: { processSpeed: 10, maxRelativeError: 0.25, entries: [{ metric: 'latency.p50Ms', sim: 100, process: 80, relativeError: 0.25 }] },
    };
    const page = await renderRunReport(summary, sampleTimeline());

    expect(page).toContain('id="fidelity"');
    expect(page).toContain('<td>latency.p50Ms</td><td>100</td><td>80</td><td>25%</td>');
  });

  it('draws a lane per node and model in distributed mode', async () => {
    const timeline = sampleTimeline();
    timeline.residency = timeline.residency.map((interval, index) => ({ ...interval, nodeId: index % 2 === 0 ? 'n1' : 'n2' }));
    const page = await renderRunReport(sampleSummary(), timeline, { ...scenarioInfo, mode: 'distributed' });
    const residency = page.slice(page.indexOf('id="residency"'), page.indexOf('</figure>', page.indexOf('id="residency"')));

    expect(residency).toContain('>n2 · llama-8b<');
    expect(residency).toContain('n1 · &lt;script&gt;');
  });

  it('renders a run without requests', async () => {
    const summary = { ...sampleSummary(), models: [], requests: { ...sampleSummary().requests, total: 0, succeeded: 0, failed: 0 } };
    const timeline = { ...sampleTimeline(), residency: [], loads: [], evictions: [], latencySamples: [], memory: [] };
    const page = await renderRunReport(summary, timeline);

    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).not.toContain('<svg');
  });
});

describe('jsonForScript', () => {
  it('cannot close a script element', () => {
    const text = jsonForScript({ name: '</script><script>alert(1)</script>', other: '<!-- & \u2028' });

    expect(text).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(text)).toEqual({ name: '</script><script>alert(1)</script>', other: '<!-- & \u2028' });
  });
});
