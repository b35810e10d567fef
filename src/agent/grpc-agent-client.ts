import * as grpc from '@grpc/grpc-js';
import { wallClockDeadline } from '../backend/grpc/deadline.js';
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
import { loadAgentService, TOKEN_METADATA_KEY, type WireBackendInfo, type WireMemory } from './agent-proto.js';

/** Options of `GrpcAgentClient`. */
export interface GrpcAgentClientOptions {
  /** The cluster token sent with every call. */
  token: string;
  /** Deadline of calls that set none, in ms. Default 10,000. */
  defaultDeadlineMs?: number;
}

type UnaryStub = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, reply: unknown) => void,
) => grpc.ClientUnaryCall;

/** Details of errors that mean the connection itself failed, whatever the status code. */
const CONNECTION_DETAILS = /ECONNREFUSED|ECONNRESET|EPIPE|ENOTCONN|socket hang up|connection (?:dropped|refused|reset|closed)/i;

/** An `AgentClient` over one gRPC channel to a worker agent, sending the cluster token with every call. */
export class GrpcAgentClient implements AgentClient {
  private readonly stub: grpc.Client;
  private readonly metadata: grpc.Metadata;
  private readonly defaultDeadlineMs: number;

  constructor(
    readonly nodeId: string,
    readonly address: string,
    options: GrpcAgentClientOptions,
  ) {
    const { Client } = loadAgentService();
    this.stub = new Client(address, grpc.credentials.createInsecure());
    this.metadata = new grpc.Metadata();
    this.metadata.set(TOKEN_METADATA_KEY, `Bearer ${options.token}`);
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
  }

  async startBackend(request: StartBackendRequest, options?: AgentCallOptions): Promise<StartedBackend> {
    const reply = (await this.call(
      'StartBackend',
      { model_id: request.modelId, replica_index: request.replicaIndex, backend: request.backend ?? '', model_file: request.modelFile },
      { ...options, signal: options?.signal ?? request.signal },
    )) as { address: string; pid: number; backend: string; models_dir: string };
    return { address: reply.address, pid: reply.pid === 0 ? undefined : reply.pid, backend: reply.backend, modelsDir: reply.models_dir };
  }

  async stopBackend(modelId: string, replicaIndex: number, options?: AgentCallOptions & { force?: boolean }): Promise<boolean> {
    const reply = (await this.call('StopBackend', { model_id: modelId, replica_index: replicaIndex, force: options?.force ?? false }, options)) as {
      stopped: boolean;
    };
    return reply.stopped;
  }

  async listBackends(options?: AgentCallOptions): Promise<AgentBackendInfo[]> {
    const reply = (await this.call('ListBackends', {}, options)) as { backends: WireBackendInfo[] };
    return reply.backends.map(fromWireBackend);
  }

  async memory(options?: AgentCallOptions): Promise<AgentMemory> {
    return fromWireMemory((await this.call('Memory', {}, options)) as WireMemory);
  }

  async heartbeat(options?: AgentCallOptions): Promise<AgentHeartbeat> {
    const reply = (await this.call('Heartbeat', {}, options)) as { agent_id: string; memory: WireMemory | null; backends: WireBackendInfo[] };
    return {
      agentId: reply.agent_id,
      ...fromWireMemory(reply.memory ?? { total_bytes: 0, available_bytes: 0 }),
      backends: reply.backends.map(fromWireBackend),
    };
  }

  close(): void {
    this.stub.close();
  }

  private call(method: string, request: object, options: AgentCallOptions = {}): Promise<unknown> {
    const deadlineMs = options.deadlineMs ?? this.defaultDeadlineMs;
    const stub = (this.stub as unknown as Record<string, UnaryStub>)[method]!.bind(this.stub);
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(options.signal.reason);
        return;
      }
      const onAbort = (): void => call.cancel();
      const call = stub(request, this.metadata, { deadline: wallClockDeadline(deadlineMs) }, (error, reply) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          reject(this.toError(method, error));
        } else {
          resolve(reply);
        }
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private toError(method: string, error: grpc.ServiceError): AgentCallError {
    const detail = `${grpc.status[error.code] ?? error.code}: ${error.details || error.message}`;
    return new AgentCallError(method, this.nodeId, this.address, classify(error), detail, { cause: error });
  }
}

function classify(error: grpc.ServiceError): AgentCallError['kind'] {
  switch (error.code) {
    case grpc.status.UNAUTHENTICATED:
      return 'unauthenticated';
    case grpc.status.DEADLINE_EXCEEDED:
      return 'deadline';
    case grpc.status.UNAVAILABLE:
      return 'connection';
    case grpc.status.NOT_FOUND:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.INTERNAL:
      return 'rejected';
    default:
      return CONNECTION_DETAILS.test(error.details ?? error.message) ? 'connection' : 'other';
  }
}

function fromWireBackend(backend: WireBackendInfo): AgentBackendInfo {
  return {
    modelId: backend.model_id,
    replicaIndex: backend.replica_index,
    address: backend.address,
    pid: backend.pid === 0 ? undefined : backend.pid,
    backend: backend.backend,
  };
}

function fromWireMemory(memory: WireMemory): AgentMemory {
  return { totalMemoryBytes: memory.total_bytes, availableMemoryBytes: memory.available_bytes };
}
