/** Eviction orders written from the spec alone, to check the loader's choices against. */
export type PolicyName = 'lru' | 'size-aware';

/** The fields of a held model that the eviction orders read. */
export interface OrderedModel {
  modelId: string;
  lastUsedMs: number;
  sizeBytes: number | undefined;
}

function compareLastUsed(a: OrderedModel, b: OrderedModel): number {
  if (a.lastUsedMs !== b.lastUsedMs) return a.lastUsedMs - b.lastUsedMs;
  // Exact ties are broken by model id so that the expected order is unique.
  if (a.modelId === b.modelId) return 0;
  return a.modelId < b.modelId ? -1 : 1;
}

/**
 * Returns `models` in eviction order, first victim first: least recently used first for
 * `lru`, and largest first for `size-aware` (unknown sizes count as zero), with least
 * recently used breaking ties.
 */
export function referenceOrder<T extends OrderedModel>(policy: PolicyName, models: readonly T[]): T[] {
  const ordered = [...models];
  if (policy === 'lru') return ordered.sort(compareLastUsed);
  return ordered.sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0) || compareLastUsed(a, b));
}
