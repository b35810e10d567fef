import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AgentCore } from '../../agent/agent-core.js';
import { AgentServer } from '../../agent/agent-server.js';
import { validateToken } from '../../agent/cluster-token.js';
import { BackendCatalog, type BackendConfig } from '../../backend/backend-catalog.js';
import { ProcessLauncher } from '../../backend/process/process-launcher.js';
import { RealClock } from '../../clock/real-clock.js';
import { InvalidOptionError } from '../../errors.js';
import { NvidiaSmiProbe } from '../../watchdog/nvidia-smi-probe.js';
import { StderrLogger } from '../stderr-logger.js';
import { routeGrpcLogs } from '../grpc-log.js';

/** Environment variable that may carry the cluster token instead of `--token-file`. */
const TOKEN_ENV = 'LOADERLAB_CLUSTER_TOKEN';

/** Time calls in progress may take to finish after SIGTERM before they are cancelled, in ms. */
const SHUTDOWN_GRACE_MS = 2_000;

interface AgentFlags {
  addr: string;
  allowRemote?: boolean;
  nodeId?: string;
  tokenFile?: string;
  modelsDir: string;
  backends?: string;
  fakeBackend?: boolean;
  fakeBackendArg: string[];
  memoryBytes?: string;
  stopGraceMs?: string;
}

export function register(program: Command): void {
  program
    .command('agent')
    .description(
      'Run a worker agent: a gRPC service that starts and stops backends on this host for the routers of a ' +
        `distributed cluster. Every call must carry the cluster token, read from --token-file or ${TOKEN_ENV}.`,
    )
    .option('--addr <host:port>', 'address to listen on; port 0 picks a free port', '127.0.0.1:0')
    .option('--allow-remote', 'listen on a host outside loopback; only on a network you trust')
    .option('--node-id <id>', 'node id reported in logs (default: the host name)')
    .option('--token-file <path>', `file containing the cluster token (default: the ${TOKEN_ENV} variable)`)
    .option('--models-dir <dir>', 'directory where backends open model files', 'models')
    .option('--backends <file>', 'JSON file of backends by name: {"name": {"executable": ..., "args": [...], "fileTypes": [...]}}')
    .option('--fake-backend', "add loaderlab's fake backend as the backend loaderlab-fake")
    .option('--fake-backend-arg <arg>', 'argument for each fake backend process, e.g. --load-ms=200 (repeatable)', collect, [])
    .option('--memory-bytes <n>', 'GPU memory to report in bytes, instead of reading nvidia-smi')
    .option('--stop-grace-ms <ms>', 'time between SIGTERM and SIGKILL when a backend is stopped', '10000')
    .action(runAgent);
}

/**
 * Runs the agent until SIGTERM or SIGINT, then stops every backend it started. Steps:
 * read the token and backends, start the gRPC server, print its address on stdout, serve.
 */
async function runAgent(flags: AgentFlags): Promise<void> {
  const clock = new RealClock();
  const nodeId = flags.nodeId ?? hostname();
  const logger = new StderrLogger({ nodeId });
  routeGrpcLogs(logger);
  const token = await readToken(flags.tokenFile);
  const catalog = new BackendCatalog(await readBackends(flags));
  const memoryBytes = flags.memoryBytes === undefined ? undefined : parseCount('--memory-bytes', flags.memoryBytes);
  const launcher = new ProcessLauncher({ clock, logger, stopGraceMs: parseCount('--stop-grace-ms', flags.stopGraceMs ?? '10000') });

  const core = new AgentCore({
    launcher,
    catalog,
    modelsDir: resolve(flags.modelsDir),
    agentId: randomUUID(),
    ...(memoryBytes === undefined ? { memoryProbe: new NvidiaSmiProbe() } : { totalMemoryBytes: memoryBytes }),
    logger,
  });
  const server = await AgentServer.start({ core, address: flags.addr, allowRemote: flags.allowRemote ?? false, token, logger, clock });
  process.stdout.write(`listening on ${server.address}\n`);

  const signal = await untilTerminated();
  logger.info('stopping', { signal });
  await server.stop(SHUTDOWN_GRACE_MS);
  await core.shutdown();
  process.exitCode = 0;
}

async function readToken(tokenFile: string | undefined): Promise<string> {
  if (tokenFile !== undefined) {
    const text = await readFile(tokenFile, 'utf8').catch((error: unknown) => {
      throw new InvalidOptionError('--token-file', 'a readable file', `${tokenFile} (${(error as Error).message})`);
    });
    return validateToken(text.trim(), '--token-file');
  }
  return validateToken(process.env[TOKEN_ENV], TOKEN_ENV);
}

async function readBackends(flags: AgentFlags): Promise<Record<string, BackendConfig>> {
  const backends: Record<string, BackendConfig> = {};
  if (flags.backends !== undefined) {
    const text = await readFile(flags.backends, 'utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new InvalidOptionError('--backends', 'a JSON file of backends by name', `${flags.backends} (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidOptionError('--backends', 'a JSON object of backends by name', flags.backends);
    }
    Object.assign(backends, parsed);
  }
  if (flags.fakeBackend) {
    // This same CLI serves the fake backend, run by the Node binary running this agent.
    const cli = fileURLToPath(new URL('../main.js', import.meta.url));
    backends['loaderlab-fake'] = { executable: process.execPath, args: [cli, 'backend', ...flags.fakeBackendArg] };
  }
  if (Object.keys(backends).length === 0) {
    throw new InvalidOptionError('--backends', 'a file naming at least one backend, or --fake-backend', undefined);
  }
  return backends;
}

function parseCount(option: string, value: string): number {
  const count = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(count)) {
    throw new InvalidOptionError(option, 'a non-negative integer', value);
  }
  return count;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Resolves with the signal that requests the agent to stop. */
function untilTerminated(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveSignal(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
