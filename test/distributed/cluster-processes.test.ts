import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcAgentClient } from '../../src/agent/grpc-agent-client.js';
import { GrpcBackendClient } from '../../src/backend/grpc/grpc-backend-client.js';
import { ProcessLauncher } from '../../src/backend/process/process-launcher.js';
import { RealClock } from '../../src/clock/real-clock.js';
import { EmbeddedCluster } from '../../src/distributed/cluster.js';
import { AgentCallError } from '../../src/distributed/errors.js';
import type { DistributedEvent } from '../../src/distributed/events.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import { compiledCliPath } from '../helpers/fake-backend-executable.js';
import { isProcessAlive, waitForProcessGone } from '../helpers/processes.js';

const TOKEN = 'process-test-cluster-token-42';
const GiB = 1024 ** 3;

interface AgentProcess {
  nodeId: string;
  child: ChildProcess;
  address: string;
}

/** Starts `loaderlab agent` in its own process group, so that killing the group takes its backends too. */
async function startAgent(nodeId: string): Promise<AgentProcess> {
  const child = spawn(
    process.execPath,
    [compiledCliPath(), 'agent', '--fake-backend', '--node-id', nodeId, '--memory-bytes', String(16 * GiB), '--models-dir', '/tmp', '--stop-grace-ms', '2000'],
    { env: { ...process.env, LOADERLAB_CLUSTER_TOKEN: TOKEN }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr!.resume();
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(line.replace(/^listening on /, '')));
    child.once('exit', (code) => reject(new Error(`agent ${nodeId} exited with code ${code} before listening`)));
  });
  return { nodeId, child, address };
}

function request(modelId: string, options: string[] = []) {
  return { modelId, modelFile: `${modelId}.gguf`, backend: 'fake', sizeBytes: 4 * GiB, options };
}

describe('cluster of agent processes', () => {
  const agents: AgentProcess[] = [];
  const backendPids = new Set<number>();
  const events: DistributedEvent[] = [];
  let cluster: EmbeddedCluster;
  let loader: ModelLoader;

  beforeAll(async () => {
    agents.push(...(await Promise.all(['n1', 'n2', 'n3'].map(startAgent))));
    const clock = new RealClock();
    cluster = await EmbeddedCluster.create({
      clock,
      nodes: agents.map((a) => ({ id: a.nodeId, agentAddress: a.address, totalMemoryBytes: 16 * GiB })),
      connectAgent: (node) => new GrpcAgentClient(node.id, node.agentAddress, { token: TOKEN, defaultDeadlineMs: 5_000 }),
      connectBackend: (address) => new GrpcBackendClient(address, { clock }),
      reconciler: false,
      // Generous limits: a loaded CI machine may take a second to spawn a backend.
      health: { heartbeatIntervalMs: 250, missedHeartbeats: 8, heartbeatTimeoutMs: 1_000 },
      router: { reachabilityTtlMs: 0, reachabilityTimeoutMs: 500 },
    });
    cluster.events.on((event) => events.push(event));
    await cluster.health!.runOnce();
    cluster.start();
    loader = new ModelLoader({ launcher: new ProcessLauncher(), clock, router: cluster.routers[0]!, modelsDir: '/tmp' });
  });

  afterAll(async () => {
    await loader?.shutdown().catch(() => undefined);
    await cluster?.close({ stopReplicas: true }).catch(() => undefined);
    for (const agent of agents) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        process.kill(-agent.child.pid!, 'SIGKILL');
      }
    }
  });

  it('serves models placed across the three nodes', async () => {
    for (const modelId of ['m1', 'm2', 'm3']) {
      const client = await loader.load(request(modelId));
      const reply = await client.predict({ Prompt: 'hello', Tokens: 4 });
      expect(reply.tokens).toBe(4);
    }
    const placed = (await cluster.registry.listReplicas()).map((r) => `${r.modelId}@${r.nodeId}`).sort();
    expect(placed).toEqual(['m1@n1', 'm2@n2', 'm3@n3']);
    for (const agent of agents) {
      const client = new GrpcAgentClient(agent.nodeId, agent.address, { token: TOKEN });
      (await client.listBackends()).forEach((backend) => backendPids.add(backend.pid!));
      client.close();
    }
    expect(backendPids.size).toBe(3);
  });

  it('rejects an agent call without the cluster token', async () => {
    const client = new GrpcAgentClient('n1', agents[0]!.address, { token: 'wrong-token-for-this-cluster' });
    const error = await client.listBackends().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(AgentCallError);
    expect((error as AgentCallError).kind).toBe('unauthenticated');
  });

  it('moves a model off a node killed mid-run', async () => {
    // Generation at 20 tokens per second keeps the call in flight while the node dies.
    const slowClient = await loader.load(request('slow', ['tokens_per_s:20']));
    const [placed] = await cluster.registry.listReplicas({ modelId: 'slow' });
    const victim = agents.find((a) => a.nodeId === placed!.nodeId)!;
    const inFlight = slowClient.predict({ Prompt: 'slow', Tokens: 200 });
    await waitFor(() => events.some((e) => e.type === 'replica-acquired' && e.modelId === 'slow'), 1_000);
    process.kill(-victim.child.pid!, 'SIGKILL');
    await expect(inFlight).rejects.toThrow();

    await waitFor(() => events.some((e) => e.type === 'node-status-changed' && e.nodeId === victim.nodeId && e.to === 'unhealthy'), 10_000);
    const client = await loader.load(request('slow', ['tokens_per_s:0']));
    await client.predict({ Prompt: 'again', Tokens: 2 });
    await cluster.routers[0]!.settled();
    const replicas = await cluster.registry.listReplicas({ modelId: 'slow' });
    expect(replicas.map((r) => r.nodeId)).not.toContain(victim.nodeId);
    expect(replicas.map((r) => r.inFlight)).toEqual([0]);
    expect(events.some((e) => e.type === 'replica-removed' && e.nodeId === victim.nodeId && e.reason === 'node-lost')).toBe(true);
  });

  it('leaves no process behind after shutdown', async () => {
    for (const agent of agents) {
      if (agent.child.exitCode !== null || agent.child.signalCode !== null) continue;
      const client = new GrpcAgentClient(agent.nodeId, agent.address, { token: TOKEN });
      (await client.listBackends()).forEach((backend) => backendPids.add(backend.pid!));
      client.close();
    }

    await loader.shutdown();
    await cluster.close({ stopReplicas: true });
    for (const agent of agents) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGTERM');
    }
    for (const pid of [...backendPids, ...agents.map((a) => a.child.pid!)]) {
      expect(await waitForProcessGone(pid, 10_000), `process ${pid}`).toBe(true);
    }
    expect([...backendPids].filter(isProcessAlive)).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const clock = new RealClock();
  const startMs = clock.now();
  while (!condition()) {
    if (clock.now() - startMs > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await clock.sleep(20);
  }
}
