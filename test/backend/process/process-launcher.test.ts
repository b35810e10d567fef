import { afterEach, describe, expect, it } from 'vitest';
import type { BackendExit, BackendProcess } from '../../../src/backend/backend-launcher.js';
import { ProcessLauncher } from '../../../src/backend/process/process-launcher.js';
import type { ProcessLauncherOptions } from '../../../src/backend/process/launcher-options.js';
import { findFreeLoopbackPort } from '../../../src/backend/process/free-port.js';
import {
  BackendCallError,
  BackendExitedError,
  BackendNotReadyError,
  BackendSpawnError,
} from '../../../src/errors.js';
import { MemoryLogger } from '../../../src/util/logger.js';
import { fakeBackendDefinition } from '../../helpers/fake-backend-executable.js';
import { startInProcessFakeBackend } from '../../helpers/in-process-fake-backend.js';
import { closedLoopbackPort, occupyLoopbackPort } from '../../helpers/ports.js';
import { isProcessAlive, waitForProcessGone } from '../../helpers/processes.js';

const started: BackendProcess[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop({ force: true })));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function launch(flags: string[] = [], options: ProcessLauncherOptions = {}, modelId = 'tiny'): Promise<BackendProcess> {
  const launcher = new ProcessLauncher(options);
  const process = await launcher.launch({ modelId, backend: fakeBackendDefinition(flags) });
  started.push(process);
  return process;
}

async function launchError(flags: string[], options: ProcessLauncherOptions = {}): Promise<unknown> {
  return launch(flags, options).then(
    () => undefined,
    (error: unknown) => error,
  );
}

function nextExit(process: BackendProcess): Promise<BackendExit> {
  return new Promise((resolve) => process.onExit(resolve));
}

