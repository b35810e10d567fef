import type { BackendClient } from '../backend/backend-client.js';
import { ConnectionEvictingClient } from '../backend/connection-evicting-client.js';
import type { LoadRequest } from './load-request.js';
import type { RoutedReplica } from './model-router.js';
import type { ResidentModelInfo } from './model-loader.js';

interface StandIn {
  request: LoadRequest;
  replica: RoutedReplica;
  routedAtMs: number;
}

/**
 * What a frontend remembers of the replicas the router handed it, for listing and
 * shutdown. It is not a cache: every load still asks the router.
 */
export class DistributedStandIns {
  private readonly byModel = new Map<string, Map<string, StandIn>>();

  record(request: LoadRequest, replica: RoutedReplica, nowMs: number): void {
    let replicas = this.byModel.get(request.modelId);
    if (!replicas) {
      replicas = new Map();
      this.byModel.set(request.modelId, replicas);
    }
    replicas.set(replicaKey(replica), { request, replica, routedAtMs: nowMs });
  }

  /**
   * Wraps the routed client so that the first connection error drops the stand-in and
   * calls `onConnectionError`, and the next request routes afresh.
   */
  wrap(modelId: string, replica: RoutedReplica, onConnectionError: (replica: RoutedReplica) => void): BackendClient {
    return new ConnectionEvictingClient(replica.client, () => {
      this.byModel.get(modelId)?.delete(replicaKey(replica));
      onConnectionError(replica);
    });
  }

  removeModel(modelId: string): void {
    this.byModel.delete(modelId);
  }

  clear(): void {
    this.byModel.clear();
  }

  list(pinned: ReadonlySet<string>): ResidentModelInfo[] {
    const infos: ResidentModelInfo[] = [];
    for (const [modelId, replicas] of this.byModel) {
      for (const { request, replica, routedAtMs } of replicas.values()) {
        infos.push({
          modelId,
          state: 'ready',
          backend: request.backend,
          address: replica.address,
          pid: undefined,
          inFlight: 0,
          busySinceMs: undefined,
          idleSinceMs: routedAtMs,
          lastUsedMs: routedAtMs,
          sizeBytes: request.sizeBytes,
          groups: request.groups ?? [],
          pinned: pinned.has(modelId),
          nodeId: replica.nodeId,
        });
      }
    }
    return infos;
  }
}

function replicaKey(replica: RoutedReplica): string {
  return `${replica.nodeId}/${replica.replicaIndex}`;
}
