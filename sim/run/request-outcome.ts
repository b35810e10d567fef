import { BackendCallError, LoaderLabError } from '../../src/errors.js';
import type { RequestFailureReason } from '../metrics/summary.js';

/** A replayed request passed its deadline, counted from its arrival. */
export class RequestTimeoutError extends LoaderLabError {
  readonly code = 'REQUEST_TIMEOUT';
  constructor(
    readonly modelId: string,
    readonly timeoutMs: number,
  ) {
    super(`request for model "${modelId}" did not finish within ${timeoutMs} ms of its arrival`);
  }
}

/** Error codes a load can fail with, apart from the cooldown. */
const LOAD_FAILURE_CODES = new Set([
  'LOAD_FAILED',
  'ALL_BACKENDS_FAILED',
  'BACKEND_EXITED',
  'BACKEND_NOT_FOUND',
  'PATH_OUTSIDE_MODELS_DIR',
  'SIM_MODEL_UNKNOWN',
]);

/** Error codes of a loader or cluster that had no capacity free. */
const BUSY_CODES = new Set(['ALL_REPLICAS_BUSY', 'MODEL_BUSY', 'NO_MATCHING_NODE', 'NO_CAPACITY', 'REPLICA_WAIT_TIMEOUT']);

/**
 * Maps the error a request failed with to its failure reason. Returns undefined for an
 * error no loader or backend should raise, which the runner treats as a bug and rethrows
 * rather than hide in a count.
 */
export function classifyFailure(error: unknown): RequestFailureReason | undefined {
  if (error instanceof RequestTimeoutError) return 'timeout';
  if (error instanceof BackendCallError) return error.kind === 'deadline' ? 'timeout' : 'backend-error';
  if (!(error instanceof LoaderLabError)) return undefined;
  if (error.code === 'LOAD_COOLDOWN') return 'cooldown';
  if (BUSY_CODES.has(error.code)) return 'all-busy';
  if (LOAD_FAILURE_CODES.has(error.code)) return 'load-failed';
  // The loader shut down under the request, or a backend reported its own failure.
  return 'backend-error';
}
