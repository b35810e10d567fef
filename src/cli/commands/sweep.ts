import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError, LoaderLabError } from '../../errors.js';
import { EXIT_BAD_INPUT } from '../run-cli.js';
import { BAD_INPUT_CODES, codeVersion, safeFolderName } from './replay.js';

interface SweepFlags {
  lruLimit: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('sweep')
    .description(
      'Replay a local scenario once per LRU limit on the same seeded traffic, and plot cold loads against the ' +
        'offline optimum and latency against the limit. Writes sweep.json and sweep.html.',
    )
    .argument('<scenario>', 'local scenario file (YAML or JSON)')
    .requiredOption('--lru-limit <values>', 'LRU limits to try: a range such as 1..6, or a list such as 1,2,4')
    .option('--seed <seed>', "run seed; replaces the scenario's seed")
    .option('--out <dir>', 'output folder (default reports/<scenario name>-sweep/)')
    .option('--json', 'print only the sweep rows as JSON on stdout')
    .action(async (file: string, flags: SweepFlags) => {
      try {
        await sweep(file, flags);
      } catch (error) {
        if (error instanceof LoaderLabError && BAD_INPUT_CODES.has(error.code)) {
          process.stderr.write(`loaderlab sweep: ${error.message}\n`);
          process.exitCode = EXIT_BAD_INPUT;
          return;
        }
        throw error;
      }
    });
}

/** Parses `1..6` or `1,2,4` into positive integers, in ascending order without repeats. */
export function parseLimits(value: string): number[] {
  const range = /^\s*(\d+)\s*\.\.\s*(\d+)\s*$/.exec(value);
  const limits = range
    ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i)
    : value.split(',').map((part) => Number(part.trim()));
  if (limits.length === 0 || limits.length > 64 || limits.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidOptionError('--lru-limit', 'a range such as 1..6 or a list such as 1,2,4 of 1 to 64 positive integers', value);
  }
  return [...new Set(limits)].sort((a, b) => a - b);
}

async function sweep(file: string, flags: SweepFlags): Promise<void> {
  const limits = parseLimits(flags.lruLimit);
  const [{ loadScenario }, { runScenario }, { renderSweepReport }] = await Promise.all([
    import('../../../sim/scenario/load-scenario.js'),
    import('../../../sim/run/run-scenario.js'),
    import('../../../sim/report/sweep-report.js'),
  ]);
  const scenario = await loadScenario(file);
  if (scenario.mode === 'distributed') {
    throw new InvalidOptionError('<scenario>', 'a local scenario (one without nodes); the LRU limit applies per host', file);
  }

  const points = [];
  for (const lruLimit of limits) {
    const configured = { ...scenario, loader: { ...scenario.loader, lruLimit } };
    const { summary } = await runScenario(configured, { codeVersion: codeVersion(), ...(flags.seed !== undefined && { seed: flags.seed }) });
    points.push({ value: lruLimit, summary });
    if (!flags.json) process.stderr.write(`lruLimit ${lruLimit}: ${summary.loads.cold} cold loads, p99 ${summary.latency.p99Ms.toFixed(0)} ms\n`);
  }

  const rows = points.map(({ value, summary }) => ({
    lruLimit: value,
    coldLoads: summary.loads.cold,
    optimumColdLoads: summary.offlineOptimum.coldLoads,
    ratioToOptimum: summary.offlineOptimum.ratio,
    hitRatio: summary.hitRatio,
    evictionsPer1000: summary.evictions.perThousandRequests,
    p50LatencyMs: summary.latency.p50Ms,
    p99LatencyMs: summary.latency.p99Ms,
    lruOverflows: summary.invariants.lruOverflows,
    failedRequests: summary.requests.failed,
  }));
  const outDir = path.resolve(flags.out ?? path.join('reports', `${safeFolderName(scenario.name)}-sweep`));
  mkdirSync(outDir, { recursive: true });
  const jsonPath = path.join(outDir, 'sweep.json');
  writeFileSync(jsonPath, `${JSON.stringify({ scenario: scenario.name, seed: points[0]!.summary.seed, parameter: 'lruLimit', rows }, null, 2)}\n`);
  const htmlPath = path.join(outDir, 'sweep.html');
  writeFileSync(htmlPath, await renderSweepReport('LRU limit', points, `LRU limit sweep: ${scenario.name}`));

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(`sweep:  ${jsonPath}\nreport: ${htmlPath}\n`);
}
