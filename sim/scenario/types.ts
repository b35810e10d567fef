/**
 * A scenario after loading: validated against scenarios/scenario.schema.json, every default
 * filled in, every path absolute. The simulator runner reads only this type, never the raw
 * file. Durations are in milliseconds and sizes in bytes; the unit is in each field's name.
 */
export interface Scenario {
  /** Short name, used in report titles and output folder names. */
  readonly name: string;
  readonly description: string;
  /** The run seed. Every random stream derives from it with `createRandom(seed, stream)`. */
  readonly seed: number | string;
  /** Absolute path of the scenario file this was loaded from. */
  readonly sourcePath: string;
  /** `distributed` when the scenario lists nodes, else `local`. */
  readonly mode: 'local' | 'distributed';
  readonly loader: LoaderSettings;
  readonly host: HostSettings;
  readonly models: readonly ScenarioModel[];
  /** Distributed mode only. Empty in local mode. */
  readonly nodes: readonly ScenarioNode[];
  /** Distributed mode only. Local mode fills in the defaults and ignores them. */
  readonly frontends: FrontendSettings;
  readonly workload: ScenarioWorkload;
  /** Sorted by `atMs`; faults at the same time keep their order in the file. */
  readonly faults: readonly ScenarioFault[];
  readonly expect: ScenarioExpectations;
}

/** `ModelLoader` and `WatchDog` settings. A value of 0 turns a limit or watchdog check off. */
export interface LoaderSettings {
  /** Maximum number of resident models, or 0 for no limit. Default 0. */
  readonly lruLimit: number;
  /** Default `lru`. */
  readonly evictionPolicy: 'lru' | 'size-aware';
  /** Default false. */
  readonly forceEvictionWhenBusy: boolean;
  /** Default 30. */
  readonly evictionRetries: number;
  /** Default 1,000 ms. */
  readonly evictionRetryIntervalMs: number;
  /** Idle timeout of the watchdog; 0 = off. Default 900,000 ms (15 min). */
  readonly idleTimeoutMs: number;
  /** Busy timeout of the watchdog; 0 = off. Default 300,000 ms (5 min). */
  readonly busyTimeoutMs: number;
  /** Fraction of GPU memory in use above which the reclaimer evicts; 0 = off. Default 0.8. */
  readonly memoryReclaimerThreshold: number;
  /** Default 500 ms. */
  readonly watchdogIntervalMs: number;
  /** First failure cooldown; it doubles per consecutive failure. Default 10,000 ms. */
  readonly cooldownInitialMs: number;
  /** Default 300,000 ms. */
  readonly cooldownMaxMs: number;
  /** Default 30,000 ms. */
  readonly healthTtlMs: number;
}

/** The single host of local mode, and the defaults for nodes in distributed mode. */
export interface HostSettings {
  /** Default 80 GiB (85,899,345,920 bytes). */
  readonly gpuMemoryBytes: number;
  /** Read speed used to derive a model's load time from its size. Default 2,000,000,000 B/s. */
  readonly diskBandwidthBytesPerSecond: number;
}

/** How long one request occupies a slot of its model's backend. */
export type ServiceTime =
  /** Every request takes the same time, whatever its tokens. */
  | { readonly kind: 'fixed'; readonly serviceMs: number }
  /**
   * outputTokens / tokensPerSecond, plus promptTokens / promptTokensPerSecond when that is
   * set (prefill); otherwise prompt tokens cost nothing.
   */
  | {
      readonly kind: 'tokens';
      readonly tokensPerSecond: number;
      readonly promptTokensPerSecond: number | undefined;
    };

