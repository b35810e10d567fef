import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgentService } from '../../src/agent/agent-proto.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { AgentServer } from '../../src/agent/agent-server.js';
import { tokenMatches } from '../../src/agent/cluster-token.js';
import { GrpcAgentClient } from '../../src/agent/grpc-agent-client.js';
import { BackendCatalog } from '../../src/backend/backend-catalog.js';
import { InMemoryBackendLauncher } from '../../src/backend/in-memory/in-memory-backend.js';
import { RealClock } from '../../src/clock/real-clock.js';
import { AgentCallError } from '../../src/distributed/errors.js';
import { InvalidOptionError } from '../../src/errors.js';

const TOKEN = 'a-cluster-token-for-tests-0123';

const running: { server: AgentServer; clients: GrpcAgentClient[] }[] = [];

async function startAgent(): Promise<{ server: AgentServer; connect: (token: string) => GrpcAgentClient; launcher: InMemoryBackendLauncher }> {
  const launcher = new InMemoryBackendLauncher(new RealClock());
  const catalog = new BackendCatalog({ 'loaderlab-fake': { executable: '/bin/fake' } });
  const core = new AgentCore({ launcher, catalog, modelsDir: '/models', agentId: 'agent-1', totalMemoryBytes: 4_096 });
  const server = await AgentServer.start({ core, token: TOKEN });
  const entry = { server, clients: [] as GrpcAgentClient[] };
  running.push(entry);
  const connect = (token: string): GrpcAgentClient => {
    const client = new GrpcAgentClient('n1', server.address, { token, defaultDeadlineMs: 5_000 });
    entry.clients.push(client);
    return client;
  };
  return { server, connect, launcher };
}

afterEach(async () => {
  for (const { server, clients } of running.splice(0)) {
    clients.forEach((client) => client.close());
    await server.stop(100);
  }
});

describe('AgentServer', () => {
  it('listens on loopback by default', async () => {
    const { server } = await startAgent();
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('rejects a host outside loopback without allowRemote', async () => {
    const core = new AgentCore({
      launcher: new InMemoryBackendLauncher(new RealClock()),
      catalog: new BackendCatalog({}),
      modelsDir: '/models',
      agentId: 'x',
    });
    await expect(AgentServer.start({ core, token: TOKEN, address: '0.0.0.0:0' })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('rejects a short token at start', async () => {
    const core = new AgentCore({ launcher: new InMemoryBackendLauncher(new RealClock()), catalog: new BackendCatalog({}), modelsDir: '/m', agentId: 'x' });
    await expect(AgentServer.start({ core, token: 'short' })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('serves every method with the token', async () => {
    const { connect } = await startAgent();
    const client = connect(TOKEN);

    const started = await client.startBackend({ modelId: 'm', replicaIndex: 2, backend: 'fake', modelFile: 'm.gguf' });
    expect(started.backend).toBe('loaderlab-fake');
    expect(started.modelsDir).toBe('/models');
    expect(await client.listBackends()).toEqual([{ modelId: 'm', replicaIndex: 2, address: started.address, pid: started.pid, backend: 'loaderlab-fake' }]);
    expect(await client.memory()).toEqual({ totalMemoryBytes: 4_096, availableMemoryBytes: 4_096 });
    const heartbeat = await client.heartbeat();
    expect(heartbeat.agentId).toBe('agent-1');
    expect(heartbeat.backends).toHaveLength(1);
    expect(await client.stopBackend('m', 2)).toBe(true);
    expect(await client.stopBackend('m', 2)).toBe(false);
  });

  it('rejects a call with a wrong token as unauthenticated', async () => {
    const { connect, launcher } = await startAgent();
    const error = await connect('not-the-cluster-token-000').startBackend({ modelId: 'm', replicaIndex: 0, backend: 'fake', modelFile: 'm.gguf' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AgentCallError);
    expect((error as AgentCallError).kind).toBe('unauthenticated');
    expect(launcher.launches).toHaveLength(0);
  });

  it('rejects an empty token as unauthenticated', async () => {
    const { connect } = await startAgent();
    const error = await connect('').heartbeat().catch((e: unknown) => e);
    expect((error as AgentCallError).kind).toBe('unauthenticated');
  });

  it('rejects a call without metadata as unauthenticated', async () => {
    const { server } = await startAgent();
    const { Client } = loadAgentService();
    const raw = new Client(server.address, grpc.credentials.createInsecure());
    const code = await new Promise<number | undefined>((resolve) => {
      (raw as unknown as { Heartbeat: (r: object, cb: (e: grpc.ServiceError | null) => void) => void }).Heartbeat({}, (e) => resolve(e?.code));
    });
    raw.close();
    expect(code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('reports an unknown backend as rejected', async () => {
    const { connect } = await startAgent();
    const error = await connect(TOKEN).startBackend({ modelId: 'm', replicaIndex: 0, backend: 'vllm', modelFile: 'm.gguf' }).catch((e: unknown) => e);
    expect((error as AgentCallError).kind).toBe('rejected');
    expect((error as AgentCallError).message).toMatch(/no backend "vllm"/);
  });
});

describe('tokenMatches', () => {
  it('accepts only the exact token', () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN, `${TOKEN}x`)).toBe(false);
    expect(tokenMatches(TOKEN, TOKEN.slice(1))).toBe(false);
    expect(tokenMatches(TOKEN, undefined)).toBe(false);
  });
});
