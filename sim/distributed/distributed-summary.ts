import type { RegistryCosts } from './latency-registry.js';

/** The summary's `distributed` section: how the cluster was set up and what its registry did. */
export interface DistributedRunSummary {
  nodes: number;
  frontends: number;
  replicaCache: boolean;
  replicaCacheRefreshMs: number | null;
  /** Registry costs modelled in sim mode; null in process mode. */
  registryCosts: RegistryCosts | null;
  /** Registry calls by method, in sim mode. */
  registryCalls: Record<string, number>;
  /** Times a node was marked unhealthy. */
  nodesLost: number;
}
