import type { EvictionPolicy } from '../watchdog/eviction-policy.js';
import type { SkipReason } from './events.js';

/** The view of one held model that admission planning works from. */
export interface AdmissionModel {
  modelId: string;
  /** `loading` models count against the limit but cannot be evicted. */
  state: 'loading' | 'ready';
  groups: readonly string[];
  pinned: boolean;
  busy: boolean;
  lastUsedMs: number;
  sizeBytes: number | undefined;
}

export interface AdmissionVictim {
  modelId: string;
  reason: 'group' | 'lru';
  /** True when the victim is busy and force-when-busy is on. */
  forced: boolean;
}

export interface AdmissionBlocker {
  modelId: string;
  rule: 'group' | 'lru';
  reason: SkipReason;
}

/**
 * The evictions a cold load needs. When `blockers` is empty, evicting `victims` makes room;
 * otherwise `victims` is what could be evicted now and `blockers` what stood in the way.
 */
export interface AdmissionPlan {
  victims: AdmissionVictim[];
  blockers: AdmissionBlocker[];
}

export interface AdmissionInput {
  modelId: string;
  groups: readonly string[];
  /** Every model that occupies a slot (loading or ready), not including the requested one. */
  models: readonly AdmissionModel[];
  lruLimit: number;
  policy: EvictionPolicy;
  forceWhenBusy: boolean;
}

function skipReason(model: AdmissionModel, forceWhenBusy: boolean): SkipReason | undefined {
  if (model.state === 'loading') return 'loading';
  if (model.pinned) return 'pinned';
  if (model.busy && !forceWhenBusy) return 'busy';
  return undefined;
}

/**
 * Plans the evictions of a cold load, without side effects:
 * 1. every model sharing a group with the requested one, oldest last-used first;
 * 2. then enough of the remaining models, in the policy's order, that the models holding
 *    a slot plus the requested one fit the LRU limit.
 * Pinned and loading models are never victims; busy ones only with force-when-busy.
 */
export function planAdmission(input: AdmissionInput): AdmissionPlan {
  const victims: AdmissionVictim[] = [];
  const blockers: AdmissionBlocker[] = [];

  const conflicts = input.models
    .filter((m) => m.groups.some((g) => input.groups.includes(g)))
    .sort((a, b) => a.lastUsedMs - b.lastUsedMs || (a.modelId < b.modelId ? -1 : 1));
  for (const model of conflicts) {
    const reason = skipReason(model, input.forceWhenBusy);
    if (reason) blockers.push({ modelId: model.modelId, rule: 'group', reason });
    else victims.push({ modelId: model.modelId, reason: 'group', forced: model.busy });
  }

  if (input.lruLimit > 0) {
    const conflictIds = new Set(conflicts.map((m) => m.modelId));
    const remaining = input.models.filter((m) => !conflictIds.has(m.modelId));
    // Group conflicts that cannot be evicted still hold their slot.
    let excess = remaining.length + blockers.length + 1 - input.lruLimit;
    const lruBlockers: AdmissionBlocker[] = [];
    for (const model of input.policy.order(remaining)) {
      if (excess <= 0) break;
      const reason = skipReason(model, input.forceWhenBusy);
      if (reason) {
        lruBlockers.push({ modelId: model.modelId, rule: 'lru', reason });
        continue;
      }
      victims.push({ modelId: model.modelId, reason: 'lru', forced: model.busy });
      excess -= 1;
    }
    if (excess > 0) blockers.push(...lruBlockers);
  }

  return { victims, blockers };
}
