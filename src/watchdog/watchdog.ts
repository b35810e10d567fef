import type { Clock, Timer } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { InvalidOptionError } from '../errors.js';
import type { EvictionReason } from '../loader/events.js';
import type { EvictOptions, EvictionOutcome, ResidentModelInfo } from '../loader/model-loader.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { EvictionPolicy } from './eviction-policy.js';
import { usedFraction, type MemoryProbe, type MemoryReading } from './memory-probe.js';

/** The loader's view and eviction call that the watchdog uses. */
export interface WatchedLoader {
  list(): ResidentModelInfo[];
  evict(modelId: string, options: EvictOptions): Promise<EvictionOutcome>;
  readonly settings: { readonly evictionPolicy: EvictionPolicy; readonly forceEvictionWhenBusy: boolean };
}

/** Settings of a `WatchDog`. All optional. */
export interface WatchDogOptions {
  clock?: Clock;
  logger?: Logger;
  /** Time between checks, in ms. Default 500. */
  intervalMs?: number;
  /** Force-stop backends busy longer than `busyTimeoutMs`. Default true. */
  busyCheck?: boolean;
  /** Maximum time a backend may stay busy, in ms. Default 300000 (5 min). */
  busyTimeoutMs?: number;
  /** Stop backends idle longer than `idleTimeoutMs`. Default true. */
  idleCheck?: boolean;
  /** Maximum time a backend may stay idle, in ms. Default 900000 (15 min). */
  idleTimeoutMs?: number;
  /** Memory readings for the reclaimer; the reclaimer is off without one. */
  memoryProbe?: MemoryProbe;
  /** Fraction of memory in use above which the reclaimer evicts, in (0, 1]. Default 0.8. */
  memoryThreshold?: number;
}

interface ResolvedWatchDogOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly busyCheck: boolean;
  readonly busyTimeoutMs: number;
  readonly idleCheck: boolean;
  readonly idleTimeoutMs: number;
  readonly memoryProbe: MemoryProbe | undefined;
  readonly memoryThreshold: number;
}

/** One eviction the watchdog made or tried. */
export interface WatchDogAction {
  modelId: string;
  reason: Extract<EvictionReason, 'busy-timeout' | 'idle' | 'memory'>;
  outcome: EvictionOutcome | { kind: 'failed'; message: string };
}

/** Outcome of one round of checks. */
export interface WatchDogCheckResult {
  actions: WatchDogAction[];
  memory: MemoryReading | undefined;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new InvalidOptionError(name, 'a positive number of ms', value);
  return value;
}

function resolveWatchDogOptions(options: WatchDogOptions): ResolvedWatchDogOptions {
  const memoryThreshold = options.memoryThreshold ?? 0.8;
  if (!(memoryThreshold > 0 && memoryThreshold <= 1)) {
    throw new InvalidOptionError('memoryThreshold', 'a fraction in (0, 1]', memoryThreshold);
  }
  return {
    clock: options.clock ?? new RealClock(),
    logger: options.logger ?? silentLogger,
    intervalMs: positive('intervalMs', options.intervalMs ?? 500),
    busyCheck: options.busyCheck ?? true,
    busyTimeoutMs: positive('busyTimeoutMs', options.busyTimeoutMs ?? 300_000),
    idleCheck: options.idleCheck ?? true,
    idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs ?? 900_000),
    memoryProbe: options.memoryProbe,
    memoryThreshold,
  };
}

/**
 * Periodic checks over the loader's resident models: force-stops backends busy too long,
 * stops idle ones gracefully, and evicts one model per check while memory is above the
 * threshold. Pinned models are never touched.
 */
export class WatchDog {
  private readonly options: ResolvedWatchDogOptions;
  private timer: Timer | undefined;
  private checking = false;

  constructor(
    private readonly loader: WatchedLoader,
    options: WatchDogOptions = {},
  ) {
    this.options = resolveWatchDogOptions(options);
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.options.clock.setRepeatingTimer(this.options.intervalMs, () => {
      // A slow check (a graceful stop waits for Free) must not overlap the next one.
      if (this.checking) return;
      void this.check();
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Runs the enabled checks once: busy, then idle, then memory. */
  async check(): Promise<WatchDogCheckResult> {
    this.checking = true;
    try {
      const actions: WatchDogAction[] = [];
      if (this.options.busyCheck) actions.push(...(await this.checkBusy()));
      if (this.options.idleCheck) actions.push(...(await this.checkIdle()));
      const memory = this.options.memoryProbe ? await this.options.memoryProbe.read() : undefined;
      if (memory) {
        const action = await this.reclaimMemory(memory);
        if (action) actions.push(action);
      }
      return { actions, memory };
    } finally {
      this.checking = false;
    }
  }

  private async checkBusy(): Promise<WatchDogAction[]> {
    const now = this.options.clock.now();
    const stuck = this.loader
      .list()
      .filter((m) => m.state === 'ready' && !m.pinned && m.busySinceMs !== undefined)
      .filter((m) => now - m.busySinceMs! > this.options.busyTimeoutMs);
    const actions: WatchDogAction[] = [];
    for (const model of stuck) {
      actions.push(await this.evict(model.modelId, 'busy-timeout', { reason: 'busy-timeout', force: true }));
    }
    return actions;
  }

  private async checkIdle(): Promise<WatchDogAction[]> {
    const now = this.options.clock.now();
    const idle = this.loader
      .list()
      .filter((m) => m.state === 'ready' && !m.pinned && m.inFlight === 0)
      .filter((m) => now - m.idleSinceMs > this.options.idleTimeoutMs);
    const actions: WatchDogAction[] = [];
    for (const model of idle) {
      actions.push(await this.evict(model.modelId, 'idle', { reason: 'idle', onlyIfIdle: true }));
    }
    return actions;
  }

  private async reclaimMemory(memory: MemoryReading): Promise<WatchDogAction | undefined> {
    if (usedFraction(memory) <= this.options.memoryThreshold) return undefined;
    const { evictionPolicy, forceEvictionWhenBusy } = this.loader.settings;
    const eligible = this.loader
      .list()
      .filter((m) => m.state === 'ready' && !m.pinned && (forceEvictionWhenBusy || m.inFlight === 0));
    const victim = evictionPolicy.order(eligible)[0];
    if (!victim) {
      this.options.logger.warn('memory above threshold but no model can be evicted', {
        usedBytes: memory.usedBytes,
        totalBytes: memory.totalBytes,
        threshold: this.options.memoryThreshold,
      });
      return undefined;
    }
    return this.evict(victim.modelId, 'memory', {
      reason: 'memory',
      force: victim.inFlight > 0,
      onlyIfIdle: !forceEvictionWhenBusy,
    });
  }

  private async evict(modelId: string, reason: WatchDogAction['reason'], options: EvictOptions): Promise<WatchDogAction> {
    try {
      const outcome = await this.loader.evict(modelId, options);
      this.options.logger.info('watchdog eviction', { modelId, reason, outcome: outcome.kind });
      return { modelId, reason, outcome };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.options.logger.error('watchdog eviction failed', { modelId, reason, error: message });
      return { modelId, reason, outcome: { kind: 'failed', message } };
    }
  }
}
