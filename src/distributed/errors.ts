import { LoaderLabError } from '../errors.js';

/**
 * Distributed mode: no candidate node can take the model in the current cluster state, because
 * it is larger than any node's memory or every replica in the way is protected (minimum
 * replicas, pinned). Unlike `AllReplicasBusyError`, waiting does not help.
 */
export class NoCapacityError extends LoaderLabError {
  readonly code = 'NO_CAPACITY';
  constructor(
    readonly modelId: string,
    readonly reason: string,
  ) {
    super(`no node can take model "${modelId}": ${reason}; add a node or lower other models' minimum replicas`);
  }
}

/** Distributed mode: a call to a node's worker agent failed. */
export class AgentCallError extends LoaderLabError {
  readonly code = 'AGENT_CALL_FAILED';
  constructor(
    readonly method: string,
    readonly nodeId: string,
    readonly address: string,
    readonly kind: 'connection' | 'deadline' | 'unauthenticated' | 'rejected' | 'other',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} to the agent of node "${nodeId}" at ${address} failed (${kind}): ${detail}`, options);
  }
}

/** Distributed mode: the registry has no node with this id. */
export class UnknownNodeError extends LoaderLabError {
  readonly code = 'UNKNOWN_NODE';
  constructor(readonly nodeId: string) {
    super(`node "${nodeId}" is not registered; register it before sending it work`);
  }
}

/** Distributed mode: another frontend's load of the model did not finish in time. */
export class ReplicaWaitTimeoutError extends LoaderLabError {
  readonly code = 'REPLICA_WAIT_TIMEOUT';
  constructor(
    readonly modelId: string,
    readonly waitedMs: number,
  ) {
    super(`model "${modelId}" was still loading elsewhere in the cluster after ${waitedMs} ms; retry later`);
  }
}

/** Worker agent: the backend asked for is not configured on this host. */
export class AgentBackendNotFoundError extends LoaderLabError {
  readonly code = 'AGENT_BACKEND_NOT_FOUND';
  constructor(
    readonly backend: string,
    readonly known: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`the agent has no backend "${backend}"; configured: ${known.length ? known.join(', ') : '(none)'}`, options);
  }
}

/** Distributed mode: every route attempt found its replica gone again before use. */
export class ReplicaUnavailableError extends LoaderLabError {
  readonly code = 'REPLICA_UNAVAILABLE';
  constructor(
    readonly modelId: string,
    readonly attempts: number,
  ) {
    super(`model "${modelId}" had no reachable replica after ${attempts} route attempt(s); check its nodes and retry`);
  }
}
