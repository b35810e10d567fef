/**
 * Typed errors. Each failure kind is one class with a stable `code` that callers switch on.
 * `name` equals the class name, and the underlying error is kept as `cause`.
 */
export abstract class LoaderLabError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The model is not resident (or, in distributed mode, no node has a replica of it). */
export class ModelNotFoundError extends LoaderLabError {
  readonly code = 'MODEL_NOT_FOUND';
  constructor(readonly modelId: string) {
    super(`model "${modelId}" is not loaded; load it before shutting it down`);
  }
}

/** A graceful shutdown waited for in-flight calls past its deadline. */
export class ModelBusyError extends LoaderLabError {
  readonly code = 'MODEL_BUSY';
  constructor(
    readonly modelId: string,
    readonly inFlight: number,
    readonly waitedMs: number,
  ) {
    super(
      `model "${modelId}" still has ${inFlight} call(s) in flight after ${waitedMs} ms; ` +
        'retry later or shut it down with force',
    );
  }
}

/** Loads of a model that failed recently are rejected until its cooldown window ends. */
export class LoadCooldownError extends LoaderLabError {
  readonly code = 'LOAD_COOLDOWN';
  constructor(
    readonly modelId: string,
    readonly retryAfterMs: number,
    readonly consecutiveFailures: number,
    cause?: unknown,
  ) {
    super(
      `model "${modelId}" failed to load ${consecutiveFailures} time(s) in a row; ` +
        `retry after ${Math.ceil(retryAfterMs)} ms`,
      { cause },
    );
  }
}

/** The request named a backend that is not configured, even after alias resolution. */
export class BackendNotFoundError extends LoaderLabError {
  readonly code = 'BACKEND_NOT_FOUND';
  constructor(
    readonly backend: string,
    readonly known: readonly string[],
  ) {
    super(
      `backend "${backend}" is not configured; known backends: ${known.length ? known.join(', ') : '(none)'}`,
    );
  }
}

/** One backend's failure during automatic backend selection. */
export interface BackendFailure {
  backend: string;
  message: string;
}

/** Automatic selection tried every eligible backend and none loaded the model. */
export class AllBackendsFailedError extends LoaderLabError {
  readonly code = 'ALL_BACKENDS_FAILED';
  constructor(
    readonly modelId: string,
    readonly failures: readonly BackendFailure[],
  ) {
    const detail = failures.length
      ? failures.map((f) => `${f.backend}: ${f.message}`).join('; ')
      : 'no configured backend can serve this model file';
    super(`no backend could load model "${modelId}" (${detail})`);
  }
}

/** A backend started (or was attached) but the model did not load. */
export class LoadFailedError extends LoaderLabError {
  readonly code = 'LOAD_FAILED';
  constructor(
    readonly modelId: string,
    readonly backend: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`backend "${backend}" failed to load model "${modelId}": ${reason}`, options);
  }
}

/** A backend process exited before its first successful health check. */
export class BackendExitedError extends LoaderLabError {
  readonly code = 'BACKEND_EXITED';
  constructor(
    readonly modelId: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly lastStderrLine: string,
  ) {
    const how = exitCode !== null ? `exit code ${exitCode}` : `signal ${signal ?? 'unknown'}`;
    const said = lastStderrLine ? `; last stderr line: ${lastStderrLine}` : '; it wrote nothing to stderr';
    super(`backend for model "${modelId}" exited before it was ready (${how})${said}`);
  }
}

/** The model file resolves to a path outside the models directory. */
export class PathOutsideModelsDirError extends LoaderLabError {
  readonly code = 'PATH_OUTSIDE_MODELS_DIR';
  constructor(
    readonly modelFile: string,
    readonly modelsDir: string,
  ) {
    super(`model file "${modelFile}" resolves outside the models directory "${modelsDir}"; use a path inside it`);
  }
}

/** Kind of backend call failure: a lost connection, a passed deadline, or anything else. */
export type BackendCallFailureKind = 'connection' | 'deadline' | 'other';

/**
 * A call to a backend failed. `kind` separates connection loss (the backend is gone) from a
 * passed deadline (it may only be busy), because only the first makes the loader evict the model.
 */
export class BackendCallError extends LoaderLabError {
  readonly code = 'BACKEND_CALL_FAILED';
  constructor(
    readonly method: string,
    readonly address: string,
    readonly kind: BackendCallFailureKind,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} to backend at ${address} failed (${kind}): ${detail}`, options);
  }
}

/** Distributed mode: every candidate replica or node was busy for the whole retry window. */
export class AllReplicasBusyError extends LoaderLabError {
  readonly code = 'ALL_REPLICAS_BUSY';
  constructor(
    readonly modelId: string,
    readonly attempts: number,
  ) {
    super(`no node can take model "${modelId}": every candidate is busy after ${attempts} attempt(s); retry later or add capacity`);
  }
}

/** Distributed mode: no healthy node matches the model's node selector. */
export class NoMatchingNodeError extends LoaderLabError {
  readonly code = 'NO_MATCHING_NODE';
  constructor(
    readonly modelId: string,
    readonly selector: Readonly<Record<string, string>>,
  ) {
    const labels = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',') || '(none)';
    super(`no healthy node matches node selector ${labels} of model "${modelId}"`);
  }
}

/** The loader was shut down; it accepts no more loads. */
export class LoaderClosedError extends LoaderLabError {
  readonly code = 'LOADER_CLOSED';
  constructor() {
    super('the model loader has been shut down and accepts no more loads');
  }
}

/** An option or configuration value is out of range or of the wrong type. */
export class InvalidOptionError extends LoaderLabError {
  readonly code = 'INVALID_OPTION';
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`option ${option} must be ${expected}, got ${JSON.stringify(actual)}`);
  }
}

/** A backend did not answer `Health` with OK before the readiness timeout. */
export class BackendNotReadyError extends LoaderLabError {
  readonly code = 'BACKEND_NOT_READY';
  constructor(
    readonly modelId: string,
    readonly address: string,
    readonly timeoutMs: number,
    readonly attempts: number,
    readonly lastError: string,
  ) {
    super(
      `backend for model "${modelId}" at ${address} did not answer Health with OK within ${timeoutMs} ms ` +
        `(${attempts} attempt(s); last error: ${lastError}); check that it listens there or raise the readiness timeout`,
    );
  }
}

/** A backend executable could not be started at all. */
export class BackendSpawnError extends LoaderLabError {
  readonly code = 'BACKEND_SPAWN_FAILED';
  constructor(
    readonly modelId: string,
    readonly executable: string,
    options: { cause: Error },
  ) {
    super(
      `could not start backend executable "${executable}" for model "${modelId}": ${options.cause.message}; ` +
        'check the path and that it is executable',
      options,
    );
  }
}
