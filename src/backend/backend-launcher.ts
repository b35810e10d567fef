import type { BackendClient } from './backend-client.js';

/** A configured backend after alias resolution. */
export interface BackendDefinition {
  /** Canonical name, e.g. `llama-cpp`. */
  name: string;
  /** Executable started as a child process with `--addr 127.0.0.1:PORT`. */
  executable?: string;
  /** Address of an already running backend to attach to instead of starting one. */
  address?: string;
  /** Extra arguments, passed before `--addr` so that a subcommand (`main.js backend`) stays first. */
  args?: readonly string[];
  /**
   * File extensions this backend can serve (`.gguf`), used by automatic selection.
   * Empty or absent means any file.
   */
  fileTypes?: readonly string[];
}

/** Request to start or attach a backend for one model. */
export interface LaunchRequest {
  modelId: string;
  backend: BackendDefinition;
  /** Aborts readiness polling and stops what was started. */
  signal?: AbortSignal;
}

/** Exit status of a backend process. */
export interface BackendExit {
  exitCode: number | null;
  signal: string | null;
  /** True when the loader stopped it on purpose (eviction, shutdown); false for a crash. */
  intentional: boolean;
}

/** A started (or attached) backend whose first health check succeeded. */
export interface BackendProcess {
  readonly modelId: string;
  readonly backend: string;
  readonly address: string;
  /** Operating-system process id; undefined for attached and simulated backends. */
  readonly pid: number | undefined;
  /** True when the loader attached to an address instead of starting a process. */
  readonly attached: boolean;
  readonly client: BackendClient;

  /** False once the process has exited. Attached backends report true until stopped. */
  isRunning(): boolean;

  /**
   * Stops the backend: SIGTERM, then SIGKILL after the launcher's grace period, or
   * SIGKILL at once when `force` is set. Marks the exit intentional. Idempotent; resolves
   * once the process has exited.
   */
  stop(options?: { force?: boolean }): Promise<void>;

  /** Registers a listener for the process's exit; returns a function that removes it. */
  onExit(listener: (exit: BackendExit) => void): () => void;

  /** The most recent lines of stdout and stderr, oldest first. */
  recentOutput(): readonly string[];
}

/**
 * Starts or attaches backends. `launch` resolves once the backend answers `Health` with
 * `OK`; it rejects with `BackendExitedError` when the process exits first.
 */
export interface BackendLauncher {
  launch(request: LaunchRequest): Promise<BackendProcess>;
}
