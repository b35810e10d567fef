import type { Scheduler } from 'fast-check';
import type { ReplicaPicker } from '../../../src/distributed/picker.js';
import type { PlacementPlan } from '../../../src/distributed/placement/plan.js';
import type { InMemoryRegistry } from '../../../src/distributed/registry/memory-registry.js';
import type {
  MemoryReading,
  Registry,
  ReplicaFilter,
  ReplicaTemplate,
  ReservationOutcome,
} from '../../../src/distributed/registry/registry.js';
import {
  matchesSelector,
  replicaId,
  sameReplica,
  sharesGroup,
  type ClusterView,
  type Labels,
  type ModelScheduling,
  type NodeRegistration,
  type NodeStatus,
  type ReplicaKey,
  type ReplicaRecord,
} from '../../../src/distributed/types.js';

/**
 * A registry that lets the scheduler decide when each call runs, and checks the
 * distributed invariants on every decision and after every change. Breaches are collected
 * in `violations` rather than thrown, so that one run reports all of them.
 */
export class CheckedRegistry implements Registry {
  readonly violations: string[] = [];

  constructor(
    private readonly inner: InMemoryRegistry,
    private readonly scheduler: Scheduler,
  ) {}

  async registerNode(registration: NodeRegistration, nowMs: number) {
    return this.inner.registerNode(registration, nowMs);
  }
  async removeNode(nodeId: string) {
    return this.mutate('removeNode', () => this.inner.removeNode(nodeId));
  }
  async getNode(nodeId: string) {
    return this.read('getNode', () => this.inner.getNode(nodeId));
  }
  async listNodes() {
    return this.read('listNodes', () => this.inner.listNodes());
  }
  async setNodeStatus(nodeId: string, status: NodeStatus, nowMs: number) {
    return this.mutate('setNodeStatus', () => this.inner.setNodeStatus(nodeId, status, nowMs));
  }
  async recordHeartbeat(nodeId: string, reading: MemoryReading, nowMs: number) {
    return this.mutate('recordHeartbeat', () => this.inner.recordHeartbeat(nodeId, reading, nowMs));
  }
  async updateModel(modelId: string, update: (current: ModelScheduling | undefined) => ModelScheduling) {
    return this.mutate('updateModel', () => this.inner.updateModel(modelId, update));
  }
  async getModel(modelId: string) {
    return this.read('getModel', () => this.inner.getModel(modelId));
  }
  async listModels() {
    return this.read('listModels', () => this.inner.listModels());
  }
  async getReplica(key: ReplicaKey) {
    return this.read('getReplica', () => this.inner.getReplica(key));
  }
  async listReplicas(filter?: ReplicaFilter) {
    return this.read('listReplicas', () => this.inner.listReplicas(filter));
  }
  async view(nowMs: number) {
    return this.read('view', () => this.inner.view(nowMs));
  }
  async acquireReplica(modelId: string, nodeSelector: Labels, picker: ReplicaPicker, nowMs: number) {
    return this.mutate('acquireReplica', () => this.inner.acquireReplica(modelId, nodeSelector, picker, nowMs));
  }
  async addInFlight(key: ReplicaKey, delta: number, nowMs: number) {
    return this.mutate('addInFlight', () => this.inner.addInFlight(key, delta, nowMs));
  }
  async reserveReplica(template: ReplicaTemplate, plan: (view: ClusterView) => PlacementPlan, nowMs: number): Promise<ReservationOutcome> {
    const checkedPlan = (view: ClusterView): PlacementPlan => {
      const decision = plan(view);
      if (decision.kind === 'place') {
        this.checkPlacement(view, template, decision);
      }
      return decision;
    };
    return this.mutate('reserveReplica', () => this.inner.reserveReplica(template, checkedPlan, nowMs));
  }
  async completeLoad(key: ReplicaKey, address: string, nowMs: number) {
    return this.mutate('completeLoad', () => this.inner.completeLoad(key, address, nowMs));
  }
  async removeReplica(key: ReplicaKey) {
    return this.mutate('removeReplica', () => this.inner.removeReplica(key));
  }
  async takeReplica(select: (view: ClusterView) => ReplicaKey | undefined, nowMs: number) {
    const checkedSelect = (view: ClusterView): ReplicaKey | undefined => {
      const key = select(view);
      if (key) {
        this.checkVictims(view, [key], 'scale-down');
      }
      return key;
    };
    return this.mutate('takeReplica', () => this.inner.takeReplica(checkedSelect, nowMs));
  }

