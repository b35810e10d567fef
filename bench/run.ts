import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { compareRuns, type BenchRun } from './compare.js';
import type { BenchSuite, ComparisonResult } from './comparison.js';
import { measureComparison } from './measure.js';
import { renderBenchPage } from './render-bench-page.js';
import { loaderSuite } from './suites/loader.js';
import { processSuite } from './suites/process.js';
import { replicaPickSuite } from './suites/replica-pick.js';
import { simulatorSuite } from './suites/simulator.js';

const SUITES: readonly BenchSuite[] = [loaderSuite, replicaPickSuite, simulatorSuite, processSuite];

interface BenchCliOptions {
  suite?: string[];
  timeMs: string;
  out: string;
  compare?: string;
}

function formatRow(result: ComparisonResult): string {
  const params = Object.entries(result.params).map(([k, v]) => `${k}=${v}`).join(' ');
  return (
    `${result.id.padEnd(36)} ${params.padEnd(20)} ` +
    `${result.subjectMeanUs.toFixed(2).padStart(10)} us vs ${result.baselineMeanUs.toFixed(3).padStart(9)} us  ` +
    `ratio ${result.ratio.toFixed(1).padStart(8)}x`
  );
}

async function readPreviousRun(file: string, program: Command): Promise<BenchRun> {
  try {
    const run = JSON.parse(await readFile(file, 'utf8')) as BenchRun;
    if (!Array.isArray(run.results)) throw new Error('it has no "results" list');
    return run;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    return program.error(`--compare ${file}: expected an earlier bench JSON (reports/bench-*.json); ${reason}`);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('bench')
    .description('Runs the benchmarks; each figure is a ratio against a baseline measured in the same run')
    .option('--suite <name...>', `suites to run (${SUITES.map((s) => s.name).join(', ')}); default all`)
    .option('--time-ms <ms>', 'measuring time per function, in milliseconds', '500')
    .option('--out <dir>', 'folder for bench-<timestamp>.json and .html', 'reports')
    .option('--compare <file>', 'an earlier bench JSON to set this run against; regressions are marked')
    .parse([...argv]);
  const options = program.opts<BenchCliOptions>();
  const timeMs = Number(options.timeMs);
  if (!Number.isFinite(timeMs) || timeMs <= 0) program.error(`--time-ms must be a positive number, got "${options.timeMs}"`);
  const unknown = (options.suite ?? []).filter((name) => !SUITES.some((s) => s.name === name));
  if (unknown.length) program.error(`unknown suite ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  const previous = options.compare ? await readPreviousRun(options.compare, program) : undefined;

  const startedAt = new Date().toISOString();
  const results: ComparisonResult[] = [];
  for (const suite of SUITES.filter((s) => !options.suite || options.suite.includes(s.name))) {
    process.stderr.write(`suite ${suite.name}\n`);
    const comparisons = await suite.setup();
    try {
      for (const comparison of comparisons) {
        const result = await measureComparison(suite.name, comparison, { timeMs, warmupTimeMs: timeMs / 5 });
        results.push(result);
        process.stdout.write(`${formatRow(result)}\n`);
      }
    } finally {
      await suite.teardown?.();
    }
  }

  const run: BenchRun = { startedAt, node: process.version, results };
  const regressions = previous ? compareRuns(run, previous) : [];
  for (const check of regressions.filter((c) => c.regressed)) {
    process.stdout.write(`REGRESSION ${check.id}: ratio ${check.previousRatio.toFixed(1)}x -> ${check.ratio.toFixed(1)}x\n`);
  }
  await mkdir(options.out, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-');
  const jsonPath = join(options.out, `bench-${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(join(options.out, `bench-${stamp}.html`), await renderBenchPage(run, regressions));
  process.stdout.write(`wrote ${jsonPath} and its .html page\n`);
  if (regressions.some((c) => c.regressed)) process.exitCode = 1;
}

await main(process.argv);
