import type { ClusterView, ReplicaKey, ReplicaRecord } from '../types.js';
import { lowestFreeIndex, nodeStates, withoutReplicas, type NodeState, type PlacementRequest } from './node-state.js';
import type { PlacementPlan, Victim } from './plan.js';
import {
  candidateFilter,
  compareNodes,
  compareVictims,
  freeSlotFilter,
  groupAntiAffinityFilter,
  groupConflicts,
  memoryFitFilter,
  type PlacementFilter,
} from './steps.js';

/**
 * The pluggable parts of placement. Every part only reads, so a plan can be computed for
 * an `explain` command or a simulation without changing anything.
 */
export interface PlacementPolicy {
  readonly name: string;
  /** Applied in order to the candidates; a soft filter that would drop every node is skipped. */
  readonly filters: readonly PlacementFilter[];
  /** Orders the nodes left after the filters, best first. */
  readonly compareNodes: (a: NodeState, b: NodeState) => number;
  /** Orders eviction victims, first evicted first. */
  readonly compareVictims: (a: ReplicaRecord, b: ReplicaRecord) => number;
  /** Maximum replicas one placement may evict on its node. */
  readonly maxVictimsPerPlacement: number;
}

/** The pipeline of distributed.md: group anti-affinity, free slot, memory fit, idle first, cluster LRU. */
export const defaultPlacementPolicy: PlacementPolicy = {
  name: 'default',
  filters: [groupAntiAffinityFilter, freeSlotFilter, memoryFitFilter],
  compareNodes,
  compareVictims,
  maxVictimsPerPlacement: 8,
};

/**
 * Decides where a new replica of `request.modelId` goes. Steps:
 * 1. candidates: healthy nodes matching the node selector, without the nodes to avoid
 *    unless only those are left;
 * 2. the cold path waits for a replica already placed; the reconciler stops at max replicas;
 * 3. the filters (group anti-affinity soft, free slot, memory fit). When the group rule
 *    was relaxed, idle conflicting replicas on the chosen node are evicted on arrival;
 * 4. the best remaining node by the policy's order;
 * 5. otherwise cluster LRU eviction on the node of the least recently used eligible
 *    replica, then `busy` when calls in flight block it, else `no-capacity`.
 */
export function planPlacement(
  view: ClusterView,
  request: PlacementRequest,
  policy: PlacementPolicy = defaultPlacementPolicy,
): PlacementPlan {
  const states = nodeStates(view);
  const candidates = states.filter((state) => candidateFilter.accepts(state, request));
  if (candidates.length === 0) {
    return { kind: 'no-matching-node' };
  }

  const existing = view.replicas.filter((r) => r.modelId === request.modelId);
  if (request.purpose === 'cold') {
    const candidateIds = new Set(candidates.map((c) => c.node.id));
    const placed = existing.filter((r) => candidateIds.has(r.nodeId));
    if (placed.length > 0) {
      return { kind: 'wait-for-loading', replica: toKey(placed.find((r) => r.state === 'loading') ?? placed[0]!) };
    }
  } else if (existing.length >= request.maxReplicas) {
    return { kind: 'at-max-replicas', replicas: existing.length };
  }

  const avoided = new Set(request.avoidNodeIds ?? []);
  const preferred = candidates.filter((state) => !avoided.has(state.node.id));
  const usable = preferred.length > 0 ? preferred : candidates;

  const protection = new Protection(view, request);
  const { nodes, groupRuleRelaxed } = applyFilters(usable, request, policy, protection);
  if (nodes.length > 0) {
    const best = [...nodes].sort(policy.compareNodes)[0]!;
    return placeOn(best, request, groupRuleRelaxed ? protection.groupVictims(best.state) : [], groupRuleRelaxed);
  }

  if (!request.allowEviction) {
    return { kind: 'no-capacity', reason: `no candidate node has a free slot and memory, and ${request.purpose} placement evicts nothing` };
  }
  return planEviction(usable, request, policy, protection, groupRuleRelaxed);
}

/** A node that passed the filters, as it will be once its group victims are gone. */
interface FilteredNode extends NodeState {
  /** The node before the group victims were taken out. */
  readonly state: NodeState;
}

