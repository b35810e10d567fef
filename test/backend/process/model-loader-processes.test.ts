import { afterEach, describe, expect, it } from 'vitest';
import type { BackendConfig } from '../../../src/backend/backend-catalog.js';
import type { BackendLauncher, BackendProcess, LaunchRequest } from '../../../src/backend/backend-launcher.js';
import { findFreeLoopbackPort } from '../../../src/backend/process/free-port.js';
import { ProcessLauncher } from '../../../src/backend/process/process-launcher.js';
import type { ProcessLauncherOptions } from '../../../src/backend/process/launcher-options.js';
import { BackendCallError, BackendExitedError, LoadFailedError } from '../../../src/errors.js';
import type { LoaderEvent } from '../../../src/loader/events.js';
import type { LoadRequest } from '../../../src/loader/load-request.js';
import { ModelLoader, type ModelLoaderOptions } from '../../../src/loader/model-loader.js';
import { FakeBackendServer } from '../../../src/fake-backend/fake-backend-server.js';
import { fakeBackendConfig } from '../../helpers/fake-backend-executable.js';
import { startInProcessFakeBackend } from '../../helpers/in-process-fake-backend.js';
import { occupyLoopbackPort } from '../../helpers/ports.js';
import { isProcessAlive, waitForProcessGone } from '../../helpers/processes.js';

/** Counts launches and keeps every started process, so tests can check spawns and PIDs. */
class CountingLauncher implements BackendLauncher {
  readonly launched: BackendProcess[] = [];
  launchCalls = 0;

  constructor(private readonly inner: BackendLauncher) {}

  async launch(request: LaunchRequest): Promise<BackendProcess> {
    this.launchCalls++;
    const process = await this.inner.launch(request);
    this.launched.push(process);
    return process;
  }
}

interface Harness {
  loader: ModelLoader;
  launcher: CountingLauncher;
  events: LoaderEvent[];
}

