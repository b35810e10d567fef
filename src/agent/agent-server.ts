import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import type { AgentBackendInfo, AgentMemory } from '../distributed/agent-client.js';
import { AgentBackendNotFoundError } from '../distributed/errors.js';
import { LoaderClosedError, LoaderLabError } from '../errors.js';
import { formatListenAddress, parseListenAddress } from '../fake-backend/listen-address.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { AgentCore } from './agent-core.js';
import { loadAgentService, TOKEN_METADATA_KEY, type WireBackendInfo, type WireMemory } from './agent-proto.js';
import { bearerToken, tokenMatches, validateToken } from './cluster-token.js';

/** Options of `AgentServer.start`. */
export interface AgentServerOptions {
  core: AgentCore;
  /** `host:port` to listen on; port 0 picks a free port. Default `127.0.0.1:0`. */
  address?: string;
  /** Listen on a host outside loopback. Default false. */
  allowRemote?: boolean;
  /** The cluster token every call must carry. */
  token: string;
  logger?: Logger;
  /** Times the shutdown grace period. Default `RealClock`. */
  clock?: Clock;
}

type Handler<Request, Reply> = (request: Request) => Promise<Reply>;

/**
 * The gRPC server of a worker agent. Every call must carry the cluster token; a call
 * without it, or with another token, is rejected with UNAUTHENTICATED before it reaches
 * the agent.
 */
export class AgentServer {
  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {}

  static async start(options: AgentServerOptions): Promise<AgentServer> {
    const token = validateToken(options.token, 'cluster token');
    const listen = parseListenAddress(options.address ?? '127.0.0.1:0', options.allowRemote ?? false);
    const logger = (options.logger ?? silentLogger).child({ component: 'agent-server' });
    const server = new grpc.Server();
    const { core } = options;

    const unary = <Request, Reply>(method: string, handler: Handler<Request, Reply>): grpc.handleUnaryCall<Request, Reply> => {
      return (call, callback) => {
        if (!tokenMatches(token, bearerToken(call.metadata.get(TOKEN_METADATA_KEY)[0]))) {
          logger.warn('call rejected without the cluster token', { method, peer: call.getPeer() });
          callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong cluster token' });
          return;
        }
        handler(call.request).then(
          (reply) => callback(null, reply),
          (error: unknown) => {
            logger.warn('call failed', { method, error: error instanceof Error ? error.message : String(error) });
            callback(toServiceError(error));
          },
        );
      };
    };

    server.addService(loadAgentService().definition, {
      StartBackend: unary('StartBackend', async (request: { model_id: string; replica_index: number; backend: string; model_file: string }) => {
        const started = await core.startBackend({
          modelId: request.model_id,
          replicaIndex: request.replica_index,
          backend: request.backend === '' ? undefined : request.backend,
          modelFile: request.model_file,
        });
        return { address: started.address, pid: started.pid ?? 0, backend: started.backend, models_dir: started.modelsDir };
      }),
      StopBackend: unary('StopBackend', async (request: { model_id: string; replica_index: number; force: boolean }) => ({
        stopped: await core.stopBackend(request.model_id, request.replica_index, { force: request.force }),
      })),
      ListBackends: unary('ListBackends', async () => ({ backends: core.listBackends().map(toWireBackend) })),
      Memory: unary('Memory', async () => toWireMemory(await core.memory())),
      Heartbeat: unary('Heartbeat', async () => {
        const heartbeat = await core.heartbeat();
        return { agent_id: heartbeat.agentId, memory: toWireMemory(heartbeat), backends: heartbeat.backends.map(toWireBackend) };
      }),
    });

    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(formatListenAddress(listen), grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    const address = formatListenAddress({ host: listen.host, port });
    logger.info('agent listening', { address });
    return new AgentServer(server, address, logger, options.clock ?? new RealClock());
  }

  /** Stops accepting calls; calls in progress get `graceMs` to finish before they are cancelled. */
  async stop(graceMs: number): Promise<void> {
    const forced = this.clock.setTimer(graceMs, () => this.server.forceShutdown());
    await new Promise<void>((resolve) => this.server.tryShutdown(() => resolve()));
    forced.cancel();
    this.logger.info('agent stopped', { address: this.address });
  }
}

function toWireBackend(backend: AgentBackendInfo): WireBackendInfo {
  return {
    model_id: backend.modelId,
    replica_index: backend.replicaIndex,
    address: backend.address,
    pid: backend.pid ?? 0,
    backend: backend.backend,
  };
}

function toWireMemory(memory: AgentMemory): WireMemory {
  return { total_bytes: memory.totalMemoryBytes, available_bytes: memory.availableMemoryBytes };
}

/** Maps a failure to a gRPC status the client can sort: unknown backend, shutting down, or failed. */
function toServiceError(error: unknown): Partial<grpc.ServiceError> {
  const details = error instanceof Error ? error.message : String(error);
  if (error instanceof AgentBackendNotFoundError) {
    return { code: grpc.status.NOT_FOUND, details };
  }
  if (error instanceof LoaderClosedError) {
    return { code: grpc.status.UNAVAILABLE, details };
  }
  if (error instanceof LoaderLabError) {
    return { code: grpc.status.FAILED_PRECONDITION, details: `${error.code}: ${details}` };
  }
  return { code: grpc.status.INTERNAL, details };
}
