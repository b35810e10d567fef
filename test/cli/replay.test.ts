import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sim/metrics/summary.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist', 'src', 'cli', 'main.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the compiled CLI (built by the global test setup) and collects its output. */
function cli(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      let code = 0;
      if (error) code = typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

function scenarioText(expect: string): string {
  return `name: cli-test
seed: 9
loader: { lruLimit: 1 }
models:
  - { id: a, sizeBytes: 1000000000, loadMs: 500, serviceMs: 100, parallelSlots: 4 }
  - { id: b, sizeBytes: 2000000000, loadMs: 800, serviceMs: 150, parallelSlots: 4 }
workload:
  generator: { kind: poisson, ratePerSecond: 1, durationMs: 60000 }
${expect}
`;
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loaderlab-replay-'));
  await writeFile(path.join(dir, 'passing.yaml'), scenarioText('expect: { maxGroupViolations: 0 }'));
  await writeFile(path.join(dir, 'failing.yaml'), scenarioText('expect: { p99LatencyMs: 1, maxGroupViolations: 0 }'));
  await writeFile(path.join(dir, 'invalid.yaml'), scenarioText('').replace('lruLimit: 1', 'lruLimit: -3'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loaderlab replay', () => {
  it('writes the summary, events and report', { timeout: 90_000 }, async () => {
    const out = path.join(dir, 'out-full');
    const result = await cli(['replay', path.join(dir, 'passing.yaml'), '--out', out, '--events']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('report:');
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.scenario.name).toBe('cli-test');
    const events = (await readFile(path.join(out, 'events.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(events.filter((event) => event.type === 'request-ended')).toHaveLength(summary.requests.total);
    expect(events.some((event) => event.type === 'load-succeeded')).toBe(true);
    const report = await readFile(path.join(out, 'report.html'), 'utf8');
    expect(report).toContain('cli-test');
  });

  it('prints only the summary with --json', async () => {
    const out = path.join(dir, 'out-json');
    const result = await cli(['replay', path.join(dir, 'passing.yaml'), '--out', out, '--json', '--no-report']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as RunSummary;
    expect(printed).toEqual(JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')));
  });

  it('writes the same summary bytes for the same seed', { timeout: 120_000 }, async () => {
    const first = path.join(dir, 'out-seed-1');
    const second = path.join(dir, 'out-seed-2');
    await cli(['replay', path.join(dir, 'passing.yaml'), '--out', first, '--seed', '77', '--no-report']);
    await cli(['replay', path.join(dir, 'passing.yaml'), '--out', second, '--seed', '77', '--no-report']);
    // The code version names the git commit, which a commit between the two runs would change.
    const withoutVersion = (text: string): string => text.replace(/"codeVersion": "[^"]*"/, '"codeVersion": ""');
    const firstBytes = await readFile(path.join(first, 'summary.json'), 'utf8');
    expect(withoutVersion(await readFile(path.join(second, 'summary.json'), 'utf8'))).toBe(withoutVersion(firstBytes));
    expect((JSON.parse(firstBytes) as RunSummary).seed).toBe('77');
  });

  it('exits 1 and names a failed expectation', async () => {
    const result = await cli(['replay', path.join(dir, 'failing.yaml'), '--out', path.join(dir, 'out-failing'), '--no-report']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/expectation failed: p99LatencyMs: measured [\d.]+ \(latency\.p99Ms\), expected at most 1/);
    expect(result.stderr).not.toContain('maxGroupViolations');
  });

  it('exits 2 on an invalid scenario without a stack trace', async () => {
    const result = await cli(['replay', path.join(dir, 'invalid.yaml'), '--out', path.join(dir, 'out-invalid')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('invalid.yaml');
    expect(result.stderr).toContain('loader.lruLimit');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on a missing scenario file', async () => {
    const result = await cli(['replay', path.join(dir, 'absent.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('absent.yaml');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on an unknown backend kind', async () => {
    const result = await cli(['replay', path.join(dir, 'passing.yaml'), '--backends', 'gpu']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--backends');
  });
});