export interface ScenarioModel {
  readonly id: string;
  /** Backend name in the loader's backend catalog. Default `sim`. */
  readonly backend: string;
  /** Model file the backend loads, relative to the models directory. Default `<id>.gguf`. */
  readonly modelFile: string;
  readonly sizeBytes: number;
  /** Given in the file, or startupMs + sizeBytes / diskBandwidthBytesPerSecond. */
  readonly loadMs: number;
  /** True when `loadMs` came from the size and the disk bandwidth. */
  readonly loadMsDerived: boolean;
  readonly service: ServiceTime;
  /** Calls one backend serves at once; 1 = not parallel. Default 1. */
  readonly parallelSlots: number;
  /** Concurrency groups: models sharing one are never resident together on one node. */
  readonly groups: readonly string[];
  readonly pinned: boolean;
  /** Distributed mode. Default 0. */
  readonly minReplicas: number;
  /** Distributed mode. Default 1. */
  readonly maxReplicas: number;
  /** Distributed mode: labels a node must carry to host this model. Default {}. */
  readonly nodeSelector: Readonly<Record<string, string>>;
}

/** A GPU host in distributed mode. */
export interface ScenarioNode {
  readonly id: string;
  /** Default: host.gpuMemoryBytes. */
  readonly gpuMemoryBytes: number;
  /** Default: host.diskBandwidthBytesPerSecond. */
  readonly diskBandwidthBytesPerSecond: number;
  readonly labels: Readonly<Record<string, string>>;
  /** Maximum replicas of one model on this node. Default 1. */
  readonly maxReplicasPerModel: number;
}

export interface FrontendSettings {
  /** Default 1. */
  readonly count: number;
  /** Whether each frontend routes from its own cached replica list. Default false. */
  readonly replicaCache: boolean;
  /** How often a cached replica list is refreshed. Default 5,000 ms. */
  readonly replicaCacheRefreshMs: number;
}

export interface ScenarioWorkload {
  readonly source: TraceSource | GeneratorSource;
  /**
   * Trace time (ms, before speed-up) to start at. Requests before it are dropped and later
   * ones are shifted so that `startMs` becomes time 0. Default 0.
   */
  readonly startMs: number;
  /** Trace time (ms, before speed-up) to stop at, exclusive; undefined = to the end. */
  readonly endMs: number | undefined;
  /** Time is divided by this factor after the window is applied. Default 1. */
  readonly speedUp: number;
  /** Count and skip malformed trace rows instead of failing. Default false. */
  readonly skipBadRows: boolean;
}

export type TraceFormat = 'jsonl' | 'azure-llm-2023' | 'azure-functions-2021';

export interface TraceFile {
  /** Absolute path. */
  readonly path: string;
  /** Model key given to every request of this file (e.g. merged Azure LLM traces). */
  readonly modelKey: string | undefined;
}

/** Column (CSV) or field (JSONL) names of a trace format, after defaults. */
export interface TraceColumns {
  readonly timestamp: string;
  readonly model: string;
  readonly promptTokens: string;
  readonly outputTokens: string;
  readonly app: string;
  readonly func: string;
  readonly endTimestamp: string;
  readonly duration: string;
}

export interface TraceSource {
  readonly kind: 'trace';
  readonly format: TraceFormat;
  /** Several files are merged by time. */
  readonly files: readonly TraceFile[];
  readonly columns: TraceColumns;
  readonly modelMapping: ModelMapping;
  /** Token counts for formats that have none (Azure Functions). */
  readonly promptTokens: TokenDistribution;
  readonly outputTokens: TokenDistribution;
  /**
   * Azure Functions rows are unsorted: rows are sorted within a window of this many rows
   * (memory bound). A row that arrives later than the window allows is a bad row.
   * Default 1,000,000.
   */
  readonly sortWindowRows: number;
}

/**
 * How a trace's requests get scenario model ids. `trace` keeps the trace's own model key,
 * renamed through `rename`. `first-seen` gives each distinct trace key the next scenario
 * model in list order, cycling when the keys outnumber the models. `round-robin` cycles
 * per request. The popularity kinds ignore the trace's key and draw each request's model
 * from the random stream `workload/model-mapping`.
 */
export type ModelMapping =
  | { readonly kind: 'trace'; readonly rename: Readonly<Record<string, string>> }
  | { readonly kind: 'first-seen' }
  | { readonly kind: 'round-robin' }
  | ModelPopularity;

/** A distribution over the scenario's models, in the order they are listed. */
export type ModelPopularity =
  | { readonly kind: 'uniform' }
  /** The i-th listed model (1-based rank i) has weight 1 / i^alpha. */
  | { readonly kind: 'zipf'; readonly alpha: number }
  /** Models left out have weight 0. */
  | { readonly kind: 'weights'; readonly weights: Readonly<Record<string, number>> };