/**
 * Runs the filters. When the soft group filter would drop every candidate, the candidates
 * are kept, each seen without its evictable group conflicts (they leave on arrival).
 */
function applyFilters(
  candidates: readonly NodeState[],
  request: PlacementRequest,
  policy: PlacementPolicy,
  protection: Protection,
): { nodes: FilteredNode[]; groupRuleRelaxed: boolean } {
  let nodes: FilteredNode[] = candidates.map((state) => ({ ...state, state }));
  let groupRuleRelaxed = false;
  for (const filter of policy.filters) {
    const kept = nodes.filter((n) => filter.accepts(n, request));
    if (kept.length === 0 && filter.soft) {
      groupRuleRelaxed = groupRuleRelaxed || filter === groupAntiAffinityFilter;
      nodes = nodes.map((n) => ({ ...withoutReplicas(n.state, protection.groupVictims(n.state).map((v) => v.replica)), state: n.state }));
      continue;
    }
    nodes = kept;
  }
  return { nodes, groupRuleRelaxed };
}

/**
 * Plans cluster LRU eviction. It walks eligible victims least recently used first, and on
 * each victim's node evicts that node's eligible replicas in LRU order until the new
 * replica fits. With the group rule relaxed, a node's evictable group conflicts go first.
 */
function planEviction(
  candidates: readonly NodeState[],
  request: PlacementRequest,
  policy: PlacementPolicy,
  protection: Protection,
  groupRuleRelaxed: boolean,
): PlacementPlan {
  const pool = groupRuleRelaxed ? candidates : candidates.filter((s) => groupAntiAffinityFilter.accepts(s, request));
  const withSlot = pool.filter((s) => freeSlotFilter.accepts(s, request));
  if (withSlot.length === 0) {
    return { kind: 'no-capacity', reason: 'every candidate node already holds its maximum replicas of the model' };
  }
  const size = request.sizeBytes ?? 0;
  if (withSlot.every((s) => s.node.totalMemoryBytes < size)) {
    return { kind: 'no-capacity', reason: `its size ${size} bytes exceeds the total memory of every candidate node` };
  }

  const eligible = withSlot.flatMap((s) => s.replicas.filter((r) => protection.evictable(r))).sort(policy.compareVictims);
  const tried = new Set<string>();
  for (const first of eligible) {
    if (tried.has(first.nodeId)) {
      continue;
    }
    tried.add(first.nodeId);
    const state = withSlot.find((s) => s.node.id === first.nodeId)!;
    const groupVictims = groupRuleRelaxed ? protection.groupVictims(state) : [];
    const onNode = eligible.filter((r) => r.nodeId === first.nodeId);
    const plan = evictOnNode(state, groupVictims, onNode, request, policy, protection, groupRuleRelaxed);
    if (plan) {
      return plan;
    }
  }

  const blockers = withSlot.flatMap((s) => busyBlockers(s, request, policy, protection));
  if (blockers.length > 0) {
    return { kind: 'busy', blockers: blockers.map(toKey) };
  }
  return { kind: 'no-capacity', reason: "every replica in the way is pinned, loading or at its model's minimum replicas" };
}

/**
 * Takes victims from one node, after `initial` (its group victims), in LRU order until
 * the new replica fits; returns undefined when it never does.
 */
function evictOnNode(
  state: NodeState,
  initial: readonly { replica: ReplicaRecord; reason: 'group' }[],
  victimsInOrder: readonly ReplicaRecord[],
  request: PlacementRequest,
  policy: PlacementPolicy,
  protection: Protection,
  groupRuleRelaxed: boolean,
): PlacementPlan | undefined {
  const taken: { replica: ReplicaRecord; reason: Victim['reason'] }[] = [...initial];
  const remaining = new Map<string, number>();
  for (const { replica } of initial) {
    remaining.set(replica.modelId, (remaining.get(replica.modelId) ?? protection.replicaCount(replica.modelId)) - 1);
  }

  for (const victim of victimsInOrder) {
    if (taken.length >= policy.maxVictimsPerPlacement) {
      return undefined;
    }
    if (taken.some((t) => t.replica === victim)) {
      continue;
    }
    // Several victims of one model must not together take it below its minimum.
    const left = remaining.get(victim.modelId) ?? protection.replicaCount(victim.modelId);
    if (left - 1 < protection.minReplicas(victim.modelId)) {
      continue;
    }
    remaining.set(victim.modelId, left - 1);
    taken.push({ replica: victim, reason: 'cluster-lru' });
    const after = withoutReplicas(state, taken.map((t) => t.replica));
    if (fitsAfterFilters(after, request, policy)) {
      return placeOn(after, request, taken, groupRuleRelaxed);
    }
  }
  return undefined;
}

