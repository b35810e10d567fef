import type { BackendLauncher } from '../backend/backend-launcher.js';
import { BackendCatalog, type BackendConfig } from '../backend/backend-catalog.js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { InvalidOptionError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { resolveEvictionPolicy, type EvictionPolicy } from '../watchdog/eviction-policy.js';
import type { ModelRouter } from './model-router.js';
import { resolve } from 'node:path';

/** Settings of a `ModelLoader`. Every field but `launcher` is optional. */
export interface ModelLoaderOptions {
  /** Starts or attaches backends. */
  launcher: BackendLauncher;
  /** Installed backends by name; ignored when `catalog` is given. Default none. */
  backends?: Readonly<Record<string, BackendConfig>>;
  /** Installed backends with their aliases; overrides `backends`. */
  catalog?: BackendCatalog;
  /** Directory every model file must resolve inside. Default `./models` of the working directory. */
  modelsDir?: string;
  /** Time source. Default the wall clock. */
  clock?: Clock;
  logger?: Logger;
  /** Most models resident at once; 0 means unlimited. Default 0. */
  lruLimit?: number;
  /** Order of LRU eviction candidates: `lru`, `size-aware` or a custom policy. Default `lru`. */
  evictionPolicy?: string | EvictionPolicy;
  /** Stop busy models (with the force path) when an eviction needs them. Default false. */
  forceEvictionWhenBusy?: boolean;
  /**
   * How many retry intervals a cold load waits for busy or pinned models to make room
   * before it loads anyway and reports an overflow. Default 30.
   */
  evictionRetries?: number;
  /** Polling interval of that wait, in ms. Default 1000. */
  evictionRetryIntervalMs?: number;
  /**
   * Wake a waiting cold load as soon as a model goes idle, stops or finishes loading,
   * instead of only at the next poll. False reproduces plain polling, for comparisons.
   * Default true.
   */
  wakeWaitingLoads?: boolean;
  /** How long a successful health check of a resident model stays valid, in ms. Default 30000. */
  healthTtlMs?: number;
  /** Deadline of a health check of a resident model, in ms. Default 5000. */
  healthCheckDeadlineMs?: number;
  /** Deadline of `LoadModel`, in ms. Default 600000 (large models take minutes). */
  loadModelDeadlineMs?: number;
  /** Deadline of `Free` during a graceful shutdown, in ms. Default 10000. */
  freeDeadlineMs?: number;
  /** How long a graceful shutdown waits for in-flight calls, in ms. Default 30000. */
  shutdownBusyTimeoutMs?: number;
  /** First failure cooldown window, in ms; it doubles with each consecutive failure. Default 10000. */
  cooldownInitialMs?: number;
  /** Largest failure cooldown window, in ms. Default 300000. */
  cooldownMaxMs?: number;
  /** Models that automatic eviction never removes. Default none. */
  pinnedModels?: readonly string[];
  /** Distributed mode: the router decides every load. */
  router?: ModelRouter;
}

/** `ModelLoaderOptions` with every default applied and every range checked. */
export interface ResolvedLoaderOptions {
  readonly launcher: BackendLauncher;
  readonly catalog: BackendCatalog;
  readonly modelsDir: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lruLimit: number;
  readonly evictionPolicy: EvictionPolicy;
  readonly forceEvictionWhenBusy: boolean;
  readonly evictionRetries: number;
  readonly evictionRetryIntervalMs: number;
  readonly wakeWaitingLoads: boolean;
  readonly healthTtlMs: number;
  readonly healthCheckDeadlineMs: number;
  readonly loadModelDeadlineMs: number;
  readonly freeDeadlineMs: number;
  readonly shutdownBusyTimeoutMs: number;
  readonly cooldownInitialMs: number;
  readonly cooldownMaxMs: number;
  readonly pinnedModels: readonly string[];
  readonly router: ModelRouter | undefined;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new InvalidOptionError(name, 'a non-negative integer', value);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new InvalidOptionError(name, 'a non-negative number of ms', value);
  return value;
}

export function resolveLoaderOptions(options: ModelLoaderOptions): ResolvedLoaderOptions {
  if (!options.launcher) throw new InvalidOptionError('launcher', 'a BackendLauncher', options.launcher);
  const cooldownInitialMs = nonNegative('cooldownInitialMs', options.cooldownInitialMs ?? 10_000);
  const cooldownMaxMs = nonNegative('cooldownMaxMs', options.cooldownMaxMs ?? 300_000);
  if (cooldownMaxMs < cooldownInitialMs) {
    throw new InvalidOptionError('cooldownMaxMs', `at least cooldownInitialMs (${cooldownInitialMs})`, cooldownMaxMs);
  }
  return {
    launcher: options.launcher,
    catalog: options.catalog ?? new BackendCatalog(options.backends ?? {}),
    modelsDir: resolve(options.modelsDir ?? 'models'),
    clock: options.clock ?? new RealClock(),
    logger: options.logger ?? silentLogger,
    lruLimit: nonNegativeInteger('lruLimit', options.lruLimit ?? 0),
    evictionPolicy: resolveEvictionPolicy(options.evictionPolicy ?? 'lru'),
    forceEvictionWhenBusy: options.forceEvictionWhenBusy ?? false,
    evictionRetries: nonNegativeInteger('evictionRetries', options.evictionRetries ?? 30),
    evictionRetryIntervalMs: nonNegative('evictionRetryIntervalMs', options.evictionRetryIntervalMs ?? 1_000),
    wakeWaitingLoads: options.wakeWaitingLoads ?? true,
    healthTtlMs: nonNegative('healthTtlMs', options.healthTtlMs ?? 30_000),
    healthCheckDeadlineMs: nonNegative('healthCheckDeadlineMs', options.healthCheckDeadlineMs ?? 5_000),
    loadModelDeadlineMs: nonNegative('loadModelDeadlineMs', options.loadModelDeadlineMs ?? 600_000),
    freeDeadlineMs: nonNegative('freeDeadlineMs', options.freeDeadlineMs ?? 10_000),
    shutdownBusyTimeoutMs: nonNegative('shutdownBusyTimeoutMs', options.shutdownBusyTimeoutMs ?? 30_000),
    cooldownInitialMs,
    cooldownMaxMs,
    pinnedModels: options.pinnedModels ?? [],
    router: options.router,
  };
}
