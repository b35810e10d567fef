import { describe, expect, it } from 'vitest';
import type { BackendClient } from '../../src/backend/backend-client.js';
import { ConnectionEvictingClient } from '../../src/backend/connection-evicting-client.js';
import { BackendCallError, type BackendCallFailureKind } from '../../src/errors.js';

/** A client whose every call fails with a `BackendCallError` of the given kind. */
function failingClient(kind: BackendCallFailureKind): BackendClient {
  const fail = async (): Promise<never> => {
    throw new BackendCallError('Predict', '127.0.0.1:1', kind, 'simulated');
  };
  return {
    address: '127.0.0.1:1',
    health: fail,
    loadModel: fail,
    predict: fail,
    predictStream: fail,
    embedding: fail,
    free: fail,
    status: fail,
    close: () => {},
  };
}

describe('ConnectionEvictingClient', () => {
  it('evicts once on repeated connection errors', async () => {
    let evictions = 0;
    const client = new ConnectionEvictingClient(failingClient('connection'), () => evictions++);
    const results = await Promise.allSettled([client.predict({}), client.embedding({}), client.health()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(evictions).toBe(1);
  });

  it('returns the original error to the caller', async () => {
    const client = new ConnectionEvictingClient(failingClient('connection'), () => {});
    const error = await client.predict({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendCallError);
    expect((error as BackendCallError).kind).toBe('connection');
  });

  it.each(['deadline', 'other'] as const)('keeps the model on a %s error', async (kind) => {
    let evictions = 0;
    const client = new ConnectionEvictingClient(failingClient(kind), () => evictions++);
    await client.predict({}).catch(() => undefined);
    expect(evictions).toBe(0);
  });
});
