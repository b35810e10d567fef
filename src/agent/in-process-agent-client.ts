import type {
  AgentBackendInfo,
  AgentCallOptions,
  AgentClient,
  AgentHeartbeat,
  AgentMemory,
  StartBackendRequest,
  StartedBackend,
} from '../distributed/agent-client.js';
import { AgentCallError } from '../distributed/errors.js';
import type { AgentCore } from './agent-core.js';

/**
 * An `AgentClient` that calls an `AgentCore` in the same process, for tests, the
 * simulator and single-host setups. Failures come back as `AgentCallError`, as over gRPC.
 */
export class InProcessAgentClient implements AgentClient {
  private closed = false;

  constructor(
    private readonly core: AgentCore,
    readonly nodeId: string,
    readonly address = `in-process://${nodeId}`,
  ) {}

  startBackend(request: StartBackendRequest, options?: AgentCallOptions): Promise<StartedBackend> {
    return this.call('StartBackend', () => this.core.startBackend(request, options?.signal ?? request.signal));
  }

  stopBackend(modelId: string, replicaIndex: number, options?: AgentCallOptions & { force?: boolean }): Promise<boolean> {
    return this.call('StopBackend', () => this.core.stopBackend(modelId, replicaIndex, { force: options?.force ?? false }));
  }

  listBackends(): Promise<AgentBackendInfo[]> {
    return this.call('ListBackends', async () => this.core.listBackends());
  }

  memory(): Promise<AgentMemory> {
    return this.call('Memory', () => this.core.memory());
  }

  heartbeat(): Promise<AgentHeartbeat> {
    return this.call('Heartbeat', () => this.core.heartbeat());
  }

  close(): void {
    this.closed = true;
  }

  private async call<T>(method: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new AgentCallError(method, this.nodeId, this.address, 'connection', 'the client is closed');
    }
    try {
      return await operation();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new AgentCallError(method, this.nodeId, this.address, 'rejected', detail, { cause: error });
    }
  }
}
