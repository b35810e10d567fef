import type { Clock } from '../clock/clock.js';
import type { Logger } from '../util/logger.js';
import type { DistributedEvent } from './events.js';
import type { ReplicaPicker } from './picker.js';
import type { Registry } from './registry/registry.js';
import type { Labels, ReplicaRecord } from './types.js';

/**
 * One counted call (or a pick awaiting its call) on a replica. `release()` lowers the
 * in-flight count once; later calls do nothing.
 */
export interface ReplicaLease {
  readonly replica: ReplicaRecord;
  release(): void;
}

/**
 * Where a router finds loaded replicas and counts calls on them: the registry itself on
 * every request, or a frontend's cached copy (see `ReplicaCache`).
 */
export interface ReplicaSource {
  readonly kind: 'registry' | 'cache';
  /**
   * Picks a loaded replica of the model on a healthy node matching the selector and counts
   * one call on it; undefined when the source knows of none.
   */
  acquire(modelId: string, nodeSelector: Labels): Promise<ReplicaLease | undefined>;
  /** Counts one more call on a replica already handed out. */
  acquireAgain(replica: ReplicaRecord): ReplicaLease;
  /** Drops what the source remembers of the model's replicas, after a placement or removal. */
  invalidate(modelId: string): void;
  /** Resolves once every in-flight update sent so far has reached the registry. */
  settled(): Promise<void>;
}

/** What both sources share: the registry, the clock and the events they emit. */
export interface ReplicaSourceContext {
  registry: Registry;
  picker: ReplicaPicker;
  clock: Clock;
  logger: Logger;
  frontendId: string;
  emit: (event: DistributedEvent) => void;
}

/**
 * Sends in-flight updates to the registry in order per lease. A release never overtakes
 * its acquire, so the registry's count cannot be floored at zero and then raised for good.
 */
export class InFlightWriter {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly context: ReplicaSourceContext) {}

  /** Emits `replica-acquired`; when `counted` is undefined also raises the registry's count. */
  acquire(replica: ReplicaRecord, counted?: Promise<unknown>): ReplicaLease {
    const { clock, registry, frontendId } = this.context;
    this.context.emit({ type: 'replica-acquired', timeMs: clock.now(), frontendId, ...keyOf(replica) });
    const acquired = counted ?? this.track(registry.addInFlight(replica, 1, clock.now()));
    let released = false;
    return {
      replica,
      release: () => {
        if (released) {
          return;
        }
        released = true;
        this.context.emit({ type: 'replica-released', timeMs: clock.now(), frontendId, ...keyOf(replica) });
        this.track(acquired.then(() => registry.addInFlight(replica, -1, clock.now())));
      },
    };
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.allSettled([...this.pending]);
    }
  }

  private track(write: Promise<unknown>): Promise<unknown> {
    const logged = write.catch((error: unknown) => {
      this.context.logger.warn('in-flight update failed', { error: String(error) });
    });
    this.pending.add(logged);
    void logged.then(() => this.pending.delete(logged));
    return logged;
  }
}

/** The registry as the source: one atomic pick-and-count per request. */
export class RegistryReplicaSource implements ReplicaSource {
  readonly kind = 'registry';
  private readonly writer: InFlightWriter;

  constructor(private readonly context: ReplicaSourceContext) {
    this.writer = new InFlightWriter(context);
  }

  async acquire(modelId: string, nodeSelector: Labels): Promise<ReplicaLease | undefined> {
    const { registry, picker, clock } = this.context;
    const replica = await registry.acquireReplica(modelId, nodeSelector, picker, clock.now());
    return replica && this.writer.acquire(replica, Promise.resolve());
  }

  acquireAgain(replica: ReplicaRecord): ReplicaLease {
    return this.writer.acquire(replica);
  }

  invalidate(): void {}

  settled(): Promise<void> {
    return this.writer.settled();
  }
}

export function keyOf(replica: ReplicaRecord): { modelId: string; nodeId: string; replicaIndex: number } {
  return { modelId: replica.modelId, nodeId: replica.nodeId, replicaIndex: replica.replicaIndex };
}