  /** Checks a snapshot: slots per model, reservations and in-flight counts. */
  async checkState(when: string): Promise<void> {
    const view = await this.inner.view(0);
    for (const node of view.nodes) {
      const onNode = view.replicas.filter((r) => r.nodeId === node.id);
      const reserved = onNode.filter((r) => r.state === 'loading').reduce((sum, r) => sum + r.reservedMemoryBytes, 0);
      if (node.reservedMemoryBytes < 0 || node.reservedMemoryBytes !== reserved) {
        this.violations.push(`${when}: node ${node.id} reserves ${node.reservedMemoryBytes}, its loading replicas ${reserved}`);
      }
      for (const modelId of new Set(onNode.map((r) => r.modelId))) {
        const count = onNode.filter((r) => r.modelId === modelId).length;
        if (count > node.replicaSlotsPerModel) {
          this.violations.push(`${when}: node ${node.id} holds ${count} replicas of ${modelId} in ${node.replicaSlotsPerModel} slot(s)`);
        }
      }
    }
    for (const replica of view.replicas) {
      if (replica.inFlight < 0) {
        this.violations.push(`${when}: ${replicaId(replica)} has ${replica.inFlight} calls in flight`);
      }
    }
  }

  /** Checks a placement against the view it was made on: victims, slots, memory and groups. */
  private checkPlacement(view: ClusterView, template: ReplicaTemplate, plan: Extract<PlacementPlan, { kind: 'place' }>): void {
    const victims = plan.victims.map((v) => v.key);
    this.checkVictims(view, victims, 'placement');
    const node = view.nodes.find((n) => n.id === plan.nodeId)!;
    const remaining = view.replicas.filter((r) => r.nodeId === plan.nodeId && !victims.some((v) => sameReplica(v, r)));

    if (remaining.filter((r) => r.modelId === template.modelId).length + 1 > node.replicaSlotsPerModel) {
      this.violations.push(`placement of ${template.modelId} on ${node.id} exceeds its slots`);
    }
    if (template.sizeBytes !== undefined) {
      const freed = view.replicas
        .filter((r) => victims.some((v) => sameReplica(v, r)))
        .reduce((sum, r) => sum + (r.sizeBytes ?? 0), 0);
      if (node.availableMemoryBytes - node.reservedMemoryBytes + freed < template.sizeBytes) {
        this.violations.push(`placement of ${template.modelId} on ${node.id} does not fit its memory`);
      }
    }

    const conflicts = (nodeId: string, replicas: readonly ReplicaRecord[]) =>
      replicas.some((r) => r.nodeId === nodeId && r.modelId !== template.modelId && sharesGroup(r.groups, template.groups));
    if (conflicts(node.id, remaining)) {
      const selector = view.models.get(template.modelId)?.nodeSelector ?? {};
      const candidates = view.nodes.filter((n) => n.status === 'healthy' && matchesSelector(n.labels, selector));
      const free = candidates.filter((n) => !conflicts(n.id, view.replicas));
      if (free.length > 0) {
        this.violations.push(`${template.modelId} went next to a group conflict on ${node.id} while ${free.map((n) => n.id).join(',')} had none`);
      }
    }
  }

  /** Checks that victims are idle and loaded, and leave their model at its minimum or above. */
  private checkVictims(view: ClusterView, victims: readonly ReplicaKey[], why: string): void {
    for (const key of victims) {
      const victim = view.replicas.find((r) => sameReplica(r, key));
      if (!victim || victim.inFlight > 0 || victim.state !== 'loaded') {
        this.violations.push(`${why} took ${replicaId(key)} with ${victim?.inFlight} calls in flight in state ${victim?.state}`);
        continue;
      }
      const left = view.replicas.filter((r) => r.modelId === key.modelId).length - victims.filter((v) => v.modelId === key.modelId).length;
      const min = view.models.get(key.modelId)?.minReplicas ?? 0;
      if (left < min) {
        this.violations.push(`${why} took ${key.modelId} down to ${left} replicas, below its minimum ${min}`);
      }
    }
  }

  private async read<T>(label: string, call: () => Promise<T>): Promise<T> {
    await this.scheduler.schedule(Promise.resolve(), `registry.${label}`);
    return call();
  }

  private async mutate<T>(label: string, call: () => Promise<T>): Promise<T> {
    await this.scheduler.schedule(Promise.resolve(), `registry.${label}`);
    const result = await call();
    await this.checkState(`after ${label}`);
    return result;
  }
}
