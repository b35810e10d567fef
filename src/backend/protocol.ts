/**
 * Messages of the backend gRPC protocol (`proto/backend.proto`, package `backend`). Field
 * names keep the proto's own spelling because the gRPC client loads the proto with
 * `keepCase`, so these objects go on the wire as they are.
 */

/** Options of `LoadModel`. */
export interface ModelOptions {
  Model?: string;
  ContextSize?: number;
  Seed?: number;
  NBatch?: number;
  Embeddings?: boolean;
  NGPULayers?: number;
  Threads?: number;
  ModelFile?: string;
  Type?: string;
  ModelPath?: string;
  /** Free-form `key:value` backend options. */
  Options?: string[];
}

/** Options of `Predict`, `PredictStream` and `Embedding`. */
export interface PredictOptions {
  Prompt?: string;
  Seed?: number;
  /** The most tokens to generate. */
  Tokens?: number;
  Temperature?: number;
  TopP?: number;
  Embeddings?: string;
  CorrelationId?: string;
}

export interface Reply {
  message: Uint8Array;
  tokens: number;
  prompt_tokens: number;
  /** Seconds spent on the prompt, as the backend measured it. */
  timing_prompt_processing: number;
  /** Seconds spent generating tokens, as the backend measured it. */
  timing_token_generation: number;
}

/** Outcome of `LoadModel` and `Free`. */
export interface Result {
  message: string;
  success: boolean;
}

export interface EmbeddingResult {
  embeddings: number[];
}

export type BackendState = 'UNINITIALIZED' | 'BUSY' | 'READY' | 'ERROR';

export interface MemoryUsageData {
  total: number;
  breakdown: Record<string, number>;
}

export interface StatusResponse {
  state: BackendState;
  memory?: MemoryUsageData;
}
