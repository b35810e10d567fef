/**
 * The scenario document as written, after it passed the schema: every field optional that
 * the schema leaves optional. `resolveScenario` turns it into a `Scenario`.
 */
export interface RawScenario {
  name: string;
  description?: string;
  seed?: number | string;
  loader?: Partial<Record<RawLoaderKey, number | string | boolean>>;
  host?: { gpuMemoryBytes?: number; diskBandwidthBytesPerSecond?: number };
  models: RawModel[];
  nodes?: RawNode[];
  frontends?: { count?: number; replicaCache?: boolean; replicaCacheRefreshMs?: number };
  workload: RawWorkload;
  faults?: RawFault[];
  expect?: Record<string, number>;
}

export type RawLoaderKey =
  | 'lruLimit'
  | 'evictionPolicy'
  | 'forceEvictionWhenBusy'
  | 'evictionRetries'
  | 'evictionRetryIntervalMs'
  | 'idleTimeoutMs'
  | 'busyTimeoutMs'
  | 'memoryReclaimerThreshold'
  | 'watchdogIntervalMs'
  | 'cooldownInitialMs'
  | 'cooldownMaxMs'
  | 'healthTtlMs';

export interface RawModel {
  id: string;
  backend?: string;
  modelFile?: string;
  sizeBytes: number;
  loadMs?: number;
  startupMs?: number;
  tokensPerSecond?: number;
  promptTokensPerSecond?: number;
  serviceMs?: number;
  parallelSlots?: number;
  groups?: string[];
  pinned?: boolean;
  minReplicas?: number;
  maxReplicas?: number;
  nodeSelector?: Record<string, string>;
}

export interface RawNode {
  id: string;
  gpuMemoryBytes?: number;
  diskBandwidthBytesPerSecond?: number;
  labels?: Record<string, string>;
  maxReplicasPerModel?: number;
}

export type RawTraceFile = string | { path: string; model?: string };

export type RawTokenDistribution =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'lognormal'; median: number; sigma: number; max?: number };

export type RawPopularity =
  | { kind: 'uniform' }
  | { kind: 'zipf'; alpha: number }
  | { kind: 'weights'; weights: Record<string, number> };

export type RawModelMapping =
  | { kind: 'trace'; rename?: Record<string, string> }
  | { kind: 'first-seen' }
  | { kind: 'round-robin' }
  | RawPopularity;

export interface RawTrace {
  format: 'jsonl' | 'azure-llm-2023' | 'azure-functions-2021';
  file?: RawTraceFile;
  files?: RawTraceFile[];
  columns?: Record<string, string>;
  modelMapping?: RawModelMapping;
  promptTokens?: RawTokenDistribution;
  outputTokens?: RawTokenDistribution;
  sortWindowRows?: number;
}

export interface RawGenerator {
  kind: 'poisson' | 'bursty' | 'diurnal';
  ratePerSecond: number;
  durationMs: number;
  offRatePerSecond?: number;
  onMs?: number;
  offMs?: number;
  amplitude?: number;
  periodMs?: number;
  phaseMs?: number;
  popularity?: RawPopularity;
  promptTokens?: RawTokenDistribution;
  outputTokens?: RawTokenDistribution;
}

export interface RawWorkload {
  trace?: RawTrace;
  generator?: RawGenerator;
  startMs?: number;
  endMs?: number;
  speedUp?: number;
  skipBadRows?: boolean;
}

export interface RawFault {
  kind: 'crash' | 'hang' | 'slow-load' | 'fail-load' | 'refuse-connection' | 'node-down' | 'node-up';
  atMs: number;
  modelId?: string;
  nodeId?: string;
  durationMs?: number;
  loadTimeFactor?: number;
  count?: number;
}
