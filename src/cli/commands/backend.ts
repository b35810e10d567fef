import type { Command } from 'commander';
import { RealClock } from '../../clock/real-clock.js';
import { InvalidOptionError } from '../../errors.js';
import { applyBehaviourEntries, DEFAULT_FAKE_BEHAVIOUR, type FakeBehaviour } from '../../fake-backend/fake-behaviour.js';
import { FakeBackendServer } from '../../fake-backend/fake-backend-server.js';
import { parseListenAddress } from '../../fake-backend/listen-address.js';
import { StderrLogger } from '../stderr-logger.js';
import { routeGrpcLogs } from '../grpc-log.js';

/** Exit code of the simulated crash, EX_SOFTWARE from sysexits.h, so it differs from bad input (2). */
const CRASH_EXIT_CODE = 70;

/** How long running calls may finish after SIGTERM before they are cancelled, in ms. */
const SHUTDOWN_GRACE_MS = 1_000;

interface BackendFlags {
  addr: string;
  allowRemote?: boolean;
  startupMs?: string;
  exitBeforeReady?: string;
  exitCode: string;
  ignoreSigterm?: boolean;
  loadMs?: string;
  tokensPerS?: string;
  promptTokensPerS?: string;
  parallel?: string;
  memoryBytes?: string;
  failLoad?: string;
  crashAfterCalls?: string;
  hangAfterCalls?: string;
  free?: string;
  embeddingDims?: string;
  maxTokens?: string;
}

/** Flags that set a behaviour default, by the `key:value` key they stand for. */
const BEHAVIOUR_FLAGS: ReadonlyArray<[keyof BackendFlags, string]> = [
  ['loadMs', 'load_ms'],
  ['tokensPerS', 'tokens_per_s'],
  ['promptTokensPerS', 'prompt_tokens_per_s'],
  ['parallel', 'parallel'],
  ['memoryBytes', 'memory_bytes'],
  ['failLoad', 'fail_load'],
  ['crashAfterCalls', 'crash_after_calls'],
  ['hangAfterCalls', 'hang_after_calls'],
  ['free', 'free'],
  ['embeddingDims', 'embedding_dims'],
  ['maxTokens', 'max_tokens'],
];

export function register(program: Command): void {
  program
    .command('backend')
    .description(
      'Run the fake backend: a gRPC server of the backend protocol that simulates load time, ' +
        'generation speed, memory and faults. LoadModel options given as key:value override the flags.',
    )
    .requiredOption('--addr <host:port>', 'address to listen on; port 0 picks a free port')
    .option('--allow-remote', 'allow a host outside loopback (the server has no authentication)')
    .option('--startup-ms <ms>', 'wait this long before listening, like a slow-starting backend')
    .option('--exit-before-ready <message>', 'write the message to stderr and exit before listening')
    .option('--exit-code <code>', 'exit code used with --exit-before-ready', '1')
    .option('--ignore-sigterm', 'keep running on SIGTERM, like a backend stuck in a driver call; SIGINT still stops it')
    .option('--load-ms <ms>', 'time LoadModel takes (key load_ms)')
    .option('--tokens-per-s <n>', 'generation speed, 0 for instant (key tokens_per_s)')
    .option('--prompt-tokens-per-s <n>', 'prompt processing speed, 0 for instant (key prompt_tokens_per_s)')
    .option('--parallel <n>', 'inference calls served at once (key parallel)')
    .option('--memory-bytes <n>', 'memory Status reports while a model is loaded (key memory_bytes)')
    .option('--fail-load <message>', 'LoadModel answers success=false with this message (key fail_load)')
    .option('--crash-after-calls <n>', 'exit with code 70 when inference call n+1 arrives (key crash_after_calls)')
    .option('--hang-after-calls <n>', 'never answer inference calls after the first n (key hang_after_calls)')
    .option('--free <mode>', 'answer Free with ok, unimplemented or fail (key free)')
    .option('--embedding-dims <n>', 'length of embedding vectors (key embedding_dims)')
    .option('--max-tokens <n>', 'tokens generated when a request sets none (key max_tokens)')
    .action(runBackend);
}

/**
 * Runs the fake backend until SIGTERM or SIGINT. Steps: check the flags, simulate a slow
 * or failed start, listen and report the address with the start-up time, then serve.
 */
async function runBackend(flags: BackendFlags): Promise<void> {
  const clock = new RealClock();
  const listen = parseListenAddress(flags.addr, flags.allowRemote ?? false);
  const defaults = behaviourFromFlags(flags);
  const exitCode = parseExitCode(flags.exitCode);

  if (flags.startupMs !== undefined) await clock.sleep(parseMs('--startup-ms', flags.startupMs));
  if (flags.exitBeforeReady !== undefined) {
    process.stderr.write(`${flags.exitBeforeReady}\n`);
    process.exitCode = exitCode;
    return;
  }

  // Listening for signals before the address is printed: a launcher may send SIGTERM as
  // soon as it reads that line.
  const terminated = untilTerminated(flags.ignoreSigterm ?? false);
  const logger = new StderrLogger();
  routeGrpcLogs(logger);
  const server = await FakeBackendServer.start(listen, {
    defaults,
    clock,
    logger,
    crash: (reason) => {
      process.stderr.write(`fake backend: ${reason}\n`);
      process.exit(CRASH_EXIT_CODE);
    },
  });
  // performance.now() counts from the start of this process, so this is the whole start-up time.
  process.stderr.write(`listening on ${server.address} after ${Math.round(clock.now())} ms\n`);

  const signal = await terminated;
  logger.info('stopping', { signal });
  await server.stop(SHUTDOWN_GRACE_MS);
  process.exitCode = 0;
}

function behaviourFromFlags(flags: BackendFlags): FakeBehaviour {
  const entries = BEHAVIOUR_FLAGS.filter(([flag]) => flags[flag] !== undefined).map(
    ([flag, key]) => `${key}:${String(flags[flag])}`,
  );
  return applyBehaviourEntries(DEFAULT_FAKE_BEHAVIOUR, entries).behaviour;
}

function parseMs(option: string, value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(ms)) {
    throw new InvalidOptionError(option, 'a non-negative integer number of ms', value);
  }
  return ms;
}

function parseExitCode(value: string): number {
  const code = Number(value);
  if (!/^\d+$/.test(value) || code > 255) throw new InvalidOptionError('--exit-code', 'an integer from 0 to 255', value);
  return code;
}

/** Resolves with the signal that requests a stop. */
function untilTerminated(ignoreSigterm: boolean): Promise<NodeJS.Signals> {
  const stopSignals: NodeJS.Signals[] = ignoreSigterm ? ['SIGINT'] : ['SIGTERM', 'SIGINT'];
  // A listener replaces Node's default action, which would end the process on SIGTERM.
  if (ignoreSigterm) process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM (--ignore-sigterm)\n'));
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      for (const stopSignal of stopSignals) process.off(stopSignal, onSignal);
      resolve(signal);
    };
    for (const stopSignal of stopSignals) process.on(stopSignal, onSignal);
  });
}