/** Token counts per request; results are rounded to integers and at least `min` (default 1). */
export type TokenDistribution =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'lognormal'; readonly median: number; readonly sigma: number; readonly max: number };

export type ArrivalProcess =
  | { readonly kind: 'poisson'; readonly ratePerSecond: number }
  /** `ratePerSecond` during `onMs`, then `offRatePerSecond` during `offMs`, repeating. */
  | {
      readonly kind: 'bursty';
      readonly ratePerSecond: number;
      readonly offRatePerSecond: number;
      readonly onMs: number;
      readonly offMs: number;
    }
  /**
   * rate(t) = ratePerSecond * (1 + amplitude * sin(2π (t + phaseMs) / periodMs)), so
   * `ratePerSecond` is the mean rate over a whole period.
   */
  | {
      readonly kind: 'diurnal';
      readonly ratePerSecond: number;
      readonly amplitude: number;
      readonly periodMs: number;
      readonly phaseMs: number;
    };

export interface GeneratorSource {
  readonly kind: 'generator';
  readonly arrival: ArrivalProcess;
  /** Length of the generated trace. */
  readonly durationMs: number;
  readonly popularity: ModelPopularity;
  readonly promptTokens: TokenDistribution;
  readonly outputTokens: TokenDistribution;
}

/** A fault injected at a virtual time. `nodeId` picks the node in distributed mode. */
export type ScenarioFault =
  /** The model's backend process exits, as if it crashed. */
  | { readonly kind: 'crash'; readonly atMs: number; readonly modelId: string; readonly nodeId: string | undefined }
  /** The backend stops answering for `durationMs`; calls wait until it resumes or time out. */
  | {
      readonly kind: 'hang';
      readonly atMs: number;
      readonly modelId: string;
      readonly nodeId: string | undefined;
      readonly durationMs: number;
    }
  /** Loads started in [atMs, atMs + durationMs) take `loadTimeFactor` times as long. */
  | {
      readonly kind: 'slow-load';
      readonly atMs: number;
      readonly modelId: string;
      readonly nodeId: string | undefined;
      readonly durationMs: number;
      readonly loadTimeFactor: number;
    }
  /** The next `count` loads of the model after `atMs` fail. */
  | {
      readonly kind: 'fail-load';
      readonly atMs: number;
      readonly modelId: string;
      readonly nodeId: string | undefined;
      readonly count: number;
    }
  /** Calls to the model's backend fail with a connection error for `durationMs`. */
  | {
      readonly kind: 'refuse-connection';
      readonly atMs: number;
      readonly modelId: string;
      readonly nodeId: string | undefined;
      readonly durationMs: number;
    }
  | { readonly kind: 'node-down'; readonly atMs: number; readonly nodeId: string }
  | { readonly kind: 'node-up'; readonly atMs: number; readonly nodeId: string };

export type ScenarioFaultKind = ScenarioFault['kind'];

/** Bounds a CI run checks; an unset bound is not checked. */
export interface ScenarioExpectations {
  readonly maxGroupViolations?: number;
  readonly maxLruOverflows?: number;
  readonly p50LatencyMs?: number;
  readonly p99LatencyMs?: number;
  readonly maxEvictionsPer1000?: number;
  readonly maxColdLoadsPer1000?: number;
  readonly minHitRatio?: number;
  readonly maxColdLoadRatioToOptimum?: number;
  readonly maxFailedRequests?: number;
  readonly maxThrashEvictions?: number;
  readonly maxPeakMemoryBytes?: number;
}

export const EXPECTATION_KEYS = [
  'maxGroupViolations',
  'maxLruOverflows',
  'p50LatencyMs',
  'p99LatencyMs',
  'maxEvictionsPer1000',
  'maxColdLoadsPer1000',
  'minHitRatio',
  'maxColdLoadRatioToOptimum',
  'maxFailedRequests',
  'maxThrashEvictions',
  'maxPeakMemoryBytes',
] as const satisfies readonly (keyof ScenarioExpectations)[];