/** Busy replicas whose eviction, together with the idle eligible ones, would make room. */
function busyBlockers(state: NodeState, request: PlacementRequest, policy: PlacementPolicy, protection: Protection): ReplicaRecord[] {
  const inTheWay = state.replicas.filter((r) => protection.blocksOnlyWhileBusy(r));
  const busy = inTheWay.filter((r) => r.inFlight > 0);
  if (busy.length === 0 || !fitsAfterFilters(withoutReplicas(state, inTheWay), request, policy)) {
    return [];
  }
  return busy;
}

/** Returns whether a node passes every hard filter; soft ones were settled before eviction. */
function fitsAfterFilters(state: NodeState, request: PlacementRequest, policy: PlacementPolicy): boolean {
  return policy.filters.every((f) => f.soft || f.accepts(state, request));
}

function placeOn(
  state: NodeState,
  request: PlacementRequest,
  victims: readonly { replica: ReplicaRecord; reason: Victim['reason'] }[],
  groupRuleRelaxed: boolean,
): PlacementPlan {
  return {
    kind: 'place',
    nodeId: state.node.id,
    replicaIndex: lowestFreeIndex(state, request.modelId)!,
    reserveBytes: request.sizeBytes ?? 0,
    victims: victims.map((v) => ({ key: toKey(v.replica), reason: v.reason })),
    groupRuleRelaxed,
  };
}

/**
 * Eviction eligibility of replicas: loaded, idle, not pinned, of another model, and not
 * among the last ones its model's minimum keeps.
 */
class Protection {
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly view: ClusterView,
    private readonly request: PlacementRequest,
  ) {
    for (const replica of view.replicas) {
      this.counts.set(replica.modelId, (this.counts.get(replica.modelId) ?? 0) + 1);
    }
  }

  replicaCount(modelId: string): number {
    return this.counts.get(modelId) ?? 0;
  }

  minReplicas(modelId: string): number {
    return this.view.models.get(modelId)?.minReplicas ?? 0;
  }

  /** Eligible now: a victim that frees its room without waiting for anything. */
  evictable(replica: ReplicaRecord): boolean {
    return this.blocksOnlyWhileBusy(replica) && replica.inFlight === 0;
  }

  /** Eligible but for its calls in flight, so waiting may free it. */
  blocksOnlyWhileBusy(replica: ReplicaRecord): boolean {
    return (
      replica.state === 'loaded' &&
      !replica.pinned &&
      replica.modelId !== this.request.modelId &&
      this.replicaCount(replica.modelId) - 1 >= this.minReplicas(replica.modelId)
    );
  }

  /**
   * Returns the conflicting-group replicas on a node that can leave when the new one
   * arrives; none when the placement may not evict.
   */
  groupVictims(state: NodeState): { replica: ReplicaRecord; reason: 'group' }[] {
    if (!this.request.allowEviction) {
      return [];
    }
    const remaining = new Map<string, number>();
    const victims: { replica: ReplicaRecord; reason: 'group' }[] = [];
    for (const replica of groupConflicts(state, this.request).filter((r) => this.evictable(r))) {
      const left = remaining.get(replica.modelId) ?? this.replicaCount(replica.modelId);
      if (left - 1 >= this.minReplicas(replica.modelId)) {
        remaining.set(replica.modelId, left - 1);
        victims.push({ replica, reason: 'group' });
      }
    }
    return victims;
  }
}

function toKey(replica: ReplicaRecord): ReplicaKey {
  return { modelId: replica.modelId, nodeId: replica.nodeId, replicaIndex: replica.replicaIndex };
}
