import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError, LoaderLabError } from '../../errors.js';
import { EXIT_BAD_INPUT } from '../run-cli.js';
import { BAD_INPUT_CODES, codeVersion, safeFolderName } from './replay.js';
import type { RoutingComparisonRow } from '../../../sim/distributed/compare-routing.js';

interface CompareRoutingFlags {
  frontends: string;
  refreshMs?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('compare-routing')
    .description(
      'Replay a distributed scenario with registry routing and with the replica cache, for each frontend count, ' +
        'on the same seeded traffic. Writes comparison.json and comparison.html.',
    )
    .argument('<scenario>', 'distributed scenario file (YAML or JSON) with nodes')
    .option('--frontends <counts>', 'comma-separated frontend counts', '1,3,8')
    .option('--refresh-ms <intervals>', "comma-separated replica cache refresh intervals in ms (default the scenario's)")
    .option('--seed <seed>', "run seed; replaces the scenario's seed")
    .option('--out <dir>', 'output folder (default reports/<scenario name>-routing/)')
    .option('--json', 'print only the comparison rows as JSON on stdout')
    .action(async (file: string, flags: CompareRoutingFlags) => {
      try {
        await compare(file, flags);
      } catch (error) {
        if (error instanceof LoaderLabError && BAD_INPUT_CODES.has(error.code)) {
          process.stderr.write(`loaderlab compare-routing: ${error.message}\n`);
          process.exitCode = EXIT_BAD_INPUT;
          return;
        }
        throw error;
      }
    });
}

function parseCounts(option: string, value: string): number[] {
  const counts = value.split(',').map((part) => Number(part.trim()));
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidOptionError(option, 'comma-separated positive integers, e.g. 1,3,8', value);
  }
  return counts;
}

async function compare(file: string, flags: CompareRoutingFlags): Promise<void> {
  const frontendCounts = parseCounts('--frontends', flags.frontends);
  const refreshIntervals = flags.refreshMs === undefined ? undefined : parseCounts('--refresh-ms', flags.refreshMs);
  const [{ loadScenario }, { compareRouting }, { renderComparisonReport }] = await Promise.all([
    import('../../../sim/scenario/load-scenario.js'),
    import('../../../sim/distributed/compare-routing.js'),
    import('../../../sim/report/comparison-report.js'),
  ]);
  const scenario = await loadScenario(file);
  if (scenario.mode !== 'distributed') {
    throw new InvalidOptionError('<scenario>', 'a distributed scenario (one with nodes)', file);
  }

  const { rows, runs } = await compareRouting(scenario, {
    frontendCounts,
    ...(refreshIntervals && { replicaCacheRefreshMs: refreshIntervals }),
    run: { codeVersion: codeVersion(), ...(flags.seed !== undefined && { seed: flags.seed }) },
  });

  const outDir = path.resolve(flags.out ?? path.join('reports', `${safeFolderName(scenario.name)}-routing`));
  mkdirSync(outDir, { recursive: true });
  const jsonPath = path.join(outDir, 'comparison.json');
  writeFileSync(jsonPath, `${JSON.stringify({ scenario: scenario.name, seed: String(flags.seed ?? scenario.seed), rows }, null, 2)}\n`);
  const htmlPath = path.join(outDir, 'comparison.html');
  writeFileSync(htmlPath, await renderComparisonReport(runs, `Routing comparison: ${scenario.name}`));

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatTable(rows));
  process.stdout.write(`comparison: ${jsonPath}\nreport:     ${htmlPath}\n`);
}

function formatIndex(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(4);
}

function formatTable(rows: readonly RoutingComparisonRow[]): string {
  const header = ['routing', 'Jain (requests)', 'Jain (in flight)', 'p50 ms', 'p99 ms', 'failed', 'picks/request'];
  const body = rows.map((row) => [
    row.label,
    formatIndex(row.jainIndex),
    formatIndex(row.inFlightJainIndex),
    row.p50LatencyMs.toFixed(0),
    row.p99LatencyMs.toFixed(0),
    String(row.failedRequests),
    row.pickCallsPerRequest.toFixed(2),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return `${[line(header), ...body.map(line)].join('\n')}\n`;
}
