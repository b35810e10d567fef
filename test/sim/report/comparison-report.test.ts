import { describe, expect, it } from 'vitest';
import { bestIndexes, renderComparisonReport, type ComparedRun } from '../../../sim/report/comparison-report.js';
import { HOSTILE_MODEL, sampleSummary, sampleTimeline } from './sample-run.js';

function runs(): ComparedRun[] {
  const worse = sampleSummary();
  worse.hitRatio = 0.5;
  worse.latency = { ...worse.latency, p99Ms: 9_000 };
  worse.config = { ...worse.config, lruLimit: 2 };
  return [
    { label: 'limit 1', summary: sampleSummary(), timeline: sampleTimeline() },
    { label: '<b>limit 2</b>', summary: worse, timeline: sampleTimeline() },
  ];
}

describe('renderComparisonReport', () => {
  it('marks the best value of each row', async () => {
    const page = await renderComparisonReport(runs());

    expect(page).toMatch(/<td>hit ratio<\/td><td class="best" title="best">90% ★<\/td><td>50%<\/td>/);
    expect(page).toMatch(/<td>p99 latency<\/td><td class="best" title="best">2.4 s ★<\/td><td>9 s<\/td>/);
    expect(page).toMatch(/<td>cold loads<\/td><td>12<\/td><td>12<\/td>/);
  });

  it('escapes labels and model names', async () => {
    const page = await renderComparisonReport(runs(), 'Compare <i>limits</i>');

    expect(page).not.toContain('<b>limit 2</b>');
    expect(page).toContain('&lt;b&gt;limit 2&lt;/b&gt;');
    expect(page).not.toContain(HOSTILE_MODEL);
    expect(page).toContain('<title>Compare &lt;i&gt;limits&lt;/i&gt;</title>');
    expect(page).not.toMatch(/\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  });

  it('overlays one series per configuration', async () => {
    const page = await renderComparisonReport(runs());

    expect(page).toContain('id="latency-cdf"');
    expect(page).toContain('id="memory"');
    expect(page).toContain('id="cold-loads"');
    expect((page.match(/<svg/g) ?? []).length).toBe(3);
  });
});

describe('bestIndexes', () => {
  it.each([
    [[3, 1, 1], 'lower', [1, 2]],
    [[3, 1, 2], 'higher', [0]],
    [[2, 2, 2], 'lower', []],
    [[null, 4, 5], 'lower', [1]],
    [[1, 2], 'none', []],
  ] as const)('picks %j when %s is better', (values, better, expected) => {
    expect([...bestIndexes(values, better)]).toEqual(expected);
  });
});
