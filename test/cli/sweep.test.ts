import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLimits } from '../../src/cli/commands/sweep.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const SCENARIO = `name: sweep-test
seed: 3
models:
  - { id: a, sizeBytes: 1000000000, loadMs: 500, serviceMs: 50, parallelSlots: 4 }
  - { id: b, sizeBytes: 1000000000, loadMs: 500, serviceMs: 50, parallelSlots: 4 }
  - { id: c, sizeBytes: 1000000000, loadMs: 500, serviceMs: 50, parallelSlots: 4 }
workload:
  generator: { kind: poisson, ratePerSecond: 0.05, durationMs: 1200000 }
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loaderlab-sweep-'));
  await writeFile(path.join(dir, 'sweep.yaml'), SCENARIO);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseLimits', () => {
  it('expands a range', () => {
    expect(parseLimits('1..4')).toEqual([1, 2, 3, 4]);
  });

  it('sorts a list and drops repeats', () => {
    expect(parseLimits('4, 1,2,4')).toEqual([1, 2, 4]);
  });

  it.each(['0..3', '3..1', 'a,b', '1.5', '1..100'])('rejects "%s"', (value) => {
    expect(() => parseLimits(value)).toThrow(/--lru-limit must be/);
  });
});

describe('loaderlab sweep', () => {
  it('never beats the optimum while loads are serial', async () => {
    const out = path.join(dir, 'out');
    const result = await cli(['sweep', path.join(dir, 'sweep.yaml'), '--lru-limit', '1..3', '--out', out, '--json']);
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as { lruLimit: number; coldLoads: number; optimumColdLoads: number }[];
    expect(rows.map((row) => row.lruLimit)).toEqual([1, 2, 3]);
    // Light traffic: requests rarely overlap, so the loader cannot beat Belady's count.
    for (const row of rows) expect(row.coldLoads).toBeGreaterThanOrEqual(row.optimumColdLoads);
    expect(rows[2]!.optimumColdLoads).toBe(3);
    expect(rows[0]!.optimumColdLoads).toBeGreaterThan(rows[1]!.optimumColdLoads);
    const html = await readFile(path.join(out, 'sweep.html'), 'utf8');
    expect(html).toContain('Cold loads against LRU limit');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });
});
