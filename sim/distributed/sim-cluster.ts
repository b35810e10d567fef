import { AgentCore } from '../../src/agent/agent-core.js';
import { InProcessAgentClient } from '../../src/agent/in-process-agent-client.js';
import { BackendCatalog } from '../../src/backend/backend-catalog.js';
import type { BackendClient } from '../../src/backend/backend-client.js';
import type { AgentCallOptions, AgentClient, StartBackendRequest } from '../../src/distributed/agent-client.js';
import type { EmbeddedCluster } from '../../src/distributed/cluster.js';
import { AgentCallError } from '../../src/distributed/errors.js';
import type { NodeRegistration } from '../../src/distributed/types.js';
import { GpuMemoryPool, SimMemoryProbe } from '../backends/gpu-memory.js';
import type { RequestFacts } from '../backends/sim-backend.js';
import { SimLauncher } from '../backends/sim-launcher.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { FaultRecord } from '../metrics/summary.js';
import { simModelsOf } from '../run/sim-environment.js';
import type { Scenario, ScenarioFault } from '../scenario/types.js';
import type { ClusterEnvironment } from './cluster-environment.js';
import { ForwardingBackendClient } from './forwarding-client.js';

/** Options of the virtual-time cluster. */
export interface SimClusterOptions {
  seed: string | number;
  /** Load and service times vary by a uniform factor in [1 - j, 1 + j]. */
  jitterFraction: number;
  requestFacts: (correlationId: string) => RequestFacts | undefined;
}

/** Directory the agents report; simulated backends never open it. */
const SIM_MODELS_DIR = '/models';

interface SimNode {
  registration: NodeRegistration;
  memory: GpuMemoryPool;
  launcher: SimLauncher;
  core: AgentCore;
  down: boolean;
  /** Agent runs so far; a node that comes back gets a new agent id. */
  generation: number;
}

/**
 * Creates the `sim` cluster: a virtual clock and, per node, its own GPU memory and
 * simulated backends behind an in-process agent. Model faults apply on the node they
 * name, or on every node. A node-down fault crashes the node's backends and makes its
 * agent unreachable; node-up brings back an agent with a new id and no backends.
 */
export function createSimCluster(scenario: Scenario, options: SimClusterOptions): ClusterEnvironment {
  return new SimCluster(scenario, options);
}

class SimCluster implements ClusterEnvironment {
  readonly mode = 'sim';
  readonly clock = new VirtualClock();
  readonly speed = undefined;
  private readonly simNodes = new Map<string, SimNode>();
  /** Running simulated backends by the address their agent reported. */
  private readonly backends = new Map<string, BackendClient>();
  private readonly nodeFaultRecords = new Map<number, FaultRecord>();
  private readonly timers: { cancel(): void }[] = [];
  private readonly catalog: BackendCatalog;

  constructor(
    private readonly scenario: Scenario,
    options: SimClusterOptions,
  ) {
    const backendNames = [...new Set(scenario.models.map((model) => model.backend))];
    this.catalog = new BackendCatalog(Object.fromEntries(backendNames.map((name) => [name, { executable: `simulated-${name}` }])));
    for (const node of scenario.nodes) {
      const memory = new GpuMemoryPool(node.gpuMemoryBytes);
      const modelFaults = scenario.faults.filter((fault) => 'modelId' in fault && (fault.nodeId === undefined || fault.nodeId === node.id));
      const launcher = new SimLauncher({
        clock: this.clock,
        memory,
        models: simModelsOf(scenario),
        seed: `${options.seed}/${node.id}`,
        jitterFraction: options.jitterFraction,
        faults: modelFaults,
        requestFacts: options.requestFacts,
      });
      const registration: NodeRegistration = {
        id: node.id,
        agentAddress: `sim-agent://${node.id}`,
        labels: node.labels,
        totalMemoryBytes: node.gpuMemoryBytes,
        replicaSlotsPerModel: node.maxReplicasPerModel,
      };
      const simNode: SimNode = { registration, memory, launcher, core: this.newCore(node.id, launcher, memory, 1), down: false, generation: 1 };
      this.simNodes.set(node.id, simNode);
    }
  }

  nodes(): readonly NodeRegistration[] {
    return [...this.simNodes.values()].map((node) => node.registration);
  }

  readonly connectAgent = (node: { id: string; agentAddress: string }): AgentClient => new SimAgentClient(this, node.id, node.agentAddress);

  readonly connectBackend = (address: string): BackendClient => new ForwardingBackendClient(address, this.backends.get(address));

  memoryOf(nodeId: string): GpuMemoryPool {
    return this.requireNode(nodeId).memory;
  }

  loadOptions(): readonly string[] {
    return [];
  }

  async prepare(): Promise<void> {}

  attach(_cluster: EmbeddedCluster): void {}

  advanceTo(timeMs: number): Promise<void> {
    return this.clock.runUntil(timeMs);
  }

  waitFor<T>(promise: Promise<T>, what: string, limitMs: number): Promise<T> {
    return this.clock.runUntilSettled(promise, what, limitMs);
  }

