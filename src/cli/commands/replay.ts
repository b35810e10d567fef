import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { RealClock } from '../../clock/real-clock.js';
import { InvalidOptionError, LoaderLabError } from '../../errors.js';
import { EXIT_BAD_INPUT } from '../run-cli.js';
import type { Scenario } from '../../../sim/scenario/types.js';
import type { RunEventRecord, RunOptions, RunProgress } from '../../../sim/run/run-scenario.js';
import type { RunSummary } from '../../../sim/metrics/summary.js';
import type { RunTimeline } from '../../../sim/metrics/timeline.js';

/** Exit code when a run finished but one of the scenario's expectations failed. */
export const EXIT_EXPECTATION_FAILED = 1;

/**
 * Error codes of bad input: the scenario file, a trace, an option. These exit with code 2 and
 * print only their message; other errors are bugs or environment failures.
 */
export const BAD_INPUT_CODES = new Set([
  'INVALID_SCENARIO',
  'SCENARIO_READ_FAILED',
  'INVALID_TRACE_ROW',
  'INVALID_TRACE_HEADER',
  'TRACE_READ_FAILED',
  'INVALID_OPTION',
]);

/** Bytes of `events.jsonl` buffered before each write. */
const EVENT_BUFFER_BYTES = 1 << 16;

interface ReplayFlags {
  seed?: string;
  out?: string;
  json?: boolean;
  events?: boolean;
  backends: string;
  speed: string;
  report: boolean;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description(
      'Replay a scenario against the real loader: simulated backends on a virtual clock (sim, the default) ' +
        'or real fake-backend processes (process). Writes summary.json and report.html.',
    )
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <seed>', "run seed; replaces the scenario's seed")
    .option('--out <dir>', 'output folder (default reports/<scenario name>/)')
    .option('--json', 'print only the summary JSON on stdout')
    .option('--events', 'also write events.jsonl: every load, eviction and request end')
    .option('--backends <kind>', 'sim (virtual clock) or process (real fake-backend processes)', 'sim')
    .option('--speed <factor>', 'process mode: run the real clock this many times faster than the scenario', '1')
    .option('--no-report', 'skip report.html')
    .action(async (file: string, flags: ReplayFlags) => {
      // A reader that stops early (`| head`) is not an error of the replay.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
      });
      try {
        process.exitCode = await replay(file, flags);
      } catch (error) {
        if (error instanceof LoaderLabError && BAD_INPUT_CODES.has(error.code)) {
          process.stderr.write(`loaderlab replay: ${error.message}\n`);
          process.exitCode = EXIT_BAD_INPUT;
          return;
        }
        throw error;
      }
    });
}

async function replay(file: string, flags: ReplayFlags): Promise<number> {
  const backends = parseBackends(flags.backends);
  const speed = parseSpeed(flags.speed);
  // The simulator is imported on use, so other commands (a backend process) start faster.
  const [{ loadScenario }, { runScenario }, { describeExpectation }, { compareModes }] = await Promise.all([
    import('../../../sim/scenario/load-scenario.js'),
    import('../../../sim/run/run-scenario.js'),
    import('../../../sim/run/expectations.js'),
    import('../../../sim/run/fidelity.js'),
  ]);
  const scenario = await loadScenario(file);
  const outDir = path.resolve(flags.out ?? path.join('reports', safeFolderName(scenario.name)));
  mkdirSync(outDir, { recursive: true });

  const wallClock = new RealClock();
  const wallStartMs = wallClock.now();
  const events = flags.events ? new EventFile(path.join(outDir, 'events.jsonl')) : undefined;
  const progress = process.stderr.isTTY ? new ProgressDisplay(scenario) : undefined;
  const options: RunOptions = {
    codeVersion: codeVersion(),
    ...(flags.seed !== undefined && { seed: flags.seed }),
    ...(events && { onEvent: (record: RunEventRecord) => events.write(record) }),
    ...(progress && { onProgress: (update: RunProgress) => progress.update(update) }),
  };

  let summary: RunSummary;
  let timeline: RunTimeline;
  try {
    if (backends === 'process') {
      // Imported here so sim replays never load the gRPC stack.
      const { createProcessEnvironment } = await import('../../../sim/run/process-environment.js');
      const processRun = await runScenario(scenario, { ...options, environment: (s, context) => createProcessEnvironment(s, { ...context, speed }) });
      progress?.stop();
      const simRun = await runScenario(scenario, { ...options, onEvent: undefined, onProgress: undefined });
      summary = { ...processRun.summary, fidelity: compareModes(simRun.summary, processRun.summary, speed) };
      timeline = processRun.timeline;
    } else {
      const run = await runScenario(scenario, options);
      summary = run.summary;
      timeline = run.timeline;
    }
  } finally {
    progress?.stop();
    events?.close();
  }
  const wallMs = wallClock.now() - wallStartMs;

  const summaryPath = path.join(outDir, 'summary.json');
  writeFileSync(summaryPath, `${JSON.stringify(summary, null, 2)}\n`);
  const reportPath = path.join(outDir, 'report.html');
  if (flags.report) {
    // Vega is large; loading it only when a report is written keeps --no-report fast.
    const { renderRunReport } = await import('../../../sim/report/run-report.js');
    writeFileSync(reportPath, await renderRunReport(summary, timeline, scenario));
  }

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    process.stdout.write(describeRun(summary, wallMs));
    process.stdout.write(`summary: ${summaryPath}\n`);
    if (flags.report) process.stdout.write(`report:  ${reportPath}\n`);
    if (events) process.stdout.write(`events:  ${events.path}\n`);
  }
  const failed = summary.expectations.results.filter((result) => !result.passed);
  for (const result of failed) process.stderr.write(`expectation failed: ${describeExpectation(result)}\n`);
  return failed.length > 0 ? EXIT_EXPECTATION_FAILED : 0;
}

