import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { GrpcAgentClient } from '../../src/agent/grpc-agent-client.js';
import type { BackendClient } from '../../src/backend/backend-client.js';
import type { Timer } from '../../src/clock/clock.js';
import { RealClock } from '../../src/clock/real-clock.js';
import { GrpcBackendClient } from '../../src/backend/grpc/grpc-backend-client.js';
import type { AgentClient } from '../../src/distributed/agent-client.js';
import type { EmbeddedCluster } from '../../src/distributed/cluster.js';
import type { DistributedEvent } from '../../src/distributed/events.js';
import { replicaId, type NodeRegistration } from '../../src/distributed/types.js';
import { InvalidOptionError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { GpuMemoryPool } from '../backends/gpu-memory.js';
import type { FaultRecord } from '../metrics/summary.js';
import type { ReplayEnvironment } from '../run/replay-environment.js';
import type { Scenario, ScenarioFault } from '../scenario/types.js';
import type { ClusterEnvironment } from './cluster-environment.js';
import { findCompiledCli } from '../../src/cli/compiled-cli.js';
import { processChildRegistry } from '../../src/backend/process/child-registry.js';

/** Options of the process cluster. */
export interface ProcessClusterOptions {
  /** The local process environment: its scaled clock, fake-backend timings and start-up calibration. */
  local: ReplayEnvironment;
  logger?: Logger;
}

/** Time an agent gets to stop its backends after SIGTERM before its process group is killed, in wall ms. */
const AGENT_STOP_WALL_MS = 15_000;

interface AgentProcess {
  child: ChildProcess;
  address: string;
}

/**
 * Creates the `process` cluster: one `loaderlab agent` process per node on loopback,
 * each starting real fake-backend processes, with a cluster token made for the run.
 * Agents run in process groups of their own, so a node-down fault kills an agent and its
 * backends at once with SIGKILL to the group. Node-up starts a new agent, and the node is
 * registered again under the new agent's address.
 *
 * NOTE: model faults (crash, hang, slow or failing loads) are not applied to agents'
 * backends and are recorded as missed. There is no GPU: each node's memory is the sum of
 * the sizes of its replicas loading or loaded.
 */
export function createProcessCluster(scenario: Scenario, options: ProcessClusterOptions): ProcessClusterEnvironment {
  return new ProcessCluster(scenario, options);
}

/** The process cluster, which also names the process groups it started. */
export interface ProcessClusterEnvironment extends ClusterEnvironment {
  /** Process group ids of every agent started, each with its backends; for checking that none outlives the run. */
  processGroups(): number[];
}

class ProcessCluster implements ProcessClusterEnvironment {
  readonly mode = 'process';
  private readonly groups: number[] = [];
  private readonly token = randomBytes(24).toString('base64url');
  private readonly agents = new Map<string, AgentProcess>();
  private readonly memory = new Map<string, GpuMemoryPool>();
  private readonly records: FaultRecord[];
  private readonly timers: { cancel(): void }[] = [];
  private readonly logger: Logger;
  private cluster: EmbeddedCluster | undefined;
  /** The agents' backends file, written once; a promise because agents start concurrently. */
  private backendsPath: Promise<string> | undefined;
  private stopEvents: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: ProcessClusterOptions,
  ) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'process-cluster' });
    for (const node of scenario.nodes) {
      this.memory.set(node.id, new GpuMemoryPool(node.gpuMemoryBytes));
    }
    this.records = scenario.faults.map((fault) => ({
      timeMs: fault.atMs,
      kind: fault.kind,
      modelId: 'modelId' in fault ? fault.modelId : null,
      nodeId: fault.nodeId ?? null,
      durationMs: 'durationMs' in fault ? fault.durationMs : 0,
      hit: false,
    }));
  }

  get clock() {
    return this.options.local.clock;
  }

  get speed(): number {
    const clock = this.options.local.clock as { speed?: number };
    return clock.speed ?? 1;
  }

  nodes(): readonly NodeRegistration[] {
    return this.scenario.nodes.map((node) => ({
      id: node.id,
      agentAddress: this.requireAgent(node.id).address,
      labels: node.labels,
      totalMemoryBytes: node.gpuMemoryBytes,
      replicaSlotsPerModel: node.maxReplicasPerModel,
    }));
  }

  readonly connectAgent = (node: { id: string; agentAddress: string }): AgentClient =>
    new GrpcAgentClient(node.id, node.agentAddress, { token: this.token });

  readonly connectBackend = (address: string): BackendClient => new GrpcBackendClient(address, { clock: this.clock });

  memoryOf(nodeId: string): GpuMemoryPool {
    const pool = this.memory.get(nodeId);
    if (!pool) {
      throw new InvalidOptionError('nodeId', 'a node of the scenario', nodeId);
    }
    return pool;
  }

  loadOptions(modelId: string): readonly string[] {
    return this.options.local.loadOptions(modelId);
  }

  async prepare(): Promise<void> {
    await this.options.local.prepare?.();
    await Promise.all(this.scenario.nodes.map(async (node) => this.agents.set(node.id, await this.startAgent(node.id))));
  }

  attach(cluster: EmbeddedCluster): void {
    this.cluster = cluster;
    this.stopEvents = cluster.events.on((event) => this.account(event));
  }

  advanceTo(timeMs: number): Promise<void> {
    return this.options.local.advanceTo(timeMs);
  }

  waitFor<T>(promise: Promise<T>, what: string, limitMs: number): Promise<T> {
    return this.options.local.waitFor(promise, what, limitMs);
  }

  startFaults(): void {
    this.scenario.faults.forEach((fault, index) => {
      if (fault.kind === 'node-down' || fault.kind === 'node-up') {
        this.timers.push(this.clock.setTimer(fault.atMs, () => void this.applyNodeFault(fault, this.records[index]!)));
      }
    });
  }

  stopFaults(): void {
    this.timers.forEach((timer) => timer.cancel());
    this.timers.length = 0;
  }

  faultRecords(): FaultRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  processGroups(): number[] {
    return [...this.groups];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopFaults();
    this.stopEvents?.();
    await Promise.all([...this.agents.values()].map((agent) => stopAgent(agent)));
    if (this.backendsPath !== undefined) {
      const file = await this.backendsPath.catch(() => undefined);
      if (file !== undefined) await rm(path.dirname(file), { recursive: true, force: true });
    }
    await this.options.local.close();
  }

  /** Accounts each node's memory: a replica uses its model's size from the start of its load until it is removed. */
  private account(event: DistributedEvent): void {
    const pool = this.memory.get('nodeId' in event ? event.nodeId : '');
    if (!pool || !('modelId' in event) || !('replicaIndex' in event)) return;
    const owner = replicaId(event);
    if (event.type === 'replica-load-started') {
      const size = this.scenario.models.find((model) => model.id === event.modelId)?.sizeBytes ?? 0;
      pool.reserveOvercommitted(owner, size);
    } else if (event.type === 'replica-load-failed' || event.type === 'replica-removed') {
      pool.release(owner);
    }
  }

  private async applyNodeFault(fault: Extract<ScenarioFault, { kind: 'node-down' | 'node-up' }>, record: FaultRecord): Promise<void> {
    const agent = this.agents.get(fault.nodeId);
    if (fault.kind === 'node-down') {
      if (!agent) return;
      record.hit = true;
      this.agents.delete(fault.nodeId);
      killGroup(agent.child, 'SIGKILL');
      return;
    }
    if (agent || this.closed) return;
    record.hit = true;
    const restarted = await this.startAgent(fault.nodeId);
    this.agents.set(fault.nodeId, restarted);
    const node = this.nodes().find((n) => n.id === fault.nodeId)!;
    await this.cluster?.registry.registerNode(node, this.clock.now());
  }

  private async startAgent(nodeId: string): Promise<AgentProcess> {
    const node = this.scenario.nodes.find((n) => n.id === nodeId)!;
    const child = spawn(
      process.execPath,
      [
        findCompiledCli('agent command'),
        'agent',
        '--backends',
        await this.backendsFile(),
        '--node-id',
        nodeId,
        '--memory-bytes',
        String(node.gpuMemoryBytes),
        '--models-dir',
        tmpdir(),
        '--stop-grace-ms',
        '2000',
      ],
      { env: { ...process.env, LOADERLAB_CLUSTER_TOKEN: this.token }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stderr!.resume();
    // The agent runs in its own process group, so a Ctrl-C of the replay does not reach it.
    // The registry stops it, and so its backends, when the replay is signalled. The exit
    // hook kills the whole group if the replay ends without closing the cluster.
    const untrack = processChildRegistry.add(child);
    const killOnExit = (): void => killGroup(child, 'SIGKILL');
    process.on('exit', killOnExit);
    child.once('exit', () => {
      untrack();
      process.off('exit', killOnExit);
    });
    const lines = createInterface({ input: child.stdout! });
    const address = await new Promise<string>((resolve, reject) => {
      lines.once('line', (line) => resolve(line.replace(/^listening on /, '')));
      child.once('exit', (code) => reject(new Error(`the agent of node ${nodeId} exited with code ${code} before it listened`)));
    });
    this.groups.push(child.pid!);
    this.logger.info('agent started', { nodeId, address, pid: child.pid });
    return { child, address };
  }

  /**
   * Writes, once, the agents' backends file: every backend name the scenario uses runs the
   * fake backend, as in local process mode.
   */
  private backendsFile(): Promise<string> {
    this.backendsPath ??= this.writeBackendsFile();
    return this.backendsPath;
  }

  private async writeBackendsFile(): Promise<string> {
    const directory = await mkdtemp(path.join(tmpdir(), 'loaderlab-agents-'));
    const fake = { executable: process.execPath, args: [findCompiledCli('agent command'), 'backend'] };
    const names = [...new Set(this.scenario.models.map((model) => model.backend))];
    const file = path.join(directory, 'backends.json');
    await writeFile(file, JSON.stringify(Object.fromEntries(names.map((name) => [name, fake]))));
    return file;
  }

  private requireAgent(nodeId: string): AgentProcess {
    const agent = this.agents.get(nodeId);
    if (!agent) {
      throw new InvalidOptionError('nodeId', 'a node whose agent runs; call prepare() first', nodeId);
    }
    return agent;
  }
}

/** Asks an agent to stop (it stops its backends), and kills its group if it takes too long. */
async function stopAgent(agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => agent.child.once('exit', () => resolve()));
  agent.child.kill('SIGTERM');
  let timer: Timer | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = new RealClock().setTimer(AGENT_STOP_WALL_MS, () => resolve('late'));
  });
  const outcome = await Promise.race([exited, late]);
  timer?.cancel();
  if (outcome === 'late') {
    killGroup(agent.child, 'SIGKILL');
    await exited;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is gone already.
  }
}
