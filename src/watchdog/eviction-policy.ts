import { InvalidOptionError } from '../errors.js';

/** What a policy may look at when ordering eviction candidates. */
export interface EvictionCandidate {
  modelId: string;
  lastUsedMs: number;
  /** Unknown sizes order as zero. */
  sizeBytes: number | undefined;
}

/**
 * Orders eviction candidates, first to evict first. Policies only order: they neither filter
 * pinned or busy models nor change any state, so the simulator and tests can ask them freely.
 */
export interface EvictionPolicy {
  readonly name: string;
  order<T extends EvictionCandidate>(candidates: readonly T[]): T[];
}

function byLastUsed(a: EvictionCandidate, b: EvictionCandidate): number {
  // The model id breaks exact ties so the order never depends on map iteration order.
  return a.lastUsedMs - b.lastUsedMs || (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0);
}

/** Least recently used first. */
export const lruPolicy: EvictionPolicy = {
  name: 'lru',
  order: (candidates) => [...candidates].sort(byLastUsed),
};

/** Largest first, so one eviction frees the most memory; least recently used breaks ties. */
export const sizeAwarePolicy: EvictionPolicy = {
  name: 'size-aware',
  order: (candidates) =>
    [...candidates].sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0) || byLastUsed(a, b)),
};

export const EVICTION_POLICIES: Readonly<Record<string, EvictionPolicy>> = {
  lru: lruPolicy,
  'size-aware': sizeAwarePolicy,
};

/** Looks a policy up by name, or passes a custom policy object through. */
export function resolveEvictionPolicy(policy: string | EvictionPolicy): EvictionPolicy {
  if (typeof policy !== 'string') return policy;
  const found = EVICTION_POLICIES[policy];
  if (!found) {
    throw new InvalidOptionError('evictionPolicy', `one of ${Object.keys(EVICTION_POLICIES).join(', ')}`, policy);
  }
  return found;
}
