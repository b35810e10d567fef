import type { BackendCatalog } from '../backend/backend-catalog.js';
import type { BackendDefinition, BackendLauncher, BackendProcess } from '../backend/backend-launcher.js';
import type {
  AgentBackendInfo,
  AgentHeartbeat,
  AgentMemory,
  StartBackendRequest,
  StartedBackend,
} from '../distributed/agent-client.js';
import { AgentBackendNotFoundError } from '../distributed/errors.js';
import { InvalidOptionError, LoaderClosedError } from '../errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { MemoryProbe } from '../watchdog/memory-probe.js';

/** Options of `AgentCore`. */
export interface AgentCoreOptions {
  /** Starts backends exactly as local mode does. */
  launcher: BackendLauncher;
  /** The backends installed on this host. */
  catalog: BackendCatalog;
  /** Where backends open model files; absolute. */
  modelsDir: string;
  /** Random id of this agent run, sent with every heartbeat. */
  agentId: string;
  /** Reads GPU memory; without one, the agent reports `totalMemoryBytes` as all free. */
  memoryProbe?: MemoryProbe;
  /** GPU memory to report when the probe has no reading (or overrides its total). Default 0. */
  totalMemoryBytes?: number;
  logger?: Logger;
}

interface RunningBackend {
  modelId: string;
  replicaIndex: number;
  process: BackendProcess;
}

/**
 * What a worker agent does, apart from its transport: it starts a backend for a
 * (model, replica index) slot through the same `BackendLauncher` as local mode, stops it,
 * lists what runs, reads memory and answers heartbeats. Calls for one slot run one at a
 * time; a start for a slot that still runs a backend replaces it, because the router only
 * starts a slot it has just reserved.
 */
export class AgentCore {
  private readonly running = new Map<string, RunningBackend>();
  private readonly slotLocks = new KeyedMutex();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly options: AgentCoreOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'agent', agentId: options.agentId });
    if (options.totalMemoryBytes !== undefined && !(options.totalMemoryBytes >= 0)) {
      throw new InvalidOptionError('totalMemoryBytes', 'a number of bytes >= 0', options.totalMemoryBytes);
    }
  }

  get agentId(): string {
    return this.options.agentId;
  }

  async startBackend(request: Omit<StartBackendRequest, 'signal'>, signal?: AbortSignal): Promise<StartedBackend> {
    if (this.closed) {
      throw new LoaderClosedError();
    }
    const key = slotKey(request.modelId, request.replicaIndex);
    const release = await this.slotLocks.acquire(key);
    try {
      await this.stopSlot(key, true);
      const definition = this.resolveBackend(request.backend, request.modelFile);
      this.logger.info('starting backend', { modelId: request.modelId, replicaIndex: request.replicaIndex, backend: definition.name });
      const process = await this.options.launcher.launch({ modelId: request.modelId, backend: definition, ...(signal && { signal }) });
      if (this.closed) {
        await process.stop({ force: true });
        throw new LoaderClosedError();
      }
      this.running.set(key, { modelId: request.modelId, replicaIndex: request.replicaIndex, process });
      process.onExit((exit) => {
        if (this.running.get(key)?.process === process) {
          this.running.delete(key);
        }
        if (!exit.intentional) {
          this.logger.warn('backend exited', { modelId: request.modelId, replicaIndex: request.replicaIndex, exitCode: exit.exitCode, signal: exit.signal });
        }
      });
      return { address: process.address, pid: process.pid, backend: definition.name, modelsDir: this.options.modelsDir };
    } finally {
      release();
    }
  }

  /** Stops the slot's backend; resolves false when none ran. */
  async stopBackend(modelId: string, replicaIndex: number, options: { force?: boolean } = {}): Promise<boolean> {
    const key = slotKey(modelId, replicaIndex);
    const release = await this.slotLocks.acquire(key);
    try {
      return await this.stopSlot(key, options.force ?? false);
    } finally {
      release();
    }
  }

  listBackends(): AgentBackendInfo[] {
    return [...this.running.values()].map(({ modelId, replicaIndex, process }) => ({
      modelId,
      replicaIndex,
      address: process.address,
      pid: process.pid,
      backend: process.backend,
    }));
  }

  async memory(): Promise<AgentMemory> {
    const reading = await this.options.memoryProbe?.read().catch(() => undefined);
    const totalMemoryBytes = this.options.totalMemoryBytes ?? reading?.totalBytes ?? 0;
    const usedBytes = reading?.usedBytes ?? 0;
    return { totalMemoryBytes, availableMemoryBytes: Math.max(0, totalMemoryBytes - usedBytes) };
  }

  async heartbeat(): Promise<AgentHeartbeat> {
    return { agentId: this.options.agentId, ...(await this.memory()), backends: this.listBackends() };
  }

  /** Stops every backend and refuses further starts. Idempotent. */
  async shutdown(options: { force?: boolean } = {}): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.running.keys()].map((key) => this.stopSlot(key, options.force ?? false)));
  }

  private async stopSlot(key: string, force: boolean): Promise<boolean> {
    const entry = this.running.get(key);
    if (!entry) {
      return false;
    }
    this.running.delete(key);
    this.logger.info('stopping backend', { modelId: entry.modelId, replicaIndex: entry.replicaIndex, force });
    await entry.process.stop({ force });
    return true;
  }

  private resolveBackend(name: string | undefined, modelFile: string): BackendDefinition {
    const { catalog } = this.options;
    if (name !== undefined) {
      try {
        return catalog.resolve(name);
      } catch (error) {
        throw new AgentBackendNotFoundError(name, catalog.names(), { cause: error });
      }
    }
    const first = catalog.candidatesFor(modelFile)[0];
    if (!first) {
      throw new AgentBackendNotFoundError(`(any for ${modelFile})`, catalog.names());
    }
    return first;
  }
}

function slotKey(modelId: string, replicaIndex: number): string {
  return `${modelId}\u0000${replicaIndex}`;
}
