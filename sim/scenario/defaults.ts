import type { FrontendSettings, HostSettings, LoaderSettings, TokenDistribution, TraceColumns, TraceFormat } from './types.js';

/** Loader defaults: those of the loader contract (`ModelLoader` and `WatchDog`). */
export const DEFAULT_LOADER_SETTINGS: LoaderSettings = {
  lruLimit: 0,
  evictionPolicy: 'lru',
  forceEvictionWhenBusy: false,
  evictionRetries: 30,
  evictionRetryIntervalMs: 1_000,
  idleTimeoutMs: 900_000,
  busyTimeoutMs: 300_000,
  memoryReclaimerThreshold: 0.8,
  watchdogIntervalMs: 500,
  cooldownInitialMs: 10_000,
  cooldownMaxMs: 300_000,
  healthTtlMs: 30_000,
};

/**
 * One 80 GiB GPU and a disk that reads 2 GB/s. NOTE: the bandwidth is a round figure for a
 * local NVMe drive, not a measurement; set `host.diskBandwidthBytesPerSecond` or each
 * model's `loadMs` when load times matter.
 */
export const DEFAULT_HOST_SETTINGS: HostSettings = {
  gpuMemoryBytes: 80 * 2 ** 30,
  diskBandwidthBytesPerSecond: 2_000_000_000,
};

export const DEFAULT_FRONTEND_SETTINGS: FrontendSettings = {
  count: 1,
  replicaCache: false,
  replicaCacheRefreshMs: 5_000,
};

export const DEFAULT_MODEL_BACKEND = 'sim';

/** Token counts when a generator or a token-less trace gives none. */
export const DEFAULT_PROMPT_TOKENS: TokenDistribution = { kind: 'constant', value: 512 };
export const DEFAULT_OUTPUT_TOKENS: TokenDistribution = { kind: 'constant', value: 128 };

/** Upper clamp of a lognormal token distribution that sets none. */
export const DEFAULT_LOGNORMAL_MAX_TOKENS = 100_000;

export const DEFAULT_SORT_WINDOW_ROWS = 1_000_000;

export const DEFAULT_DIURNAL = { amplitude: 0.8, periodMs: 86_400_000, phaseMs: 0 } as const;

/** Column names of each trace format as published. */
export const DEFAULT_TRACE_COLUMNS: Readonly<Record<TraceFormat, TraceColumns>> = {
  jsonl: {
    timestamp: 'timeMs',
    model: 'modelId',
    promptTokens: 'promptTokens',
    outputTokens: 'outputTokens',
    app: 'app',
    func: 'func',
    endTimestamp: 'end_timestamp',
    duration: 'duration',
  },
  'azure-llm-2023': {
    timestamp: 'TIMESTAMP',
    model: 'model',
    promptTokens: 'ContextTokens',
    outputTokens: 'GeneratedTokens',
    app: 'app',
    func: 'func',
    endTimestamp: 'end_timestamp',
    duration: 'duration',
  },
  'azure-functions-2021': {
    timestamp: 'timestamp',
    model: 'model',
    promptTokens: 'promptTokens',
    outputTokens: 'outputTokens',
    app: 'app',
    func: 'func',
    endTimestamp: 'end_timestamp',
    duration: 'duration',
  },
};
