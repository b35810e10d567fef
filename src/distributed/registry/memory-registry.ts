import { InvalidOptionError } from '../../errors.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { UnknownNodeError } from '../errors.js';
import { pickBest, type PickCandidate, type ReplicaPicker } from '../picker.js';
import type { PlacementPlan } from '../placement/plan.js';
import {
  matchesSelector,
  replicaId,
  type ClusterView,
  type Labels,
  type ModelScheduling,
  type NodeRecord,
  type NodeRegistration,
  type NodeStatus,
  type ReplicaKey,
  type ReplicaRecord,
  type ReplicaState,
} from '../types.js';
import type {
  MemoryReading,
  Registry,
  ReplicaFilter,
  ReplicaTemplate,
  ReservationOutcome,
} from './registry.js';

/** A node row; its available memory is derived when a snapshot is taken. */
type MutableNode = { -readonly [K in Exclude<keyof NodeRecord, 'availableMemoryBytes'>]: NodeRecord[K] } & {
  /** Free memory as the last heartbeat (or the registration) measured it. */
  reportedAvailableMemoryBytes: number;
  /** Sum of the known sizes of the node's loaded replicas. */
  loadedReplicaBytes: number;
};
type MutableReplica = { -readonly [K in keyof ReplicaRecord]: ReplicaRecord[K] };

/** Node status moves the registry accepts; anything else is a bug in the caller. */
const NODE_TRANSITIONS: Readonly<Record<NodeStatus, readonly NodeStatus[]>> = {
  healthy: ['unhealthy', 'draining'],
  draining: ['healthy', 'unhealthy'],
  unhealthy: ['healthy'],
};

/** Replica state moves; removal is allowed from either state and is not a state. */
const REPLICA_TRANSITIONS: Readonly<Record<ReplicaState, readonly ReplicaState[]>> = {
  loading: ['loaded'],
  loaded: [],
};

/** Options of `InMemoryRegistry`. */
export interface InMemoryRegistryOptions {
  /** Receives node and replica transitions at debug level. Default: silent. */
  logger?: Logger;
}

/**
 * The embedded registry: all state in one frontend's memory. Each method changes state
 * synchronously before its promise resolves, so every method is one atomic step on the
 * JavaScript event loop. Records handed out are frozen copies.
 */
export class InMemoryRegistry implements Registry {
  private readonly nodes = new Map<string, MutableNode>();
  /** Keyed by `replicaId`; the only place replica rows live. */
  private readonly replicas = new Map<string, MutableReplica>();
  private readonly models = new Map<string, ModelScheduling>();
  private readonly logger: Logger;

