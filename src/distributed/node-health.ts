import type { Clock, Timer } from '../clock/clock.js';
import { InvalidOptionError } from '../errors.js';
import { Emitter } from '../util/emitter.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { AgentHeartbeat } from './agent-client.js';
import type { AgentPool } from './agent-pool.js';
import type { DistributedEvent } from './events.js';
import type { Registry } from './registry/registry.js';
import type { NodeRecord, NodeStatus, ReplicaRecord } from './types.js';

/** Options of `NodeHealthMonitor`. Durations are in milliseconds. */
export interface NodeHealthOptions {
  registry: Registry;
  agents: AgentPool;
  clock: Clock;
  logger?: Logger;
  /** How often each agent is asked for a heartbeat. Default 1,000. */
  heartbeatIntervalMs?: number;
  /** A node is lost after this many heartbeat intervals without one. Default 3. */
  missedHeartbeats?: number;
  /** Deadline of one heartbeat call. Default: `heartbeatIntervalMs`. */
  heartbeatTimeoutMs?: number;
  /** Called with the replicas a lost node took with it, e.g. so routers close their channels. */
  onReplicasLost?: (replicas: readonly ReplicaRecord[]) => void;
}

/**
 * Tracks node health from agent heartbeats. Each round requests a heartbeat from every agent
 * and records its memory reading. A node whose last heartbeat is older than
 * `missedHeartbeats` intervals is marked unhealthy, and its replicas leave the registry.
 * A node that responds again starts empty: the backends its agent still runs are stopped,
 * because the registry no longer knows them. An agent that restarted (new agent id) lost
 * its backends, so its node's replicas are removed too.
 */
export class NodeHealthMonitor {
  readonly events = new Emitter<DistributedEvent>();
  private readonly intervalMs: number;
  private readonly missedHeartbeats: number;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  /** The agent id in each node's last heartbeat. */
  private readonly agentIds = new Map<string, string>();
  private timer: Timer | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: NodeHealthOptions) {
    this.intervalMs = options.heartbeatIntervalMs ?? 1_000;
    this.missedHeartbeats = options.missedHeartbeats ?? 3;
    this.timeoutMs = options.heartbeatTimeoutMs ?? this.intervalMs;
    this.logger = (options.logger ?? silentLogger).child({ component: 'node-health' });
    if (!(this.intervalMs > 0)) {
      throw new InvalidOptionError('heartbeatIntervalMs', 'a number of milliseconds > 0', this.intervalMs);
    }
    if (!Number.isInteger(this.missedHeartbeats) || this.missedHeartbeats < 1) {
      throw new InvalidOptionError('missedHeartbeats', 'an integer >= 1', this.missedHeartbeats);
    }
  }

  /** Runs a round every heartbeat interval. Idempotent. */
  start(): void {
    this.timer ??= this.options.clock.setRepeatingTimer(this.intervalMs, () => {
      void this.runOnce().catch((error: unknown) => this.logger.error('heartbeat round failed', { error: String(error) }));
    });
  }

  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one round now: heartbeats from every node, then the check for lost nodes. */
  runOnce(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async round(): Promise<void> {
    const nodes = await this.options.registry.listNodes();
    await Promise.all(nodes.map((node) => this.poll(node)));
    const now = this.options.clock.now();
    const lostAfterMs = this.intervalMs * this.missedHeartbeats;
    for (const node of await this.options.registry.listNodes()) {
      if (node.status !== 'unhealthy' && now - node.lastHeartbeatMs > lostAfterMs) {
        await this.markLost(node, `no heartbeat for ${now - node.lastHeartbeatMs} ms`);
      }
    }
  }

  private async poll(node: NodeRecord): Promise<void> {
    let heartbeat: AgentHeartbeat;
    try {
      heartbeat = await this.options.agents.get(node).heartbeat({ deadlineMs: this.timeoutMs });
    } catch (error) {
      this.logger.debug('heartbeat missed', { nodeId: node.id, error: String(error) });
      return;
    }

    const previousAgentId = this.agentIds.get(node.id);
    this.agentIds.set(node.id, heartbeat.agentId);
    const restarted = previousAgentId !== undefined && previousAgentId !== heartbeat.agentId;
    if (restarted && node.status !== 'unhealthy') {
      await this.markLost(node, 'its agent restarted');
    }
    // Only a node seen unhealthy needs a fresh read, which keeps a healthy round at one write per node.
    const current = restarted || node.status === 'unhealthy' ? ((await this.options.registry.getNode(node.id)) ?? node) : node;
    if (current.status === 'unhealthy') {
      await this.stopOrphans(node, heartbeat);
      await this.setStatus(current, 'healthy');
    }
    await this.options.registry.recordHeartbeat(
      node.id,
      { totalMemoryBytes: heartbeat.totalMemoryBytes, availableMemoryBytes: heartbeat.availableMemoryBytes },
      this.options.clock.now(),
    );
  }

  private async markLost(node: NodeRecord, cause: string): Promise<void> {
    this.logger.warn('node lost', { nodeId: node.id, reason: cause });
    const removed = await this.setStatus(node, 'unhealthy');
    const timeMs = this.options.clock.now();
    for (const replica of removed) {
      this.events.emit({
        type: 'replica-removed',
        timeMs,
        modelId: replica.modelId,
        nodeId: replica.nodeId,
        replicaIndex: replica.replicaIndex,
        reason: 'node-lost',
      });
    }
    if (removed.length > 0) {
      this.options.onReplicasLost?.(removed);
    }
  }

  private async setStatus(node: NodeRecord, to: NodeStatus): Promise<ReplicaRecord[]> {
    const removed = await this.options.registry.setNodeStatus(node.id, to, this.options.clock.now());
    this.events.emit({ type: 'node-status-changed', timeMs: this.options.clock.now(), nodeId: node.id, from: node.status, to });
    return removed;
  }

  /** Stops the backends a returning node still runs, so that it starts empty. */
  private async stopOrphans(node: NodeRecord, heartbeat: AgentHeartbeat): Promise<void> {
    const agent = this.options.agents.get(node);
    for (const backend of heartbeat.backends) {
      await agent.stopBackend(backend.modelId, backend.replicaIndex, { force: true, deadlineMs: this.timeoutMs }).catch((error: unknown) => {
        this.logger.warn('could not stop a backend left on a returning node', { nodeId: node.id, modelId: backend.modelId, error: String(error) });
      });
    }
  }
}
