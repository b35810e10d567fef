import type { BackendProcess } from '../backend/backend-launcher.js';
import type { BackendClient } from '../backend/backend-client.js';
import type { Logger } from '../util/logger.js';
import { ModelUsage } from '../watchdog/model-usage.js';

/**
 * Life cycle of a model in the loader:
 * `loading` (admitted, backend starting) -> `ready` (resident) -> `stopping` -> `stopped`,
 * and `failed` when a load fails or a resident backend crashes.
 */
export type ModelState = 'loading' | 'ready' | 'stopping' | 'stopped' | 'failed';

const ALLOWED_TRANSITIONS: Readonly<Record<ModelState, readonly ModelState[]>> = {
  loading: ['ready', 'failed', 'stopping'],
  ready: ['stopping', 'failed'],
  stopping: ['stopped'],
  failed: ['stopping', 'stopped'],
  stopped: [],
};

/** The loader's one record per model it holds. */
export class ModelRecord {
  private currentState: ModelState = 'loading';
  backend: string | undefined;
  process: BackendProcess | undefined;
  /** The client handed to callers: it tracks in-flight calls in `usage`. */
  client: BackendClient | undefined;
  /** Clock time of the last successful health check, or of the load. */
  lastHealthCheckMs: number;
  readonly loadStartedMs: number;
  readonly usage: ModelUsage;
  /** Resolves once the record reaches `stopped`, for loads that wait out a stop. */
  readonly stopped: Promise<void>;
  private markStopped!: () => void;

  constructor(
    readonly modelId: string,
    readonly sizeBytes: number | undefined,
    readonly groups: readonly string[],
    readonly parallel: boolean,
    nowMs: number,
    onIdle: () => void,
    private readonly logger: Logger,
  ) {
    this.loadStartedMs = nowMs;
    this.lastHealthCheckMs = nowMs;
    this.usage = new ModelUsage(nowMs, onIdle);
    this.stopped = new Promise((resolve) => {
      this.markStopped = resolve;
    });
  }

  get state(): ModelState {
    return this.currentState;
  }

  /** True while the model counts against the LRU limit. */
  get occupiesSlot(): boolean {
    return this.currentState === 'loading' || this.currentState === 'ready';
  }

  /** Moves to `next`, or throws on a move the life cycle does not allow: that is a loader bug. */
  transition(next: ModelState): void {
    const previous = this.currentState;
    if (!ALLOWED_TRANSITIONS[previous].includes(next)) {
      throw new Error(`model "${this.modelId}": illegal state transition ${previous} -> ${next}`);
    }
    this.currentState = next;
    this.logger.debug('model state changed', { modelId: this.modelId, from: previous, to: next });
    if (next === 'stopped') this.markStopped();
  }

  sharesGroupWith(groups: readonly string[]): boolean {
    return this.groups.some((g) => groups.includes(g));
  }
}