  constructor(options: InMemoryRegistryOptions = {}) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'registry' });
  }

  async registerNode(registration: NodeRegistration, nowMs: number): Promise<NodeRecord> {
    validateRegistration(registration);
    const existing = this.nodes.get(registration.id);
    const node: MutableNode = {
      id: registration.id,
      agentAddress: registration.agentAddress,
      status: existing?.status ?? 'healthy',
      labels: { ...(registration.labels ?? {}) },
      totalMemoryBytes: registration.totalMemoryBytes,
      reportedAvailableMemoryBytes: registration.availableMemoryBytes ?? registration.totalMemoryBytes,
      loadedReplicaBytes: existing?.loadedReplicaBytes ?? 0,
      reservedMemoryBytes: existing?.reservedMemoryBytes ?? 0,
      replicaSlotsPerModel: registration.replicaSlotsPerModel ?? 1,
      lastHeartbeatMs: nowMs,
    };
    this.nodes.set(node.id, node);
    return this.snapshotNode(node);
  }

  async removeNode(nodeId: string): Promise<ReplicaRecord[]> {
    const removed = this.removeReplicasOf(nodeId);
    this.nodes.delete(nodeId);
    return removed;
  }

  async getNode(nodeId: string): Promise<NodeRecord | undefined> {
    const node = this.nodes.get(nodeId);
    return node && this.snapshotNode(node);
  }

  async listNodes(): Promise<NodeRecord[]> {
    return [...this.nodes.values()].map((node) => this.snapshotNode(node));
  }

  async setNodeStatus(nodeId: string, status: NodeStatus, _nowMs: number): Promise<ReplicaRecord[]> {
    const node = this.requireNode(nodeId);
    if (node.status === status) {
      return [];
    }
    if (!NODE_TRANSITIONS[node.status].includes(status)) {
      throw new InvalidOptionError(`status of node "${nodeId}"`, `one of ${NODE_TRANSITIONS[node.status].join(', ')} after ${node.status}`, status);
    }
    this.logger.debug('node status changed', { nodeId, from: node.status, to: status });
    node.status = status;
    // A lost node's backends are gone or unreachable; a node that comes back starts empty.
    return status === 'unhealthy' ? this.removeReplicasOf(nodeId) : [];
  }

  async recordHeartbeat(nodeId: string, reading: MemoryReading, nowMs: number): Promise<NodeRecord | undefined> {
    const node = this.nodes.get(nodeId);
    if (!node) {
      return undefined;
    }
    node.totalMemoryBytes = reading.totalMemoryBytes;
    node.reportedAvailableMemoryBytes = reading.availableMemoryBytes;
    node.lastHeartbeatMs = nowMs;
    return this.snapshotNode(node);
  }

  async updateModel(
    modelId: string,
    update: (current: ModelScheduling | undefined) => ModelScheduling,
  ): Promise<ModelScheduling> {
    const next = Object.freeze({ ...update(this.models.get(modelId)), modelId });
    this.models.set(modelId, next);
    return next;
  }

  async getModel(modelId: string): Promise<ModelScheduling | undefined> {
    return this.models.get(modelId);
  }

  async listModels(): Promise<ModelScheduling[]> {
    return [...this.models.values()];
  }

  async getReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined> {
    const replica = this.replicas.get(replicaId(key));
    return replica && snapshotReplica(replica);
  }

  async listReplicas(filter: ReplicaFilter = {}): Promise<ReplicaRecord[]> {
    return [...this.replicas.values()]
      .filter(
        (r) =>
          (filter.modelId === undefined || r.modelId === filter.modelId) &&
          (filter.nodeId === undefined || r.nodeId === filter.nodeId) &&
          (filter.state === undefined || r.state === filter.state),
      )
      .map(snapshotReplica);
  }

  async view(nowMs: number): Promise<ClusterView> {
    return this.snapshot(nowMs);
  }

  async acquireReplica(
    modelId: string,
    nodeSelector: Labels,
    picker: ReplicaPicker,
    nowMs: number,
  ): Promise<ReplicaRecord | undefined> {
    const candidates: PickCandidate[] = [];
    for (const replica of this.replicas.values()) {
      if (replica.modelId !== modelId || replica.state !== 'loaded') {
        continue;
      }
      const node = this.requireNode(replica.nodeId);
      if (node.status !== 'healthy' || !matchesSelector(node.labels, nodeSelector)) {
        continue;
      }
      candidates.push({
        replica: snapshotReplica(replica),
        inFlight: replica.inFlight,
        lastUsedMs: replica.lastUsedMs,
        availableMemoryBytes: this.availableMemory(node) - node.reservedMemoryBytes,
      });
    }
    const best = pickBest(picker, candidates);
    if (!best) {
      return undefined;
    }

    const row = this.replicas.get(replicaId(best.replica))!;
    row.inFlight += 1;
    row.lastUsedMs = nowMs;
    return snapshotReplica(row);
  }

  async addInFlight(key: ReplicaKey, delta: number, nowMs: number): Promise<ReplicaRecord | undefined> {
    const row = this.replicas.get(replicaId(key));
    if (!row) {
      return undefined;
    }
    row.inFlight = Math.max(0, row.inFlight + delta);
    if (delta > 0) {
      row.lastUsedMs = nowMs;
    }
    return snapshotReplica(row);
  }

  async reserveReplica(
    template: ReplicaTemplate,
    plan: (view: ClusterView) => PlacementPlan,
    nowMs: number,
  ): Promise<ReservationOutcome> {
    const decision = plan(this.snapshot(nowMs));
    if (decision.kind !== 'place') {
      return { kind: 'rejected', plan: decision };
    }

    // Check the plan against the rows before touching any, so a wrong plan changes nothing.
    const node = this.requireNode(decision.nodeId);
    const key: ReplicaKey = { modelId: template.modelId, nodeId: node.id, replicaIndex: decision.replicaIndex };
    const victimRows = decision.victims.map((victim) => this.requireVictim(victim.key));
    this.checkPlacement(node, key, decision.reserveBytes, victimRows);

    const victims = decision.victims.map((victim, i) => ({
      replica: this.deleteReplica(victimRows[i]!),
      reason: victim.reason,
    }));
    const row: MutableReplica = {
      ...key,
      state: 'loading',
      address: undefined,
      inFlight: 0,
      lastUsedMs: nowMs,
      sizeBytes: template.sizeBytes,
      reservedMemoryBytes: decision.reserveBytes,
      groups: [...template.groups],
      pinned: template.pinned,
    };
    this.replicas.set(replicaId(key), row);
    node.reservedMemoryBytes += decision.reserveBytes;
    this.logger.debug('replica reserved', { replica: replicaId(key), reservedBytes: decision.reserveBytes });
    return { kind: 'reserved', replica: snapshotReplica(row), victims, groupRuleRelaxed: decision.groupRuleRelaxed };
  }

  async completeLoad(key: ReplicaKey, address: string, nowMs: number): Promise<ReplicaRecord | undefined> {
    const row = this.replicas.get(replicaId(key));
    if (!row) {
      return undefined;
    }
    transitionReplica(row, 'loaded');
    const node = this.requireNode(row.nodeId);

    // The reservation ends; the loaded replica's size now counts against the node's memory.
    node.reservedMemoryBytes -= row.reservedMemoryBytes;
    node.loadedReplicaBytes += row.sizeBytes ?? 0;
    row.reservedMemoryBytes = 0;
    row.address = address;
    row.lastUsedMs = nowMs;
    return snapshotReplica(row);
  }

  async removeReplica(key: ReplicaKey): Promise<ReplicaRecord | undefined> {
    const row = this.replicas.get(replicaId(key));
    return row && this.deleteReplica(row);
  }

  async takeReplica(select: (view: ClusterView) => ReplicaKey | undefined, nowMs: number): Promise<ReplicaRecord | undefined> {
    const key = select(this.snapshot(nowMs));
    if (!key) {
      return undefined;
    }
    return this.deleteReplica(this.requireVictim(key));
  }

  /** Removes a row and releases its reservation; a loaded row's size stops counting with it. */
  private deleteReplica(row: MutableReplica): ReplicaRecord {
    const node = this.nodes.get(row.nodeId);
    if (node && row.state === 'loading') {
      node.reservedMemoryBytes -= row.reservedMemoryBytes;
    } else if (node) {
      node.loadedReplicaBytes -= row.sizeBytes ?? 0;
    }
    this.replicas.delete(replicaId(row));
    this.logger.debug('replica removed', { replica: replicaId(row), state: row.state });
    return snapshotReplica(row);
  }

  private removeReplicasOf(nodeId: string): ReplicaRecord[] {
    return [...this.replicas.values()].filter((r) => r.nodeId === nodeId).map((r) => this.deleteReplica(r));
  }

  private checkPlacement(node: MutableNode, key: ReplicaKey, reserveBytes: number, victims: readonly MutableReplica[]): void {
    const problems: string[] = [];
    if (node.status !== 'healthy') {
      problems.push(`node is ${node.status}`);
    }
    if (!Number.isInteger(key.replicaIndex) || key.replicaIndex < 0 || key.replicaIndex >= node.replicaSlotsPerModel) {
      problems.push(`replica index ${key.replicaIndex} is outside the node's ${node.replicaSlotsPerModel} slot(s)`);
    }
    if (this.replicas.has(replicaId(key))) {
      problems.push('the slot is taken');
    }
    if (!(reserveBytes >= 0)) {
      problems.push(`reservation ${reserveBytes} is negative`);
    }
    for (const victim of victims) {
      if (victim.inFlight > 0 || victim.state !== 'loaded') {
        problems.push(`victim ${replicaId(victim)} is ${victim.state} with ${victim.inFlight} call(s) in flight`);
      }
    }
    if (problems.length > 0) {
      throw new InvalidOptionError(`placement of ${replicaId(key)}`, 'a plan valid against the registry', problems.join('; '));
    }
  }

  private requireNode(nodeId: string): MutableNode {
    const node = this.nodes.get(nodeId);
    if (!node) {
      throw new UnknownNodeError(nodeId);
    }
    return node;
  }

  private requireVictim(key: ReplicaKey): MutableReplica {
    const row = this.replicas.get(replicaId(key));
    if (!row) {
      throw new InvalidOptionError('victim', 'a replica in the registry', replicaId(key));
    }
    return row;
  }

  /** Returns the lower of the reported free memory and the total minus the node's loaded replicas. */
  private availableMemory(node: MutableNode): number {
    return Math.min(node.reportedAvailableMemoryBytes, node.totalMemoryBytes - node.loadedReplicaBytes);
  }

  private snapshotNode(node: MutableNode): NodeRecord {
    const { reportedAvailableMemoryBytes: _reported, loadedReplicaBytes: _loaded, ...fields } = node;
    return Object.freeze({ ...fields, availableMemoryBytes: this.availableMemory(node), labels: Object.freeze({ ...node.labels }) });
  }

  private snapshot(nowMs: number): ClusterView {
    return {
      nowMs,
      nodes: [...this.nodes.values()].map((node) => this.snapshotNode(node)),
      replicas: [...this.replicas.values()].map(snapshotReplica),
      models: new Map(this.models),
    };
  }
}

function transitionReplica(row: MutableReplica, to: ReplicaState): void {
  if (!REPLICA_TRANSITIONS[row.state].includes(to)) {
    throw new InvalidOptionError(`state of replica ${replicaId(row)}`, `one of [${REPLICA_TRANSITIONS[row.state].join(', ')}] after ${row.state}`, to);
  }
  row.state = to;
}

function validateRegistration(registration: NodeRegistration): void {
  if (!(registration.totalMemoryBytes >= 0)) {
    throw new InvalidOptionError(`totalMemoryBytes of node "${registration.id}"`, 'a number >= 0', registration.totalMemoryBytes);
  }
  const slots = registration.replicaSlotsPerModel ?? 1;
  if (!Number.isInteger(slots) || slots < 1) {
    throw new InvalidOptionError(`replicaSlotsPerModel of node "${registration.id}"`, 'an integer >= 1', slots);
  }
}


function snapshotReplica(row: MutableReplica): ReplicaRecord {
  return Object.freeze({ ...row, groups: Object.freeze([...row.groups]) });
}
