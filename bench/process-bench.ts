import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { ProcessLauncher } from '../src/backend/process/process-launcher.js';
import type { ProcessLauncherOptions } from '../src/backend/process/launcher-options.js';
import { MemoryLogger } from '../src/util/logger.js';

/**
 * Measures how long the launcher takes from spawn to a ready backend, against the fake
 * backend's own start-up time (the `listening on ADDR after N ms` line it prints, counted
 * from the start of its process). The difference is the launcher's cost: process creation
 * plus the lag of readiness polling. Run after `npm run build`:
 *
 *     node dist/bench/process-bench.js --runs 10
 */

interface Sample {
  readyAfterMs: number;
  listeningAfterMs: number;
}

const LISTENING = /^listening on \S+ after (\d+) ms$/;

async function measure(runs: number, options: ProcessLauncherOptions, cliPath: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let run = 0; run < runs; run++) {
    const logger = new MemoryLogger();
    const launcher = new ProcessLauncher({ ...options, logger });
    const backend = await launcher.launch({
      modelId: `bench-${run}`,
      backend: { name: 'fake', executable: process.execPath, args: [cliPath, 'backend'] },
    });
    const ready = logger.records.find((record) => record.message === 'backend ready');
    const listening = backend.recentOutput().map((line) => LISTENING.exec(line)).find((match) => match !== null);
    await backend.stop({ force: true });
    if (!ready || !listening) throw new Error(`run ${run}: missing the ready record or the listening line`);
    samples.push({ readyAfterMs: ready.fields['readyAfterMs'] as number, listeningAfterMs: Number(listening[1]) });
  }
  return samples;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function report(name: string, samples: readonly Sample[]): void {
  const ready = median(samples.map((s) => s.readyAfterMs));
  const listening = median(samples.map((s) => s.listeningAfterMs));
  const overhead = median(samples.map((s) => s.readyAfterMs - s.listeningAfterMs));
  process.stdout.write(
    `${name.padEnd(28)} spawn->ready ${ready.toFixed(0).padStart(5)} ms   own start-up ${listening.toFixed(0).padStart(5)} ms   ` +
      `launcher overhead ${overhead.toFixed(0).padStart(4)} ms   ratio ${(ready / listening).toFixed(2)}x  (medians of ${samples.length})\n`,
  );
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('process-bench')
    .description('Times spawn-to-ready of the fake backend against its own start-up time')
    .option('--runs <n>', 'launches per polling setting', '10')
    .parse([...argv]);
  const runs = Number(program.opts<{ runs: string }>().runs);
  if (!Number.isInteger(runs) || runs <= 0) program.error('--runs must be a positive integer');
  const cliPath = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  if (!existsSync(cliPath)) program.error(`compiled CLI not found at ${cliPath}; run "npm run build" first`);

  report('backoff from 5 ms (default)', await measure(runs, {}, cliPath));
  // A fixed one-second interval, as a loader that polls once a second would wait.
  report('fixed 1000 ms polling', await measure(runs, { readyPollInitialMs: 1_000, readyPollMaxMs: 1_000 }, cliPath));
}

await main(process.argv);
