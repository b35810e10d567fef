import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { GrpcBackendClient } from '../../src/backend/grpc/grpc-backend-client.js';
import { compiledCliPath } from '../helpers/fake-backend-executable.js';
import { occupyLoopbackPort } from '../helpers/ports.js';

interface Running {
  address: string;
  startupMs: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

const running: Running[] = [];

afterEach(() => {
  for (const backend of running.splice(0)) backend.kill('SIGKILL');
});

/** Runs `loaderlab backend ARGS`; resolves once it prints its address, or rejects when it exits first. */
function runBackend(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [compiledCliPath(), 'backend', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (\S+) after (\d+) ms/.exec(stderr);
      if (match) {
        const backend: Running = {
          address: match[1]!,
          startupMs: Number(match[2]),
          stderr: () => stderr,
          exited,
          kill: (signal) => child.kill(signal),
        };
        running.push(backend);
        resolve(backend);
      }
    });
    void exited.then(({ code }) => reject(Object.assign(new Error(`backend exited with ${code}: ${stderr}`), { code, stderr })));
  });
}

async function failure(args: string[]): Promise<{ code: number; stderr: string }> {
  return runBackend(args).then(
    () => {
      throw new Error('the backend started');
    },
    (error: { code: number; stderr: string }) => error,
  );
}

describe('loaderlab backend', () => {
  it('reports its address and start-up time', async () => {
    const backend = await runBackend(['--addr', '127.0.0.1:0']);
    expect(backend.address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(backend.startupMs).toBeGreaterThan(0);
  });

  it('exits with code 0 on SIGTERM', async () => {
    const backend = await runBackend(['--addr', '127.0.0.1:0']);
    backend.kill('SIGTERM');
    expect(await backend.exited, backend.stderr()).toEqual({ code: 0, signal: null });
  });

  it('exits on SIGTERM with a call in progress', async () => {
    const backend = await runBackend(['--addr', '127.0.0.1:0', '--hang-after-calls', '0']);
    const client = new GrpcBackendClient(backend.address);
    await client.loadModel({ Model: 'tiny.gguf' });
    const hung = client.predict({ Prompt: 'wait' }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    backend.kill('SIGTERM');
    expect(await backend.exited, backend.stderr()).toEqual({ code: 0, signal: null });
    await hung;
    client.close();
  });

  it('rejects a host outside loopback', async () => {
    const { code, stderr } = await failure(['--addr', '0.0.0.0:0']);
    expect(code).toBe(2);
    expect(stderr).toContain('--allow-remote');
  });

  it('writes its message and exits before ready', async () => {
    const { code, stderr } = await failure(['--addr', '127.0.0.1:0', '--exit-before-ready', 'model too large', '--exit-code', '9']);
    expect(code).toBe(9);
    expect(stderr.trim()).toBe('model too large');
  });

  it('reports a taken address on stderr', async () => {
    const taken = await occupyLoopbackPort();
    try {
      const { code, stderr } = await failure(['--addr', `127.0.0.1:${taken.port}`]);
      expect(code).toBe(1);
      expect(stderr).toContain('address already in use');
    } finally {
      await taken.close();
    }
  });

  it('crashes with code 70 after the configured calls', async () => {
    const backend = await runBackend(['--addr', '127.0.0.1:0', '--crash-after-calls', '1']);
    const client = new GrpcBackendClient(backend.address);
    await client.loadModel({ Model: 'tiny.gguf' });
    await client.predict({ Prompt: 'one' });
    const error = await client.predict({ Prompt: 'two' }).catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(Error);
    expect(await backend.exited).toEqual({ code: 70, signal: null });
    expect(backend.stderr()).toContain('simulated crash on inference call 2');
  });
});
