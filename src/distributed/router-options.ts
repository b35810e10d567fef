import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { InvalidOptionError } from '../errors.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { AgentConnector, BackendConnector } from './agent-client.js';
import type { AgentPool } from './agent-pool.js';
import { leastLoadedPicker, type ReplicaPicker } from './picker.js';
import { defaultPlacementPolicy, type PlacementPolicy } from './placement/pipeline.js';
import type { Registry } from './registry/registry.js';
import type { ReplicaCacheOptions } from './replica-cache.js';

/** Options of `DistributedRouter`. Durations are in milliseconds. */
export interface DistributedRouterOptions {
  /** The cluster state this router reads and changes. */
  registry: Registry;
  /** Opens agent connections; ignored when `agents` is given. */
  connectAgent?: AgentConnector;
  /** Agent connections shared with other components (reconciler, node health); the router does not close them. */
  agents?: AgentPool;
  /** Opens backend connections by address. */
  connectBackend: BackendConnector;
  /** Names this router in events and logs. Default `frontend`. */
  frontendId?: string;
  /** Default: `RealClock`. */
  clock?: Clock;
  /** Default: silent. */
  logger?: Logger;
  /** Default: fewest in-flight, oldest last-used, most available memory. */
  picker?: ReplicaPicker;
  /** Default: the pipeline of the distributed-mode spec. */
  placementPolicy?: PlacementPolicy;
  /** Maximum replicas of a model the registry has no scheduling for. Default 1. */
  defaultMaxReplicas?: number;
  /** Time a reachability result is cached. Default 3,000. */
  reachabilityTtlMs?: number;
  /** Deadline of a reachability probe. Default 1,000. */
  reachabilityTimeoutMs?: number;
  /** Placement attempts after the first that wait for busy replicas. Default 5. */
  busyRetries?: number;
  /** Wait between those attempts. Default 500. */
  busyRetryIntervalMs?: number;
  /** How often a router polls a replica that another router is loading. Default 100. */
  loadingPollIntervalMs?: number;
  /** Maximum wait for a replica another router is loading. Default 600,000. */
  loadingWaitTimeoutMs?: number;
  /** Deadline of `LoadModel`. Default 600,000. */
  loadModelDeadlineMs?: number;
  /** Deadline of agent calls other than starting a backend. Default 10,000. */
  agentCallDeadlineMs?: number;
  /** Deadline of an agent's start of a backend, up to its first successful health check. Default 120,000. */
  startBackendDeadlineMs?: number;
  /** A pick whose call has not started by then is released; 0 = never. Default 60,000. */
  pickLeaseTimeoutMs?: number;
  /** Graceful shutdown waits this long for calls in flight. Default 30,000. */
  shutdownBusyTimeoutMs?: number;
  /** Route attempts (pick, or place then pick) before giving up. Default 4. */
  maxRouteAttempts?: number;
  /** Placement avoids a node this long after its agent failed to connect. Default 10,000. */
  agentFailureBackoffMs?: number;
  /** Route from a cached replica list instead of the registry on every request. Default: off. */
  replicaCache?: ReplicaCacheOptions | false;
}

/** The options after defaults and range checks. */
export interface ResolvedRouterOptions {
  readonly registry: Registry;
  readonly connectAgent: AgentConnector | undefined;
  readonly agents: AgentPool | undefined;
  readonly connectBackend: BackendConnector;
  readonly frontendId: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly picker: ReplicaPicker;
  readonly placementPolicy: PlacementPolicy;
  readonly defaultMaxReplicas: number;
  readonly reachabilityTtlMs: number;
  readonly reachabilityTimeoutMs: number;
  readonly busyRetries: number;
  readonly busyRetryIntervalMs: number;
  readonly loadingPollIntervalMs: number;
  readonly loadingWaitTimeoutMs: number;
  readonly loadModelDeadlineMs: number;
  readonly agentCallDeadlineMs: number;
  readonly startBackendDeadlineMs: number;
  readonly pickLeaseTimeoutMs: number;
  readonly shutdownBusyTimeoutMs: number;
  readonly maxRouteAttempts: number;
  readonly agentFailureBackoffMs: number;
  readonly replicaCache: ReplicaCacheOptions | undefined;
}

/** Fills in defaults and checks ranges once, naming the option at fault. */
export function resolveRouterOptions(options: DistributedRouterOptions): ResolvedRouterOptions {
  if (!options.agents && !options.connectAgent) {
    throw new InvalidOptionError('connectAgent', 'a function, unless agents is given', options.connectAgent);
  }
  return {
    registry: options.registry,
    connectAgent: options.connectAgent,
    agents: options.agents,
    connectBackend: options.connectBackend,
    frontendId: options.frontendId ?? 'frontend',
    clock: options.clock ?? new RealClock(),
    logger: (options.logger ?? silentLogger).child({ component: 'router', frontendId: options.frontendId ?? 'frontend' }),
    picker: options.picker ?? leastLoadedPicker,
    placementPolicy: options.placementPolicy ?? defaultPlacementPolicy,
    defaultMaxReplicas: integerAtLeast('defaultMaxReplicas', options.defaultMaxReplicas ?? 1, 1),
    reachabilityTtlMs: nonNegative('reachabilityTtlMs', options.reachabilityTtlMs ?? 3_000),
    reachabilityTimeoutMs: positive('reachabilityTimeoutMs', options.reachabilityTimeoutMs ?? 1_000),
    busyRetries: integerAtLeast('busyRetries', options.busyRetries ?? 5, 0),
    busyRetryIntervalMs: nonNegative('busyRetryIntervalMs', options.busyRetryIntervalMs ?? 500),
    loadingPollIntervalMs: positive('loadingPollIntervalMs', options.loadingPollIntervalMs ?? 100),
    loadingWaitTimeoutMs: nonNegative('loadingWaitTimeoutMs', options.loadingWaitTimeoutMs ?? 600_000),
    loadModelDeadlineMs: positive('loadModelDeadlineMs', options.loadModelDeadlineMs ?? 600_000),
    agentCallDeadlineMs: positive('agentCallDeadlineMs', options.agentCallDeadlineMs ?? 10_000),
    startBackendDeadlineMs: positive('startBackendDeadlineMs', options.startBackendDeadlineMs ?? 120_000),
    pickLeaseTimeoutMs: nonNegative('pickLeaseTimeoutMs', options.pickLeaseTimeoutMs ?? 60_000),
    shutdownBusyTimeoutMs: nonNegative('shutdownBusyTimeoutMs', options.shutdownBusyTimeoutMs ?? 30_000),
    maxRouteAttempts: integerAtLeast('maxRouteAttempts', options.maxRouteAttempts ?? 4, 1),
    agentFailureBackoffMs: nonNegative('agentFailureBackoffMs', options.agentFailureBackoffMs ?? 10_000),
    replicaCache: options.replicaCache === false ? undefined : options.replicaCache,
  };
}

function nonNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new InvalidOptionError(name, 'a finite number >= 0', value);
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new InvalidOptionError(name, 'a finite number > 0', value);
  }
  return value;
}

function integerAtLeast(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new InvalidOptionError(name, `an integer >= ${minimum}`, value);
  }
  return value;
}