describe('ProcessLauncher', () => {
  it('starts the fake backend on loopback and waits until healthy', async () => {
    const backend = await launch();
    expect(backend.attached).toBe(false);
    expect(backend.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(backend.pid).toBeGreaterThan(0);
    expect(backend.isRunning()).toBe(true);
    expect(await backend.client.health()).toBe(true);
    expect(backend.recentOutput().some((line) => line.startsWith(`listening on ${backend.address} after`))).toBe(true);
  });

  it('names model, exit code and stderr line of an early exit', async () => {
    const error = await launchError(['--exit-before-ready', 'no CUDA device found', '--exit-code', '3']);
    expect(error).toBeInstanceOf(BackendExitedError);
    const exited = error as BackendExitedError;
    expect(exited.modelId).toBe('tiny');
    expect(exited.exitCode).toBe(3);
    expect(exited.lastStderrLine).toBe('no CUDA device found');
    expect(exited.message).toContain('"tiny"');
    expect(exited.message).toContain('exit code 3');
    expect(exited.message).toContain('no CUDA device found');
  });

  it('retries on a new port when the first is taken', async () => {
    const taken = await occupyLoopbackPort();
    cleanups.push(taken.close);
    const ports = [taken.port];
    const logger = new MemoryLogger();
    const findPort = async (): Promise<number> => ports.shift() ?? findFreeLoopbackPort();
    const backend = await launch([], { findPort, logger });
    expect(backend.address).not.toBe(`127.0.0.1:${taken.port}`);
    expect(await backend.client.health()).toBe(true);
    expect(logger.records.some((r) => r.message.includes('port already in use') && r.fields['port'] === taken.port)).toBe(true);
  });

  it('skips a port its own backend uses', async () => {
    const first = await findFreeLoopbackPort();
    let second = await findFreeLoopbackPort();
    while (second === first) second = await findFreeLoopbackPort();
    const ports = [first, first, second];
    const launcher = new ProcessLauncher({ findPort: async () => ports.shift() ?? findFreeLoopbackPort() });
    const backends = [];
    for (const modelId of ['a', 'b']) {
      const backend = await launcher.launch({ modelId, backend: fakeBackendDefinition() });
      started.push(backend);
      backends.push(backend);
    }
    expect(backends.map((b) => b.address)).toEqual([`127.0.0.1:${first}`, `127.0.0.1:${second}`]);
  });

  it('reports the taken port after the last attempt', async () => {
    const taken = await occupyLoopbackPort();
    cleanups.push(taken.close);
    const error = await launchError([], { findPort: async () => taken.port, portAttempts: 2 });
    expect(error).toBeInstanceOf(BackendExitedError);
    expect((error as BackendExitedError).lastStderrLine).toContain('address already in use');
  });

  it('stops with SIGTERM and reports the exit as intentional', async () => {
    const backend = await launch();
    const exit = nextExit(backend);
    await backend.stop();
    expect(await exit, backend.recentOutput().join('\n')).toEqual({ exitCode: 0, signal: null, intentional: true });
    expect(backend.isRunning()).toBe(false);
    expect(isProcessAlive(backend.pid!)).toBe(false);
  });

  it('sends SIGKILL when SIGTERM is ignored past the grace period', async () => {
    const backend = await launch(['--ignore-sigterm'], { stopGraceMs: 200 });
    const exit = nextExit(backend);
    await backend.stop();
    expect(await exit).toEqual({ exitCode: null, signal: 'SIGKILL', intentional: true });
    expect(backend.recentOutput()).toContain('ignoring SIGTERM (--ignore-sigterm)');
  });

  it('kills at once on a forced stop', async () => {
    const backend = await launch();
    const exit = nextExit(backend);
    await backend.stop({ force: true });
    expect((await exit).signal).toBe('SIGKILL');
  });

  it('reports a crash as an unintentional exit', async () => {
    const backend = await launch(['--crash-after-calls', '0']);
    const exit = nextExit(backend);
    await backend.client.loadModel({ Model: 'tiny.gguf' });
    const error = await backend.client.predict({ Prompt: 'boom' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendCallError);
    expect((error as BackendCallError).kind).toBe('connection');
    expect(await exit).toEqual({ exitCode: 70, signal: null, intentional: false });
    expect(backend.recentOutput().at(-1)).toContain('simulated crash');
  });

  it('stops the process when readiness times out', async () => {
    const logger = new MemoryLogger();
    const error = await launchError(['--startup-ms', '10000'], { readyTimeoutMs: 300, logger });
    expect(error).toBeInstanceOf(BackendNotReadyError);
    const pid = logger.records.find((r) => r.message === 'started backend process')?.fields['pid'] as number;
    expect(await waitForProcessGone(pid)).toBe(true);
  });

  it('stops the process when the launch is aborted', async () => {
    const logger = new MemoryLogger();
    const controller = new AbortController();
    const launcher = new ProcessLauncher({ logger });
    const launching = launcher.launch({ modelId: 'tiny', backend: fakeBackendDefinition(['--startup-ms', '10000']), signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 200);
    await expect(launching).rejects.toThrow('shutting down');
    const pid = logger.records.find((r) => r.message === 'started backend process')?.fields['pid'] as number;
    expect(await waitForProcessGone(pid)).toBe(true);
  });

  it('rejects an executable that does not exist', async () => {
    const launcher = new ProcessLauncher();
    const launching = launcher.launch({ modelId: 'tiny', backend: { name: 'missing', executable: '/nonexistent/loaderlab-backend' } });
    await expect(launching).rejects.toBeInstanceOf(BackendSpawnError);
  });

  it('attaches to a backend given by address without starting one', async () => {
    const { server } = await startInProcessFakeBackend();
    cleanups.push(() => server.stop(0));
    const launcher = new ProcessLauncher();
    const backend = await launcher.launch({ modelId: 'remote', backend: { name: 'remote', address: server.address } });
    expect(backend.attached).toBe(true);
    expect(backend.pid).toBeUndefined();
    expect(await backend.client.health()).toBe(true);
    const exit = nextExit(backend);
    await backend.stop();
    expect(await exit).toEqual({ exitCode: null, signal: null, intentional: true });
    expect(backend.isRunning()).toBe(false);
  });

  it('rejects an attached address that refuses connections', async () => {
    const address = `127.0.0.1:${await closedLoopbackPort()}`;
    const launcher = new ProcessLauncher({ attachTimeoutMs: 300 });
    const launching = launcher.launch({ modelId: 'remote', backend: { name: 'remote', address } });
    await expect(launching).rejects.toBeInstanceOf(BackendNotReadyError);
  });
});
