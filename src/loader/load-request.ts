/** A request to make a model resident and get a client for it. */
export interface LoadRequest {
  /** The logical model name requests ask for, e.g. `llama-8b`. */
  modelId: string;
  /** File the backend loads, relative to the models directory (or inside it). */
  modelFile: string;
  /** Backend name or alias; when absent the loader tries each eligible backend in order. */
  backend?: string;
  /** Free-form `key:value` options passed to `LoadModel` as `Options`. */
  options?: readonly string[];
  /** Whether the backend serves concurrent calls. Default true. */
  parallel?: boolean;
  /** Model size in bytes, when known, for size-aware eviction and placement. */
  sizeBytes?: number;
  /** Concurrency groups: no two models sharing one are resident together. */
  groups?: readonly string[];
  /** Pinned models are never evicted automatically. */
  pinned?: boolean;
  /** Extra `ModelOptions` fields (context size, GPU layers, ...). */
  contextSize?: number;
  gpuLayers?: number;
  threads?: number;
}
