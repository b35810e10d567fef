import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderComparisonReport } from '../../../sim/report/comparison-report.js';
import { HOSTILE_MODEL, sampleSummary, sampleTimeline } from './sample-run.js';

const CHROMIUM = process.env['LOADERLAB_CHROMIUM'] ?? '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
// CI installs Chromium (see .ci/run); elsewhere these tests run only where it is installed.
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env['CI']) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);

const SCENARIO = `name: browser-check
seed: 5
loader: { lruLimit: 1, evictionRetryIntervalMs: 100 }
host: { gpuMemoryBytes: 17179869184 }
models:
  - { id: ${JSON.stringify(HOSTILE_MODEL)}, sizeBytes: 2000000000, loadMs: 500, tokensPerSecond: 200, parallelSlots: 2 }
  - { id: plain-model, sizeBytes: 2000000000, loadMs: 500, tokensPerSecond: 200, parallelSlots: 2 }
workload:
  generator:
    kind: poisson
    ratePerSecond: 2
    durationMs: 30000
    popularity: { kind: uniform }
    outputTokens: { kind: uniform, min: 10, max: 60 }
`;

interface PageCheck {
  consoleErrors: string[];
  requests: string[];
  dialogs: number;
  svgCount: number;
  text: string;
}

async function openInBrowser(browser: Browser, file: string): Promise<PageCheck> {
  const page = await browser.newPage();
  const check: PageCheck = { consoleErrors: [], requests: [], dialogs: 0, svgCount: 0, text: '' };
  page.on('console', (message) => {
    if (message.type() === 'error') check.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => check.consoleErrors.push(error.message));
  page.on('request', (request) => check.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    check.dialogs += 1;
    void dialog.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  check.svgCount = await page.locator('svg').count();
  check.text = await page.locator('body').innerText();
  await page.close();
  return check;
}

describe.skipIf(!haveBrowser)('reports in a headless browser', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loaderlab-report-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('run report loads offline with its charts', async () => {
    const scenario = join(dir, 'browser-check.yaml');
    await writeFile(scenario, SCENARIO);
    await promisify(execFile)(process.execPath, [CLI, 'replay', scenario, '--out', join(dir, 'run')]);
    const reportFile = join(dir, 'run', 'report.html');

    const check = await openInBrowser(browser, reportFile);
    expect(check.consoleErrors).toEqual([]);
    expect(check.requests).toEqual([pathToFileURL(reportFile).href]);
    expect(check.dialogs).toBe(0);
    expect(check.svgCount).toBeGreaterThanOrEqual(4);
    expect(check.text).toContain(HOSTILE_MODEL);
    expect(await readFile(reportFile, 'utf8')).not.toContain(HOSTILE_MODEL);
  });

  it('comparison report loads offline with its charts', async () => {
    const reportFile = join(dir, 'comparison.html');
    const runs = [
      { label: 'lru', summary: sampleSummary(), timeline: sampleTimeline() },
      { label: 'size-aware', summary: sampleSummary(), timeline: sampleTimeline() },
    ];
    await writeFile(reportFile, await renderComparisonReport(runs, 'LRU against size-aware'));

    const check = await openInBrowser(browser, reportFile);
    expect(check.consoleErrors).toEqual([]);
    expect(check.requests).toEqual([pathToFileURL(reportFile).href]);
    expect(check.dialogs).toBe(0);
    expect(check.svgCount).toBeGreaterThanOrEqual(2);
  });
});
