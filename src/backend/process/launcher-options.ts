import type { Clock } from '../../clock/clock.js';
import { RealClock } from '../../clock/real-clock.js';
import { InvalidOptionError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import type { GrpcBackendClientOptions } from '../grpc/client-options.js';
import { processChildRegistry, type ChildRegistry } from './child-registry.js';
import { findFreeLoopbackPort } from './free-port.js';

/** Settings of a `ProcessLauncher`; every field is optional. */
export interface ProcessLauncherOptions {
  /** Time source for readiness polling and stop grace periods. Default `RealClock`. */
  clock?: Clock;
  logger?: Logger;
  /** How long a started backend may take to answer `Health` with OK, in ms. Default 120 000. */
  readyTimeoutMs?: number;
  /** How long an attached address may take to answer `Health` with OK, in ms. Default 10 000. */
  attachTimeoutMs?: number;
  /** Wait after the first unanswered readiness poll, in ms; later waits grow 1.5 times. Default 5. */
  readyPollInitialMs?: number;
  /** Maximum wait between readiness polls, in ms. Default 50. */
  readyPollMaxMs?: number;
  /** Deadline of each readiness poll, in ms. Default 2 000. */
  readyHealthDeadlineMs?: number;
  /** Time between SIGTERM and SIGKILL when a backend is stopped gracefully, in ms. Default 10 000. */
  stopGraceMs?: number;
  /** Lines of stdout and stderr kept per backend. Default 200. */
  outputMaxLines?: number;
  /** How long to wait for an exited child's output to close, in ms. Default 500. */
  outputDrainMs?: number;
  /** Ports tried when a backend reports its address in use. Default 5. */
  portAttempts?: number;
  /** Environment of started backends. Default this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Picks the port of the next spawn. Default a free port on 127.0.0.1 from the kernel. */
  findPort?: () => Promise<number>;
  /** Tracks live children so none outlives this process. Default the process-wide registry. */
  registry?: ChildRegistry;
  /** Settings of each backend's gRPC client; its `clock` defaults to this launcher's clock. */
  client?: GrpcBackendClientOptions;
}

export interface ResolvedProcessLauncherOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly readyTimeoutMs: number;
  readonly attachTimeoutMs: number;
  readonly readyPollInitialMs: number;
  readonly readyPollMaxMs: number;
  readonly readyHealthDeadlineMs: number;
  readonly stopGraceMs: number;
  readonly outputMaxLines: number;
  readonly outputDrainMs: number;
  readonly portAttempts: number;
  readonly env: NodeJS.ProcessEnv;
  readonly findPort: () => Promise<number>;
  readonly registry: ChildRegistry;
  readonly client: GrpcBackendClientOptions;
}

/** Fills in defaults and checks ranges once, naming the option that is out of range. */
export function resolveLauncherOptions(options: ProcessLauncherOptions = {}): ResolvedProcessLauncherOptions {
  const clock = options.clock ?? new RealClock();
  return Object.freeze({
    clock,
    logger: options.logger ?? silentLogger,
    readyTimeoutMs: positive('readyTimeoutMs', options.readyTimeoutMs ?? 120_000),
    attachTimeoutMs: positive('attachTimeoutMs', options.attachTimeoutMs ?? 10_000),
    readyPollInitialMs: positive('readyPollInitialMs', options.readyPollInitialMs ?? 5),
    readyPollMaxMs: positive('readyPollMaxMs', options.readyPollMaxMs ?? 50),
    readyHealthDeadlineMs: positive('readyHealthDeadlineMs', options.readyHealthDeadlineMs ?? 2_000),
    stopGraceMs: nonNegative('stopGraceMs', options.stopGraceMs ?? 10_000),
    outputMaxLines: positiveInteger('outputMaxLines', options.outputMaxLines ?? 200),
    outputDrainMs: nonNegative('outputDrainMs', options.outputDrainMs ?? 500),
    portAttempts: positiveInteger('portAttempts', options.portAttempts ?? 5),
    env: options.env ?? process.env,
    findPort: options.findPort ?? findFreeLoopbackPort,
    registry: options.registry ?? processChildRegistry,
    client: { clock, ...options.client },
  });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidOptionError(name, 'a positive number of ms', value);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new InvalidOptionError(name, 'a non-negative number of ms', value);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new InvalidOptionError(name, 'a positive integer', value);
  return value;
}