const loaders: ModelLoader[] = [];
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(loaders.splice(0).map((loader) => loader.shutdown()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function createHarness(
  backends: Record<string, BackendConfig> = { fake: fakeBackendConfig() },
  options: Partial<ModelLoaderOptions> = {},
  launcherOptions: ProcessLauncherOptions = {},
): Harness {
  const launcher = new CountingLauncher(new ProcessLauncher({ stopGraceMs: 2_000, ...launcherOptions }));
  const loader = new ModelLoader({ launcher, backends, modelsDir: '/models', ...options });
  loaders.push(loader);
  const events: LoaderEvent[] = [];
  loader.events.on((event) => events.push(event));
  return { loader, launcher, events };
}

function request(modelId: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return { modelId, modelFile: `${modelId}.gguf`, backend: 'fake', ...extra };
}

/** Lines the fake backend logs for each successful `LoadModel`. */
function loadModelCount(process: BackendProcess): number {
  return process.recentOutput().filter((line) => line.startsWith('info model loaded')).length;
}

function text(reply: { message: Uint8Array }): string {
  return Buffer.from(reply.message).toString('utf8');
}

describe('ModelLoader with real backend processes', () => {
  it('serves a cold load, then a warm call', async () => {
    const { loader, launcher, events } = createHarness();
    const cold = await loader.load(request('tiny'));
    const first = await cold.predict({ Prompt: 'Hello', Seed: 1, Tokens: 4 });
    const warm = await loader.load(request('tiny'));
    const second = await warm.predict({ Prompt: 'Hello', Seed: 1, Tokens: 4 });

    expect(text(second)).toBe(text(first));
    expect(launcher.launched).toHaveLength(1);
    expect(loader.list().map((m) => m.pid)).toEqual([launcher.launched[0]!.pid]);
    expect(events.filter((e) => e.type === 'resident-hit')).toHaveLength(1);
  });

  it('makes one process and one LoadModel for ten concurrent loads', async () => {
    const { loader, launcher } = createHarness({ fake: fakeBackendConfig(['--load-ms', '300']) });
    const clients = await Promise.all(Array.from({ length: 10 }, () => loader.load(request('tiny'))));
    const replies = await Promise.all(clients.map((client) => client.predict({ Prompt: 'same', Seed: 5 })));

    expect(launcher.launchCalls).toBe(1);
    expect(loadModelCount(launcher.launched[0]!)).toBe(1);
    expect(new Set(replies.map(text)).size).toBe(1);
  });

  it('reloads a crashed backend on the next request', async () => {
    const { loader, launcher, events } = createHarness();
    const client = await loader.load(request('tiny', { options: ['crash_after_calls:1'] }));
    await client.predict({ Prompt: 'first' });
    const crashedPid = launcher.launched[0]!.pid!;
    const crash = await client.predict({ Prompt: 'second' }).catch((error: unknown) => error);

    expect(crash).toBeInstanceOf(BackendCallError);
    expect((crash as BackendCallError).kind).toBe('connection');
    expect(await waitForProcessGone(crashedPid)).toBe(true);
    await expect.poll(() => events.some((e) => e.type === 'backend-exited' && !e.intentional)).toBe(true);

    const reloaded = await loader.load(request('tiny', { options: ['crash_after_calls:1'] }));
    expect(text(await reloaded.predict({ Prompt: 'again' })).length).toBeGreaterThan(0);
    expect(launcher.launched).toHaveLength(2);
    expect(launcher.launched[1]!.pid).not.toBe(crashedPid);
  });

  it('names model, exit code and stderr line of an early exit', async () => {
    const { loader } = createHarness({ fake: fakeBackendConfig(['--exit-before-ready', 'cuda: out of memory', '--exit-code', '4']) });
    const error = await loader.load(request('big-model')).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LoadFailedError);
    expect((error as LoadFailedError).cause).toBeInstanceOf(BackendExitedError);
    const message = (error as Error).message;
    expect(message).toContain('"big-model"');
    expect(message).toContain('exit code 4');
    expect(message).toContain('cuda: out of memory');
  });

  it('stops the process of a failed LoadModel', async () => {
    const { loader, launcher } = createHarness();
    const error = await loader.load(request('tiny', { options: ['fail_load:model file is corrupt'] })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LoadFailedError);
    expect((error as Error).message).toContain('model file is corrupt');
    const pid = launcher.launched[0]!.pid!;
    expect(await waitForProcessGone(pid)).toBe(true);
    expect(loader.list()).toEqual([]);
  });

  it('stops the process of an LRU-evicted model', async () => {
    const { loader, launcher, events } = createHarness(undefined, { lruLimit: 1 });
    await loader.load(request('first'));
    const firstPid = launcher.launched[0]!.pid!;
    await loader.load(request('second'));

    expect(isProcessAlive(firstPid)).toBe(false);
    expect(loader.list().map((m) => m.modelId)).toEqual(['second']);
    expect(events.some((e) => e.type === 'evicted' && e.modelId === 'first' && e.reason === 'lru')).toBe(true);
  });

  it('force-stops a model with a hung call', async () => {
    const { loader, launcher } = createHarness();
    const client = await loader.load(request('tiny', { options: ['hang_after_calls:0'] }));
    const hung = client.predict({ Prompt: 'never answered' }).catch((error: unknown) => error);
    expect(loader.get('tiny')?.inFlight).toBe(1);

    await loader.shutdownModel('tiny', { force: true });
    const error = await hung;
    expect(error).toBeInstanceOf(BackendCallError);
    expect((error as BackendCallError).kind).toBe('connection');
    expect(isProcessAlive(launcher.launched[0]!.pid!)).toBe(false);
  });

  it('leaves no child process after shutdown', async () => {
    const { loader, launcher } = createHarness();
    await Promise.all(['one', 'two', 'three'].map((id) => loader.load(request(id))));
    const pids = launcher.launched.map((p) => p.pid!);
    expect(pids).toHaveLength(3);

    await loader.shutdown();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('evicts an attached backend that refuses connections', async () => {
    const { server } = await startInProcessFakeBackend();
    const address = server.address;
    const { loader, events } = createHarness({ remote: { address } });
    const remote = (id: string): LoadRequest => ({ modelId: id, modelFile: 'tiny.gguf', backend: 'remote' });
    const client = await loader.load(remote('tiny'));
    await client.predict({ Prompt: 'before' });

    await server.stop(0);
    const failures = await Promise.all([
      client.predict({ Prompt: 'after' }).catch((e: unknown) => e),
      client.predict({ Prompt: 'after' }).catch((e: unknown) => e),
    ]);
    for (const failure of failures) expect((failure as BackendCallError).kind).toBe('connection');
    await expect.poll(() => loader.list().length).toBe(0);
    expect(events.filter((e) => e.type === 'evicted' && e.reason === 'connection-error')).toHaveLength(1);

    const [host, port] = address.split(':');
    const restarted = await FakeBackendServer.start({ host: host!, port: Number(port) }, { crash: () => {} });
    cleanups.push(() => restarted.stop(0));
    const reattached = await loader.load(remote('tiny'));
    expect(text(await reattached.predict({ Prompt: 'again' })).length).toBeGreaterThan(0);
  });

  it('loads on another port when the first is taken', async () => {
    const taken = await occupyLoopbackPort();
    cleanups.push(taken.close);
    const ports = [taken.port];
    const findPort = async (): Promise<number> => ports.shift() ?? findFreeLoopbackPort();
    const { loader } = createHarness(undefined, {}, { findPort });
    const client = await loader.load(request('tiny'));

    expect(client.address).not.toBe(`127.0.0.1:${taken.port}`);
    expect(loader.list()[0]?.state).toBe('ready');
  });
});
