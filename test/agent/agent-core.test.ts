import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/clock/virtual-clock.js';
import { AgentCore } from '../../src/agent/agent-core.js';
import { BackendCatalog } from '../../src/backend/backend-catalog.js';
import { InMemoryBackendLauncher } from '../../src/backend/in-memory/in-memory-backend.js';
import { AgentBackendNotFoundError } from '../../src/distributed/errors.js';
import { LoaderClosedError } from '../../src/errors.js';

function createCore(): { core: AgentCore; launcher: InMemoryBackendLauncher } {
  const launcher = new InMemoryBackendLauncher(new VirtualClock());
  const catalog = new BackendCatalog({ 'loaderlab-fake': { executable: '/bin/fake', fileTypes: ['.gguf'] } });
  const core = new AgentCore({ launcher, catalog, modelsDir: '/models', agentId: 'agent-1', totalMemoryBytes: 1_000 });
  return { core, launcher };
}

describe('AgentCore', () => {
  it('starts a backend for a slot and lists it', async () => {
    const { core } = createCore();
    const started = await core.startBackend({ modelId: 'm', replicaIndex: 1, backend: 'fake', modelFile: 'm.gguf' });

    expect(started.backend).toBe('loaderlab-fake');
    expect(started.modelsDir).toBe('/models');
    expect(core.listBackends()).toEqual([{ modelId: 'm', replicaIndex: 1, address: started.address, pid: started.pid, backend: 'loaderlab-fake' }]);
  });

  it('chooses a backend by file type', async () => {
    const { core } = createCore();
    const started = await core.startBackend({ modelId: 'm', replicaIndex: 0, backend: undefined, modelFile: 'm.gguf' });
    expect(started.backend).toBe('loaderlab-fake');
  });

  it('rejects a backend it does not have', async () => {
    const { core } = createCore();
    const start = core.startBackend({ modelId: 'm', replicaIndex: 0, backend: 'vllm', modelFile: 'm.gguf' });
    await expect(start).rejects.toBeInstanceOf(AgentBackendNotFoundError);
  });

  it('replaces a backend still running in the slot', async () => {
    const { core, launcher } = createCore();
    await core.startBackend({ modelId: 'm', replicaIndex: 0, backend: 'fake', modelFile: 'm.gguf' });
    await core.startBackend({ modelId: 'm', replicaIndex: 0, backend: 'fake', modelFile: 'm.gguf' });

    expect(launcher.running()).toHaveLength(1);
    expect(core.listBackends()).toHaveLength(1);
  });

  it('stops a slot and reports whether one ran', async () => {
    const { core, launcher } = createCore();
    await core.startBackend({ modelId: 'm', replicaIndex: 0, backend: 'fake', modelFile: 'm.gguf' });

    expect(await core.stopBackend('m', 0)).toBe(true);
    expect(await core.stopBackend('m', 0)).toBe(false);
    expect(launcher.running()).toHaveLength(0);
  });

  it('forgets a backend that crashed', async () => {
    const { core, launcher } = createCore();
    await core.startBackend({ modelId: 'm', replicaIndex: 0, backend: 'fake', modelFile: 'm.gguf' });
    launcher.launches[0]!.process.crash();
    expect(core.listBackends()).toEqual([]);
  });

  it('reports memory and its id in heartbeats', async () => {
    const { core } = createCore();
    const heartbeat = await core.heartbeat();
    expect(heartbeat).toEqual({ agentId: 'agent-1', totalMemoryBytes: 1_000, availableMemoryBytes: 1_000, backends: [] });
  });

  it('stops every backend on shutdown and starts no more', async () => {
    const { core, launcher } = createCore();
    await core.startBackend({ modelId: 'a', replicaIndex: 0, backend: 'fake', modelFile: 'a.gguf' });
    await core.startBackend({ modelId: 'b', replicaIndex: 0, backend: 'fake', modelFile: 'b.gguf' });
    await core.shutdown();

    expect(launcher.running()).toHaveLength(0);
    await expect(core.startBackend({ modelId: 'c', replicaIndex: 0, backend: 'fake', modelFile: 'c.gguf' })).rejects.toBeInstanceOf(LoaderClosedError);
  });
});
