import type { BackendClient } from '../backend/backend-client.js';

/** What the router asks an agent to start. */
export interface StartBackendRequest {
  modelId: string;
  replicaIndex: number;
  /** Backend name or alias as the agent's catalog knows it; undefined lets the agent choose by file type. */
  backend: string | undefined;
  /** The model file, relative to the agent's models directory; used to choose a backend. */
  modelFile: string;
  /** Aborts the start and stops what was started. */
  signal?: AbortSignal;
}

/** A backend the agent started and that answered its first health check. */
export interface StartedBackend {
  /** `host:port` the backend listens on. */
  address: string;
  /** Process id on the agent's host; undefined for simulated backends. */
  pid: number | undefined;
  /** Canonical name of the backend the agent started. */
  backend: string;
  /** The agent's models directory, where the backend opens model files. */
  modelsDir: string;
}

/** One backend an agent runs. */
export interface AgentBackendInfo {
  modelId: string;
  replicaIndex: number;
  address: string;
  pid: number | undefined;
  backend: string;
}

/** GPU memory of the agent's host. */
export interface AgentMemory {
  totalMemoryBytes: number;
  availableMemoryBytes: number;
}

/** A heartbeat: the agent's identity for this run, its memory and its backends. */
export interface AgentHeartbeat extends AgentMemory {
  /**
   * Random id the agent chose when it started. A different id than last time means the
   * agent restarted and the backends the registry remembers on its node are gone.
   */
  agentId: string;
  backends: AgentBackendInfo[];
}

/** Per-call settings of agent calls. */
export interface AgentCallOptions {
  deadlineMs?: number;
  signal?: AbortSignal;
}

/**
 * A connection to one node's worker agent. Methods reject with `AgentCallError`; the
 * gRPC implementation sends the cluster token with every call.
 */
export interface AgentClient {
  /** `host:port` of the agent, or a simulator's name for it. */
  readonly address: string;
  startBackend(request: StartBackendRequest, options?: AgentCallOptions): Promise<StartedBackend>;
  /** Stops the backend of (model, replica index); resolves false when none ran. */
  stopBackend(modelId: string, replicaIndex: number, options?: AgentCallOptions & { force?: boolean }): Promise<boolean>;
  listBackends(options?: AgentCallOptions): Promise<AgentBackendInfo[]>;
  memory(options?: AgentCallOptions): Promise<AgentMemory>;
  heartbeat(options?: AgentCallOptions): Promise<AgentHeartbeat>;
  /** Closes the connection. Idempotent. */
  close(): void;
}

/** Opens a connection to the agent of a node. */
export type AgentConnector = (node: { id: string; agentAddress: string }) => AgentClient;

/**
 * Opens a connection to the backend at an address. The router keeps one client per
 * address for the backend's lifetime and closes it when the replica is gone.
 */
export type BackendConnector = (address: string) => BackendClient;
