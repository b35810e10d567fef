import { VirtualClock } from '../../../sim/clock/virtual-clock.js';
import { AgentCore } from '../../../src/agent/agent-core.js';
import { InProcessAgentClient } from '../../../src/agent/in-process-agent-client.js';
import { BackendCatalog } from '../../../src/backend/backend-catalog.js';
import type { BackendClient } from '../../../src/backend/backend-client.js';
import {
  InMemoryBackendLauncher,
  type InMemoryBackendProcess,
  type InMemoryBehaviour,
} from '../../../src/backend/in-memory/in-memory-backend.js';
import type { AgentClient } from '../../../src/distributed/agent-client.js';
import { EmbeddedCluster, type EmbeddedClusterOptions } from '../../../src/distributed/cluster.js';
import { AgentCallError } from '../../../src/distributed/errors.js';
import type { DistributedEvent } from '../../../src/distributed/events.js';
import type { DistributedRouter } from '../../../src/distributed/router.js';
import type { NodeRegistration } from '../../../src/distributed/types.js';
import { BackendCallError } from '../../../src/errors.js';
import type { LoadRequest } from '../../../src/loader/load-request.js';
import { GiB } from './builders.js';

/** A cluster on virtual time whose agents run in-memory backends in this process. */
export interface ClusterHarness {
  clock: VirtualClock;
  launcher: InMemoryBackendLauncher;
  cluster: EmbeddedCluster;
  router: DistributedRouter;
  cores: Map<string, AgentCore>;
  events: DistributedEvent[];
  /** Nodes whose agent calls fail with a connection error, as if the host went down. */
  downNodes: Set<string>;
  /** Runs the clock until `promise` settles and returns its outcome. */
  settle<T>(promise: Promise<T>): Promise<T>;
  eventsOf<T extends DistributedEvent['type']>(type: T): Extract<DistributedEvent, { type: T }>[];
  /** The running in-memory process of a replica, by its backend address. */
  processAt(address: string): InMemoryBackendProcess | undefined;
  /** Running backends per node, as `model#index`, sorted. */
  runningOn(nodeId: string): string[];
}

export function request(modelId: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return { modelId, modelFile: `${modelId}.gguf`, backend: 'fake', ...extra };
}

export function nodes(...ids: string[]): NodeRegistration[] {
  return ids.map((id) => ({ id, agentAddress: `agent-${id}`, totalMemoryBytes: 80 * GiB }));
}

export async function createClusterHarness(
  options: Partial<EmbeddedClusterOptions> & { nodes: NodeRegistration[] },
  behaviourOf: (modelId: string) => InMemoryBehaviour = () => ({}),
): Promise<ClusterHarness> {
  const clock = new VirtualClock();
  const launcher = new InMemoryBackendLauncher(clock, (modelId) => behaviourOf(modelId));
  const catalog = new BackendCatalog({ 'loaderlab-fake': { executable: '/bin/fake-backend' } });
  const cores = new Map<string, AgentCore>();
  const downNodes = new Set<string>();
  for (const node of options.nodes) {
    cores.set(node.id, new AgentCore({ launcher, catalog, modelsDir: '/models', agentId: `${node.id}-1`, totalMemoryBytes: node.totalMemoryBytes }));
  }
  const processAt = (address: string): InMemoryBackendProcess | undefined =>
    launcher.launches.find((launch) => launch.process.address === address)?.process;

  const cluster = await EmbeddedCluster.create({
    clock,
    reconciler: false,
    health: false,
    ...options,
    connectAgent: (node) =>
      new SwitchableAgentClient(() => new InProcessAgentClient(cores.get(node.id)!, node.id, node.agentAddress), node.id, node.agentAddress, downNodes),
    connectBackend: (address) => processAt(address)?.client ?? unreachableClient(address),
  });
  const events: DistributedEvent[] = [];
  cluster.events.on((event) => events.push(event));
  return {
    clock,
    launcher,
    cluster,
    router: cluster.routers[0]!,
    cores,
    events,
    downNodes,
    settle: (promise) => clock.runUntilSettled(promise, 'the test step'),
    eventsOf: (type) => events.filter((e) => e.type === type) as never,
    processAt,
    runningOn: (nodeId) =>
      cores
        .get(nodeId)!
        .listBackends()
        .map((b) => `${b.modelId}#${b.replicaIndex}`)
        .sort(),
  };
}

/**
 * An agent client that fails every call while its node is in `downNodes`, and reaches
 * the node's current agent core on each call, so a test can replace the core (a restart).
 */
class SwitchableAgentClient implements AgentClient {
  constructor(
    private readonly connect: () => AgentClient,
    private readonly nodeId: string,
    readonly address: string,
    private readonly downNodes: ReadonlySet<string>,
  ) {}
  startBackend: AgentClient['startBackend'] = (...args) => this.guard('StartBackend', () => this.connect().startBackend(...args));
  stopBackend: AgentClient['stopBackend'] = (...args) => this.guard('StopBackend', () => this.connect().stopBackend(...args));
  listBackends: AgentClient['listBackends'] = (...args) => this.guard('ListBackends', () => this.connect().listBackends(...args));
  memory: AgentClient['memory'] = (...args) => this.guard('Memory', () => this.connect().memory(...args));
  heartbeat: AgentClient['heartbeat'] = (...args) => this.guard('Heartbeat', () => this.connect().heartbeat(...args));
  close(): void {}
  private guard<T>(method: string, call: () => Promise<T>): Promise<T> {
    if (this.downNodes.has(this.nodeId)) {
      return Promise.reject(new AgentCallError(method, this.nodeId, this.address, 'connection', 'connection refused'));
    }
    return call();
  }
}

/** Builds a client for an address no backend listens on. */
function unreachableClient(address: string): BackendClient {
  const refuse = (method: string) => () => Promise.reject(new BackendCallError(method, address, 'connection', 'connection refused'));
  return {
    address,
    health: refuse('Health'),
    loadModel: refuse('LoadModel'),
    predict: refuse('Predict'),
    predictStream: refuse('PredictStream'),
    embedding: refuse('Embedding'),
    free: refuse('Free'),
    status: refuse('Status'),
    close: () => {},
  };
}
