import { InvalidOptionError } from '../errors.js';
import { pickBest, type PickCandidate } from './picker.js';
import { InFlightWriter, type ReplicaLease, type ReplicaSource, type ReplicaSourceContext } from './replica-source.js';
import { matchesSelector, replicaId, type Labels, type NodeRecord, type ReplicaRecord } from './types.js';

/** Options of `ReplicaCache`. */
export interface ReplicaCacheOptions {
  /** Maximum age in ms of a cached replica list before a request refreshes it. Default 5,000. */
  refreshIntervalMs?: number;
}

interface CacheEntry {
  replicas: readonly ReplicaRecord[];
  nodes: ReadonlyMap<string, NodeRecord>;
  fetchedAtMs: number;
  refreshing: Promise<CacheEntry> | undefined;
}

/** This frontend's own view of one replica. */
interface LocalUsage {
  inFlight: number;
  lastUsedMs: number;
}

/**
 * The replica cache of one frontend: it keeps each model's list of loaded replicas,
 * refreshed when older than `refreshIntervalMs`, and picks with the same picker against
 * the in-flight counts and last-used times of its own calls only. That saves the registry
 * round trip on the request path, but frontends do not see each other's calls, so
 * balance across frontends is approximate.
 *
 * It still reports each call to the registry, off the request path, so that eviction and
 * the reconciler see replicas in use. NOTE: cluster eviction may take a replica that a
 * cached frontend has just picked, before that update lands. The call then fails with a
 * connection error, and the replica is dropped from the cache.
 */
export class ReplicaCache implements ReplicaSource {
  readonly kind = 'cache';
  readonly refreshIntervalMs: number;
  private readonly entries = new Map<string, CacheEntry>();
  /** By model id, then by replica id. */
  private readonly usage = new Map<string, Map<string, LocalUsage>>();
  private readonly writer: InFlightWriter;

  constructor(
    private readonly context: ReplicaSourceContext,
    options: ReplicaCacheOptions = {},
  ) {
    this.refreshIntervalMs = options.refreshIntervalMs ?? 5_000;
    if (!(this.refreshIntervalMs >= 0)) {
      throw new InvalidOptionError('replicaCache.refreshIntervalMs', 'a number of milliseconds >= 0', this.refreshIntervalMs);
    }
    this.writer = new InFlightWriter(context);
  }

  /**
   * Picks from the cached list. A missing list is fetched before picking; a stale one is
   * used while a refresh runs in the background. When the list has no usable replica and
   * was not fetched just now, it is fetched once more before giving up.
   */
  async acquire(modelId: string, nodeSelector: Labels): Promise<ReplicaLease | undefined> {
    const nowMs = this.context.clock.now();
    let entry = this.entries.get(modelId);
    let fresh = false;
    if (!entry) {
      entry = await this.refresh(modelId);
      fresh = true;
    } else if (nowMs - entry.fetchedAtMs >= this.refreshIntervalMs) {
      void this.refresh(modelId).catch(() => undefined);
    }

    let picked = this.pick(entry, nodeSelector);
    if (!picked && !fresh) {
      picked = this.pick(await this.refresh(modelId), nodeSelector);
    }
    if (!picked) {
      return undefined;
    }
    return this.count(picked);
  }

  acquireAgain(replica: ReplicaRecord): ReplicaLease {
    return this.count(replica);
  }

  invalidate(modelId: string): void {
    this.entries.delete(modelId);
  }

  settled(): Promise<void> {
    return this.writer.settled();
  }

  /** Calls this frontend has in flight on the replica; for tests and reports. */
  localInFlight(replica: ReplicaRecord): number {
    return this.usage.get(replica.modelId)?.get(replicaId(replica))?.inFlight ?? 0;
  }

  private pick(entry: CacheEntry, nodeSelector: Labels): ReplicaRecord | undefined {
    const candidates: PickCandidate[] = [];
    for (const replica of entry.replicas) {
      const node = entry.nodes.get(replica.nodeId);
      if (!node || node.status !== 'healthy' || !matchesSelector(node.labels, nodeSelector)) {
        continue;
      }
      const local = this.usage.get(replica.modelId)?.get(replicaId(replica));
      candidates.push({
        replica,
        inFlight: local?.inFlight ?? 0,
        lastUsedMs: local?.lastUsedMs ?? Number.NEGATIVE_INFINITY,
        availableMemoryBytes: node.availableMemoryBytes - node.reservedMemoryBytes,
      });
    }
    return pickBest(this.context.picker, candidates)?.replica;
  }

  private count(replica: ReplicaRecord): ReplicaLease {
    const byReplica = this.usage.get(replica.modelId) ?? new Map<string, LocalUsage>();
    this.usage.set(replica.modelId, byReplica);
    const id = replicaId(replica);
    const local = byReplica.get(id) ?? { inFlight: 0, lastUsedMs: Number.NEGATIVE_INFINITY };
    local.inFlight += 1;
    local.lastUsedMs = this.context.clock.now();
    byReplica.set(id, local);

    const lease = this.writer.acquire(replica);
    let released = false;
    return {
      replica,
      release: () => {
        if (released) {
          return;
        }
        released = true;
        local.inFlight = Math.max(0, local.inFlight - 1);
        lease.release();
      },
    };
  }

  /** Fetches the model's loaded replicas and the nodes; concurrent callers share one fetch. */
  private refresh(modelId: string): Promise<CacheEntry> {
    const current = this.entries.get(modelId);
    if (current?.refreshing) {
      return current.refreshing;
    }
    const fetching = this.fetch(modelId);
    if (current) {
      current.refreshing = fetching;
    }
    return fetching;
  }

  private async fetch(modelId: string): Promise<CacheEntry> {
    const { registry, clock } = this.context;
    try {
      const [replicas, nodes] = await Promise.all([registry.listReplicas({ modelId, state: 'loaded' }), registry.listNodes()]);
      const entry: CacheEntry = {
        replicas,
        nodes: new Map(nodes.map((node) => [node.id, node])),
        fetchedAtMs: clock.now(),
        refreshing: undefined,
      };
      this.entries.set(modelId, entry);
      this.pruneUsage(modelId, replicas);
      return entry;
    } finally {
      const current = this.entries.get(modelId);
      if (current) {
        current.refreshing = undefined;
      }
    }
  }

  /** Forgets local usage of replicas that left the list and have no call of ours in flight. */
  private pruneUsage(modelId: string, replicas: readonly ReplicaRecord[]): void {
    const listed = new Set(replicas.map(replicaId));
    const byReplica = this.usage.get(modelId);
    for (const [id, local] of byReplica ?? []) {
      if (!listed.has(id) && local.inFlight === 0) {
        byReplica!.delete(id);
      }
    }
  }
}
