import type {
  EmbeddingResult,
  ModelOptions,
  PredictOptions,
  Reply,
  Result,
  StatusResponse,
} from './protocol.js';

/** Per-call settings. */
export interface CallOptions {
  /** Deadline of the call in milliseconds from now; each implementation has a default. */
  deadlineMs?: number;
  /** Cancels the call; the call then rejects. */
  signal?: AbortSignal;
}

/**
 * A connection to one backend, for its whole lifetime. Methods reject with
 * `BackendCallError`, whose `kind` tells connection loss from a passed deadline.
 */
export interface BackendClient {
  /** `host:port` of the backend, or a simulator's name for it. */
  readonly address: string;

  /** Returns true when the backend answers `Health` with `OK`. */
  health(options?: CallOptions): Promise<boolean>;
  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result>;
  predict(request: PredictOptions, options?: CallOptions): Promise<Reply>;
  /** Calls `onReply` for each streamed reply; resolves when the stream ends. */
  predictStream(
    request: PredictOptions,
    onReply: (reply: Reply) => void,
    options?: CallOptions,
  ): Promise<void>;
  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult>;
  /** Asks the backend to release the model. A backend without `Free` counts as success. */
  free(options?: CallOptions): Promise<void>;
  status(options?: CallOptions): Promise<StatusResponse>;
  /** Closes the channel. Idempotent. */
  close(): void;
}

/** The inference methods, which the watchdog tracks as in-flight calls. */
export const INFERENCE_METHODS = ['predict', 'predictStream', 'embedding'] as const;
export type InferenceMethod = (typeof INFERENCE_METHODS)[number];
