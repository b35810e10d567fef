import { afterEach, describe, expect, it } from 'vitest';
import { GrpcBackendClient } from '../../../src/backend/grpc/grpc-backend-client.js';
import type { Reply } from '../../../src/backend/protocol.js';
import { BackendCallError } from '../../../src/errors.js';
import type { FakeBackendServer } from '../../../src/fake-backend/fake-backend-server.js';
import type { FakeBehaviour } from '../../../src/fake-backend/fake-behaviour.js';
import { startInProcessFakeBackend } from '../../helpers/in-process-fake-backend.js';
import { closedLoopbackPort } from '../../helpers/ports.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connect(
  behaviour: Partial<FakeBehaviour> = {},
  options: ConstructorParameters<typeof GrpcBackendClient>[1] = {},
): Promise<{ client: GrpcBackendClient; server: FakeBackendServer }> {
  const { server } = await startInProcessFakeBackend(behaviour);
  cleanups.push(() => server.stop(0));
  const client = new GrpcBackendClient(server.address, options);
  cleanups.push(() => client.close());
  return { client, server };
}

async function loaded(behaviour: Partial<FakeBehaviour> = {}, options = {}): Promise<GrpcBackendClient> {
  const { client } = await connect(behaviour, options);
  const result = await client.loadModel({ Model: 'tiny.gguf' });
  expect(result.success).toBe(true);
  return client;
}

function text(reply: Reply): string {
  return Buffer.from(reply.message).toString('utf8');
}

async function callError(call: Promise<unknown>): Promise<BackendCallError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BackendCallError);
  return error as BackendCallError;
}

describe('GrpcBackendClient', () => {
  it('reports a healthy backend', async () => {
    const { client } = await connect();
    expect(await client.health()).toBe(true);
  });

  it('returns the LoadModel result of a failed load', async () => {
    const { client } = await connect();
    const result = await client.loadModel({ Model: 'tiny.gguf', Options: ['fail_load:out of memory'] });
    expect(result).toEqual({ success: false, message: 'out of memory' });
  });

  it('gives the same text for the same prompt and seed', async () => {
    const client = await loaded();
    const first = await client.predict({ Prompt: 'Hello', Seed: 7, Tokens: 12 });
    const second = await client.predict({ Prompt: 'Hello', Seed: 7, Tokens: 12 });
    const otherSeed = await client.predict({ Prompt: 'Hello', Seed: 8, Tokens: 12 });
    expect(text(first)).toBe(text(second));
    expect(text(first)).not.toBe(text(otherSeed));
    expect(first.tokens).toBe(12);
    expect(first.prompt_tokens).toBe(1);
  });

  it('streams the tokens of the unary reply', async () => {
    const client = await loaded();
    const whole = await client.predict({ Prompt: 'stream me', Seed: 3, Tokens: 5 });
    const parts: string[] = [];
    await client.predictStream({ Prompt: 'stream me', Seed: 3, Tokens: 5 }, (reply) => parts.push(text(reply)));
    expect(parts).toHaveLength(5);
    expect(parts.join('')).toBe(text(whole));
  });

  it('returns unit-length embeddings of the configured size', async () => {
    const client = await loaded({ embeddingDims: 24 });
    const result = await client.embedding({ Embeddings: 'a sentence' });
    expect(result.embeddings).toHaveLength(24);
    expect(Math.hypot(...result.embeddings)).toBeCloseTo(1, 5);
  });

  it('treats an unimplemented Free as success', async () => {
    const client = await loaded({ free: 'unimplemented' });
    await expect(client.free()).resolves.toBeUndefined();
  });

  it('rejects a Free the backend reports as failed', async () => {
    const client = await loaded({ free: 'fail' });
    const error = await callError(client.free());
    expect(error.kind).toBe('other');
    expect(error.method).toBe('Free');
  });

  it('reads state and memory from Status', async () => {
    const { client } = await connect({ memoryBytes: 4096 });
    expect((await client.status()).state).toBe('UNINITIALIZED');
    await client.loadModel({ Model: 'tiny.gguf' });
    const status = await client.status();
    expect(status.state).toBe('READY');
    expect(status.memory).toEqual({ total: 4096, breakdown: { model: 4096 } });
  });

  it('classifies a passed deadline as deadline', async () => {
    const client = await loaded({ hangAfterCalls: 0 });
    const error = await callError(client.predict({ Prompt: 'hang' }, { deadlineMs: 100 }));
    expect(error.kind).toBe('deadline');
  });

  it('classifies a refused connection as connection', async () => {
    const client = new GrpcBackendClient(`127.0.0.1:${await closedLoopbackPort()}`);
    cleanups.push(() => client.close());
    const error = await callError(client.health({ deadlineMs: 2_000 }));
    expect(error.kind).toBe('connection');
  });

  it('classifies a call on a closed client as connection', async () => {
    const { client } = await connect();
    client.close();
    const error = await callError(client.health());
    expect(error.kind).toBe('connection');
  });

  it('cancels a call when its signal aborts', async () => {
    const client = await loaded({ hangAfterCalls: 0 });
    const controller = new AbortController();
    const call = client.predict({ Prompt: 'hang' }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await callError(call);
    expect(error.kind).toBe('other');
    expect(error.message).toContain('cancelled');
  });

  it('queues calls of a non-parallel backend behind the running one', async () => {
    const client = await loaded({ hangAfterCalls: 0, parallel: 4 }, { parallel: false });
    const hung = client.predict({ Prompt: 'first' }, { deadlineMs: 400 });
    const queued = await callError(client.predict({ Prompt: 'second' }, { deadlineMs: 100 }));
    expect(queued.kind).toBe('deadline');
    expect(queued.message).toContain('waiting for the previous call');
    await callError(hung);
  });

  it('lets a parallel backend run calls side by side', async () => {
    const client = await loaded({ hangAfterCalls: 1, parallel: 4 });
    await client.predict({ Prompt: 'warm' });
    const hung = client.predict({ Prompt: 'first' }, { deadlineMs: 400 });
    const second = await callError(client.predict({ Prompt: 'second' }, { deadlineMs: 100 }));
    expect(second.message).not.toContain('waiting for the previous call');
    await callError(hung);
  });

  it('sends prompts larger than the default 4 MiB gRPC limit', async () => {
    const client = await loaded();
    const prompt = 'word '.repeat(1_100_000);
    const reply = await client.predict({ Prompt: prompt, Tokens: 1 });
    expect(reply.prompt_tokens).toBe(1_100_000);
  });

  it('rejects an inference call before LoadModel', async () => {
    const { client } = await connect();
    const error = await callError(client.predict({ Prompt: 'too early' }));
    expect(error.kind).toBe('other');
    expect(error.message).toContain('LoadModel');
  });
});
