import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoutingComparisonRow } from '../../sim/distributed/compare-routing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const CLUSTER = `name: routing-cli-test
seed: 4
host: { gpuMemoryBytes: 85899345920 }
models:
  - { id: chat, sizeBytes: 8000000000, loadMs: 1000, serviceMs: 800, parallelSlots: 2, minReplicas: 2, maxReplicas: 2 }
nodes:
  - { id: node-a }
  - { id: node-b }
frontends: { count: 1, replicaCache: false, replicaCacheRefreshMs: 2000 }
workload:
  generator: { kind: poisson, ratePerSecond: 2, durationMs: 60000 }
`;

const LOCAL = `name: local-only
seed: 1
models:
  - { id: a, sizeBytes: 1000000000, loadMs: 100, serviceMs: 100 }
workload:
  generator: { kind: poisson, ratePerSecond: 1, durationMs: 10000 }
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'loaderlab-routing-'));
  await writeFile(path.join(dir, 'cluster.yaml'), CLUSTER);
  await writeFile(path.join(dir, 'local.yaml'), LOCAL);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loaderlab compare-routing', () => {
  it('compares registry and cache per frontend count', async () => {
    const out = path.join(dir, 'out');
    const result = await cli(['compare-routing', path.join(dir, 'cluster.yaml'), '--frontends', '1,2', '--out', out, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as RoutingComparisonRow[];
    expect(rows.map((row) => [row.frontends, row.replicaCache])).toEqual([
      [1, false],
      [1, true],
      [2, false],
      [2, true],
    ]);
    for (const row of rows) {
      expect(row.failedRequests).toBe(0);
      expect(row.jainIndex).toBeGreaterThan(0);
      expect(row.jainIndex).toBeLessThanOrEqual(1);
    }
    expect(rows[0]!.pickCallsPerRequest).toBe(1);
    expect(rows[1]!.pickCallsPerRequest).toBeLessThan(1);
    const html = await readFile(path.join(out, 'comparison.html'), 'utf8');
    expect(html).toContain('Jain&#39;s index, calls in flight');
  });

  it('rejects a scenario without nodes as bad input', async () => {
    const result = await cli(['compare-routing', path.join(dir, 'local.yaml'), '--out', path.join(dir, 'x')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('a distributed scenario (one with nodes)');
    expect(result.stderr).not.toContain('    at ');
  });

  it('rejects a malformed frontend list', async () => {
    const result = await cli(['compare-routing', path.join(dir, 'cluster.yaml'), '--frontends', '1,zero']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--frontends must be comma-separated positive integers');
  });
});
