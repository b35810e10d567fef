/** Reason a resident model was stopped. */
export type EvictionReason =
  | 'lru'
  | 'group'
  | 'idle'
  | 'busy-timeout'
  | 'memory'
  | 'connection-error'
  | 'explicit'
  | 'cluster-lru';

export const EVICTION_REASONS: readonly EvictionReason[] = [
  'lru',
  'group',
  'idle',
  'busy-timeout',
  'memory',
  'connection-error',
  'explicit',
  'cluster-lru',
];

/** Reason an eviction candidate was passed over. */
export type SkipReason = 'busy' | 'pinned' | 'loading';

/**
 * Everything the loader reports. `timeMs` is the loader clock's time. Consumers (the CLI,
 * the simulator's metrics) subscribe with `ModelLoader.events.on`.
 */
export type LoaderEvent =
  | { type: 'load-started'; timeMs: number; modelId: string; backend: string }
  | {
      type: 'load-succeeded';
      timeMs: number;
      modelId: string;
      backend: string;
      address: string;
      durationMs: number;
    }
  | {
      type: 'load-failed';
      timeMs: number;
      modelId: string;
      backend: string | undefined;
      code: string;
      message: string;
      cooldownMs: number;
    }
  /** A load request joined a cold load of the same model already in progress. */
  | { type: 'load-coalesced'; timeMs: number; modelId: string }
  /** A load request found its model resident. */
  | { type: 'resident-hit'; timeMs: number; modelId: string }
  | { type: 'cooldown-rejected'; timeMs: number; modelId: string; retryAfterMs: number }
  | {
      type: 'evicted';
      timeMs: number;
      modelId: string;
      reason: EvictionReason;
      forced: boolean;
      /** The model whose load caused this eviction, for `lru` and `group`. */
      forModelId?: string;
      /**
       * True when the eviction finishes the evictions of a load that went past a limit: a
       * model that blocked that load was evicted once it went idle.
       */
      afterOverflow?: boolean;
    }
  | {
      type: 'eviction-skipped';
      timeMs: number;
      modelId: string;
      reason: SkipReason;
      forModelId: string;
    }
  /** A cold load waited for busy, pinned or loading models to make room. */
  | { type: 'admission-waited'; timeMs: number; modelId: string; waitedMs: number }
  /** A cold load went ahead past the LRU limit or next to a group conflict. */
  | {
      type: 'overflow';
      timeMs: number;
      modelId: string;
      kind: 'lru' | 'group';
      blockers: string[];
    }
  | {
      type: 'backend-exited';
      timeMs: number;
      modelId: string;
      exitCode: number | null;
      signal: string | null;
      intentional: boolean;
    };

export type LoaderEventType = LoaderEvent['type'];