function parseBackends(value: string): 'sim' | 'process' {
  if (value === 'sim' || value === 'process') return value;
  throw new InvalidOptionError('--backends', '"sim" or "process"', value);
}

function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!Number.isFinite(speed) || speed <= 0) throw new InvalidOptionError('--speed', 'a positive number (1 = real time)', value);
  return speed;
}

/** Keeps a scenario name usable as one folder name on any system. */
export function safeFolderName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '');
  return safe || 'scenario';
}

/** `loaderlab@<version>`, plus `+<commit>` when the code runs from a git checkout. */
export function codeVersion(): string {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  let version = 'loaderlab';
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version) version = `loaderlab@${pkg.version}`;
  } catch {
    // Not installed from the repository layout: the name alone still identifies the tool.
  }
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    if (commit) version += `+${commit}`;
  } catch {
    // No git or no checkout: the package version is all there is.
  }
  return version;
}

function describeRun(summary: RunSummary, wallMs: number): string {
  const { requests, loads, evictions, latency, offlineOptimum, invariants } = summary;
  const ratio = offlineOptimum.ratio === null ? 'n/a' : offlineOptimum.ratio.toFixed(2);
  const lines = [
    `${summary.scenario.name} (seed ${summary.seed}, ${summary.mode} backends): ${requests.total} requests replayed in ${(wallMs / 1000).toFixed(2)} s`,
    `  succeeded ${requests.succeeded}, failed ${requests.failed}, hit ratio ${(summary.hitRatio * 100).toFixed(1)}%`,
    `  cold loads ${loads.cold} (optimum ${offlineOptimum.coldLoads}, ratio ${ratio}), evictions ${evictions.total} (${evictions.perThousandRequests.toFixed(1)} per 1,000 requests)`,
    `  latency p50 ${latency.p50Ms.toFixed(0)} ms, p99 ${latency.p99Ms.toFixed(0)} ms; LRU overflows ${invariants.lruOverflows}, group co-residences ${invariants.groupCoResidences}`,
  ];
  if (offlineOptimum.ratio !== null && offlineOptimum.ratio < 1) {
    const why =
      invariants.lruOverflows > 0
        ? 'the loader went past the LRU limit while busy models blocked evictions, and served queued requests with one load'
        : 'the loader served the requests queued during a load with that one load';
    lines.push(`  (below the optimum because ${why}; the optimum serves one request at a time within the limit)`);
  }
  if (summary.fidelity) {
    lines.push(`  sim vs process: max relative error ${(summary.fidelity.maxRelativeError * 100).toFixed(1)}% over ${summary.fidelity.entries.length} metrics`);
  }
  return `${lines.join('\n')}\n`;
}

/** `events.jsonl`, written synchronously in batches so no write is pending while virtual time runs. */
class EventFile {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferedBytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(record: RunEventRecord): void {
    const line = `${JSON.stringify(record)}\n`;
    this.buffer.push(line);
    this.bufferedBytes += line.length;
    if (this.bufferedBytes >= EVENT_BUFFER_BYTES) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.bufferedBytes = 0;
  }
}

/**
 * A progress bar on stderr. When the scenario states the workload's length (a generator's
 * duration or the window's end), the bar runs to it in scenario seconds. Otherwise it only
 * counts requests and seconds.
 */
class ProgressDisplay {
  private readonly bar: SingleBar;
  private readonly totalSeconds: number | undefined;
  private stopped = false;

  constructor(scenario: Scenario) {
    this.totalSeconds = expectedSeconds(scenario);
    const format =
      this.totalSeconds === undefined
        ? 'replay {requests} requests | {value} s of trace time'
        : 'replay |{bar}| {percentage}% | {value}/{total} s of trace time | {requests} requests';
    this.bar = new SingleBar({ stream: process.stderr, format, hideCursor: true, clearOnComplete: true });
    this.bar.start(this.totalSeconds ?? 0, 0, { requests: 0 });
  }

  update(progress: RunProgress): void {
    if (this.stopped) return;
    this.bar.update(Math.round(progress.timeMs / 1000), { requests: progress.requests });
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar.stop();
  }
}

function expectedSeconds(scenario: Scenario): number | undefined {
  const { source, startMs, endMs, speedUp } = scenario.workload;
  const end = Math.min(source.kind === 'generator' ? source.durationMs : Infinity, endMs ?? Infinity);
  return Number.isFinite(end) ? Math.ceil((end - startMs) / speedUp / 1000) : undefined;
}
