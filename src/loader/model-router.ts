import type { BackendClient } from '../backend/backend-client.js';
import type { LoadRequest } from './load-request.js';

/** Where the router sent a request. */
export interface RoutedReplica {
  client: BackendClient;
  nodeId: string;
  replicaIndex: number;
  address: string;
}

/**
 * The distributed-mode seam of `ModelLoader`. When a router is configured it decides every
 * load; the loader keeps no cache of its own and applies no local LRU or group rule.
 */
export interface ModelRouter {
  /**
   * Picks (or places) a replica for the request. The returned client must lower the
   * replica's in-flight count when each call ends, whatever the outcome.
   */
  route(request: LoadRequest): Promise<RoutedReplica>;

  /** Stops every replica of the model; returns false when no node held it. */
  shutdownModel(modelId: string, options: { force: boolean }): Promise<boolean>;

  /** Drops a replica that failed with a connection error, so the next request re-routes. */
  dropReplica(modelId: string, nodeId: string, replicaIndex: number): Promise<void>;

  /** Stops the router's own timers and connections. */
  close(): Promise<void>;
}