  startFaults(): void {
    for (const node of this.simNodes.values()) {
      node.launcher.startFaults();
    }
    this.scenario.faults.forEach((fault, index) => {
      if (fault.kind === 'node-down' || fault.kind === 'node-up') {
        const record: FaultRecord = { timeMs: fault.atMs, kind: fault.kind, modelId: null, nodeId: fault.nodeId, durationMs: 0, hit: false };
        this.nodeFaultRecords.set(index, record);
        this.timers.push(this.clock.setTimer(fault.atMs, () => this.applyNodeFault(fault, record)));
      }
    });
  }

  stopFaults(): void {
    for (const node of this.simNodes.values()) {
      node.launcher.faults.stop();
    }
    this.timers.forEach((timer) => timer.cancel());
    this.timers.length = 0;
  }

  /** Returns one record per scenario fault; a model fault counts as hit when it met a backend on any node. */
  faultRecords(): FaultRecord[] {
    const perNode = [...this.simNodes.values()].map((node) => ({
      faults: this.scenario.faults.filter((fault) => 'modelId' in fault && (fault.nodeId === undefined || fault.nodeId === node.registration.id)),
      records: node.launcher.faults.faultRecords(),
    }));
    return this.scenario.faults.map((fault, index) => {
      const nodeRecord = this.nodeFaultRecords.get(index);
      if (nodeRecord) {
        return { ...nodeRecord };
      }
      const hits = perNode.flatMap(({ faults, records }) => records.filter((_, i) => faults[i] === fault));
      return {
        timeMs: fault.atMs,
        kind: fault.kind,
        modelId: 'modelId' in fault ? fault.modelId : null,
        nodeId: fault.nodeId ?? null,
        durationMs: 'durationMs' in fault ? fault.durationMs : 0,
        hit: hits.some((record) => record.hit),
      };
    });
  }

  async close(): Promise<void> {
    this.stopFaults();
    await Promise.all([...this.simNodes.values()].map((node) => node.core.shutdown({ force: true })));
  }

  /** Runs an agent call for a node: it fails with a connection error while the node is down. */
  async agentCall<T>(nodeId: string, address: string, method: string, call: (agent: InProcessAgentClient) => Promise<T>): Promise<T> {
    const node = this.requireNode(nodeId);
    if (node.down) {
      throw new AgentCallError(method, nodeId, address, 'connection', 'the node is down');
    }
    return call(new InProcessAgentClient(node.core, nodeId, address));
  }

  /** Starts a backend and publishes it under an address unique across nodes. */
  async startBackend(nodeId: string, request: StartBackendRequest, options: AgentCallOptions | undefined, address: string) {
    return this.agentCall(nodeId, address, 'StartBackend', async (agent) => {
      const started = await agent.startBackend(request, options);
      const node = this.requireNode(nodeId);
      const backend = node.launcher.running(request.modelId).find((b) => b.address === started.address);
      const published = `${nodeId}/${started.address}`;
      if (backend) {
        this.backends.set(published, backend.client);
        backend.onExit(() => this.backends.delete(published));
      }
      return { ...started, address: published };
    });
  }

  private applyNodeFault(fault: Extract<ScenarioFault, { kind: 'node-down' | 'node-up' }>, record: FaultRecord): void {
    const node = this.simNodes.get(fault.nodeId);
    if (!node) {
      return;
    }
    if (fault.kind === 'node-down') {
      const running = node.launcher.allRunning();
      record.hit = !node.down && running.length > 0;
      node.down = true;
      // The host is gone: its backends die with it, and their calls fail with connection errors.
      running.forEach((backend) => backend.crash());
      return;
    }
    record.hit = node.down;
    if (node.down) {
      node.down = false;
      node.generation += 1;
      node.core = this.newCore(node.registration.id, node.launcher, node.memory, node.generation);
    }
  }

  private newCore(nodeId: string, launcher: SimLauncher, memory: GpuMemoryPool, generation: number): AgentCore {
    return new AgentCore({
      launcher,
      catalog: this.catalog,
      modelsDir: SIM_MODELS_DIR,
      agentId: `${nodeId}-${generation}`,
      memoryProbe: new SimMemoryProbe(memory),
    });
  }

  private requireNode(nodeId: string): SimNode {
    const node = this.simNodes.get(nodeId);
    if (!node) {
      throw new AgentCallError('call', nodeId, `sim-agent://${nodeId}`, 'connection', 'the scenario has no such node');
    }
    return node;
  }
}

/** The agent client of a simulated node, routed through the cluster so node faults apply. */
class SimAgentClient implements AgentClient {
  constructor(
    private readonly cluster: SimCluster,
    private readonly nodeId: string,
    readonly address: string,
  ) {}

  startBackend(request: StartBackendRequest, options?: AgentCallOptions) {
    return this.cluster.startBackend(this.nodeId, request, options, this.address);
  }
  stopBackend(modelId: string, replicaIndex: number, options?: AgentCallOptions & { force?: boolean }) {
    return this.cluster.agentCall(this.nodeId, this.address, 'StopBackend', (agent) => agent.stopBackend(modelId, replicaIndex, options));
  }
  listBackends() {
    return this.cluster.agentCall(this.nodeId, this.address, 'ListBackends', (agent) => agent.listBackends());
  }
  memory() {
    return this.cluster.agentCall(this.nodeId, this.address, 'Memory', (agent) => agent.memory());
  }
  heartbeat() {
    return this.cluster.agentCall(this.nodeId, this.address, 'Heartbeat', (agent) => agent.heartbeat());
  }
  close(): void {}
}
