import path from 'node:path';
import {
  DEFAULT_DIURNAL,
  DEFAULT_FRONTEND_SETTINGS,
  DEFAULT_HOST_SETTINGS,
  DEFAULT_LOADER_SETTINGS,
  DEFAULT_LOGNORMAL_MAX_TOKENS,
  DEFAULT_MODEL_BACKEND,
  DEFAULT_OUTPUT_TOKENS,
  DEFAULT_PROMPT_TOKENS,
  DEFAULT_SORT_WINDOW_ROWS,
  DEFAULT_TRACE_COLUMNS,
} from './defaults.js';
import type { FieldPath } from './field-path.js';
import type {
  RawFault,
  RawGenerator,
  RawModel,
  RawModelMapping,
  RawNode,
  RawPopularity,
  RawScenario,
  RawTokenDistribution,
  RawTrace,
  RawTraceFile,
  RawWorkload,
} from './raw-scenario.js';
import type {
  ArrivalProcess,
  GeneratorSource,
  HostSettings,
  LoaderSettings,
  ModelMapping,
  ModelPopularity,
  Scenario,
  ScenarioExpectations,
  ScenarioFault,
  ScenarioModel,
  ScenarioNode,
  ScenarioWorkload,
  TokenDistribution,
  TraceColumns,
  TraceFile,
  TraceSource,
} from './types.js';

/** A problem found while resolving, with its path as segments. */
export interface ResolveIssue {
  path: FieldPath;
  message: string;
}

export type ResolveResult = { kind: 'resolved'; scenario: Scenario } | { kind: 'invalid'; issues: ResolveIssue[] };

/**
 * Fills in defaults and checks what the schema cannot: unique ids, references between
 * models, nodes, weights and faults, ranges between two fields, and that exactly one of
 * each pair of alternatives is given. Relative trace paths are resolved against the folder
 * of `sourcePath`. Whether trace files exist is checked by `loadScenario`, which does I/O.
 */
export function resolveScenario(raw: RawScenario, sourcePath: string): ResolveResult {
  const issues: ResolveIssue[] = [];
  const report = (at: FieldPath, message: string): void => {
    issues.push({ path: at, message });
  };
  const baseDir = path.dirname(sourcePath);

  const loader = resolveLoader(raw, report);
  const host: HostSettings = {
    gpuMemoryBytes: raw.host?.gpuMemoryBytes ?? DEFAULT_HOST_SETTINGS.gpuMemoryBytes,
    diskBandwidthBytesPerSecond: raw.host?.diskBandwidthBytesPerSecond ?? DEFAULT_HOST_SETTINGS.diskBandwidthBytesPerSecond,
  };
  const nodes = resolveNodes(raw.nodes ?? [], host, report);
  const models = resolveModels(raw.models, host, nodes, report);
  const modelIds = new Set(models.map((model) => model.id));
  const workload = resolveWorkload(raw.workload, modelIds, baseDir, report);
  const faults = resolveFaults(raw.faults ?? [], modelIds, nodes, report);

  if (issues.length > 0) {
    return { kind: 'invalid', issues };
  }
  const scenario: Scenario = {
    name: raw.name,
    description: raw.description ?? '',
    seed: raw.seed ?? 1,
    sourcePath,
    mode: nodes.length > 0 ? 'distributed' : 'local',
    loader,
    host,
    models,
    nodes,
    frontends: {
      count: raw.frontends?.count ?? DEFAULT_FRONTEND_SETTINGS.count,
      replicaCache: raw.frontends?.replicaCache ?? DEFAULT_FRONTEND_SETTINGS.replicaCache,
      replicaCacheRefreshMs: raw.frontends?.replicaCacheRefreshMs ?? DEFAULT_FRONTEND_SETTINGS.replicaCacheRefreshMs,
    },
    workload: workload!,
    faults,
    expect: { ...(raw.expect ?? {}) } as ScenarioExpectations,
  };
  return { kind: 'resolved', scenario };
}

type Report = (at: FieldPath, message: string) => void;

function resolveLoader(raw: RawScenario, report: Report): LoaderSettings {
  const given = (raw.loader ?? {}) as Partial<LoaderSettings>;
  const loader: LoaderSettings = { ...DEFAULT_LOADER_SETTINGS };
  for (const key of Object.keys(DEFAULT_LOADER_SETTINGS) as (keyof LoaderSettings)[]) {
    if (given[key] !== undefined) {
      (loader as unknown as Record<string, unknown>)[key] = given[key];
    }
  }
  if (loader.cooldownInitialMs > loader.cooldownMaxMs) {
    report(['loader', 'cooldownInitialMs'], `must be at most loader.cooldownMaxMs (${loader.cooldownMaxMs}), got ${loader.cooldownInitialMs}`);
  }
  return loader;
}

function resolveNodes(raw: readonly RawNode[], host: HostSettings, report: Report): ScenarioNode[] {
  const firstIndex = new Map<string, number>();
  return raw.map((node, index) => {
    const earlier = firstIndex.get(node.id);
    if (earlier !== undefined) {
      report(['nodes', index, 'id'], `duplicate node id ${JSON.stringify(node.id)} (also nodes[${earlier}]); node ids must be unique`);
    } else {
      firstIndex.set(node.id, index);
    }
    return {
      id: node.id,
      gpuMemoryBytes: node.gpuMemoryBytes ?? host.gpuMemoryBytes,
      diskBandwidthBytesPerSecond: node.diskBandwidthBytesPerSecond ?? host.diskBandwidthBytesPerSecond,
      labels: { ...(node.labels ?? {}) },
      maxReplicasPerModel: node.maxReplicasPerModel ?? 1,
    };
  });
}

function resolveModels(raw: readonly RawModel[], host: HostSettings, nodes: readonly ScenarioNode[], report: Report): ScenarioModel[] {
  const firstIndex = new Map<string, number>();
  return raw.map((model, index) => {
    const at = (field: string): FieldPath => ['models', index, field];
    const earlier = firstIndex.get(model.id);
    if (earlier !== undefined) {
      report(at('id'), `duplicate model id ${JSON.stringify(model.id)} (also models[${earlier}]); model ids must be unique`);
    } else {
      firstIndex.set(model.id, index);
    }

    if (model.tokensPerSecond !== undefined && model.serviceMs !== undefined) {
      report(at('serviceMs'), 'set either tokensPerSecond or serviceMs, not both');
    } else if (model.tokensPerSecond === undefined && model.serviceMs === undefined) {
      report(at('tokensPerSecond'), 'is required unless serviceMs is set (the time a request takes)');
    }
    if (model.promptTokensPerSecond !== undefined && model.serviceMs !== undefined) {
      report(at('promptTokensPerSecond'), 'applies only with tokensPerSecond; remove it or remove serviceMs');
    }
    if (model.loadMs !== undefined && model.startupMs !== undefined) {
      report(at('startupMs'), 'applies only when loadMs is derived from the size; remove startupMs or loadMs');
    }
    const minReplicas = model.minReplicas ?? 0;
    const maxReplicas = model.maxReplicas ?? 1;
    if (minReplicas > maxReplicas) {
      report(at('minReplicas'), `must be at most maxReplicas (${maxReplicas}), got ${minReplicas}`);
    }
    const nodeSelector = { ...(model.nodeSelector ?? {}) };
    checkPlacement(model, nodeSelector, host, nodes, index, report);

    const derivedLoadMs = (model.startupMs ?? 0) + (model.sizeBytes / host.diskBandwidthBytesPerSecond) * 1000;
    return {
      id: model.id,
      backend: model.backend ?? DEFAULT_MODEL_BACKEND,
      modelFile: model.modelFile ?? `${model.id}.gguf`,
      sizeBytes: model.sizeBytes,
      loadMs: model.loadMs ?? derivedLoadMs,
      loadMsDerived: model.loadMs === undefined,
      service:
        model.serviceMs !== undefined
          ? { kind: 'fixed', serviceMs: model.serviceMs }
          : { kind: 'tokens', tokensPerSecond: model.tokensPerSecond ?? 1, promptTokensPerSecond: model.promptTokensPerSecond },
      parallelSlots: model.parallelSlots ?? 1,
      groups: [...(model.groups ?? [])],
      pinned: model.pinned ?? false,
      minReplicas,
      maxReplicas,
      nodeSelector,
    };
  });
}

/** Checks that the model fits in GPU memory somewhere it may run. */
function checkPlacement(
  model: RawModel,
  nodeSelector: Record<string, string>,
  host: HostSettings,
  nodes: readonly ScenarioNode[],
  index: number,
  report: Report,
): void {
  if (nodes.length === 0) {
    if (model.sizeBytes > host.gpuMemoryBytes) {
      report(['models', index, 'sizeBytes'], `is larger than host.gpuMemoryBytes (${host.gpuMemoryBytes}), got ${model.sizeBytes}; the model could never load`);
    }
    return;
  }
  const matching = nodes.filter((node) => Object.entries(nodeSelector).every(([key, value]) => node.labels[key] === value));
  if (matching.length === 0) {
    const selector = Object.entries(nodeSelector).map(([key, value]) => `${key}=${value}`).join(',');
    report(['models', index, 'nodeSelector'], `no node has the labels ${selector}; add them to a node or change the selector`);
  } else if (matching.every((node) => model.sizeBytes > node.gpuMemoryBytes)) {
    report(['models', index, 'sizeBytes'], `is larger than the GPU memory of every node it may run on, got ${model.sizeBytes}; the model could never load`);
  }
}

function resolveWorkload(raw: RawWorkload, modelIds: ReadonlySet<string>, baseDir: string, report: Report): ScenarioWorkload | undefined {
  if (raw.trace !== undefined && raw.generator !== undefined) {
    report(['workload'], 'set either trace or generator, not both');
    return undefined;
  }
  let source: TraceSource | GeneratorSource | undefined;
  if (raw.trace !== undefined) {
    source = resolveTrace(raw.trace, modelIds, baseDir, report);
  } else if (raw.generator !== undefined) {
    source = resolveGenerator(raw.generator, modelIds, report);
  } else {
    report(['workload', 'trace'], 'is required unless workload.generator is set (where requests come from)');
  }
  const startMs = raw.startMs ?? 0;
  if (raw.endMs !== undefined && raw.endMs <= startMs) {
    report(['workload', 'endMs'], `must be greater than workload.startMs (${startMs}), got ${raw.endMs}`);
  }
  if (source === undefined) {
    return undefined;
  }
  return { source, startMs, endMs: raw.endMs, speedUp: raw.speedUp ?? 1, skipBadRows: raw.skipBadRows ?? false };
}

function resolveTrace(raw: RawTrace, modelIds: ReadonlySet<string>, baseDir: string, report: Report): TraceSource | undefined {
  const at: FieldPath = ['workload', 'trace'];
  if (raw.file !== undefined && raw.files !== undefined) {
    report([...at, 'files'], 'set either file or files, not both');
    return undefined;
  }
  let entries: { entry: RawTraceFile; path: FieldPath }[];
  if (raw.file !== undefined) {
    entries = [{ entry: raw.file, path: [...at, 'file'] }];
  } else if (raw.files !== undefined) {
    entries = raw.files.map((entry, index) => ({ entry, path: [...at, 'files', index] }));
  } else {
    report([...at, 'file'], 'is required unless files is set (the trace to replay)');
    return undefined;
  }
  const files: TraceFile[] = entries.map(({ entry }) => {
    const given = typeof entry === 'string' ? { path: entry } : entry;
    return { path: path.resolve(baseDir, given.path), modelKey: given.model };
  });

  const modelMapping = resolveModelMapping(raw, files, entries.map((entry) => entry.path), modelIds, report);
  const columns: TraceColumns = { ...DEFAULT_TRACE_COLUMNS[raw.format], ...(raw.columns ?? {}) };
  return {
    kind: 'trace',
    format: raw.format,
    files,
    columns,
    modelMapping,
    promptTokens: resolveTokens(raw.promptTokens, DEFAULT_PROMPT_TOKENS, [...at, 'promptTokens'], report),
    outputTokens: resolveTokens(raw.outputTokens, DEFAULT_OUTPUT_TOKENS, [...at, 'outputTokens'], report),
    sortWindowRows: raw.sortWindowRows ?? DEFAULT_SORT_WINDOW_ROWS,
  };
}

/**
 * Picks the default mapping of a format when none is given. JSONL rows carry model ids and
 * named Azure LLM files carry one model per file, so both keep the trace's key. Unnamed
 * Azure LLM files get Zipf(1) over the scenario's models. Azure Functions pairs get
 * scenario models in order of first arrival.
 */
function resolveModelMapping(
  raw: RawTrace,
  files: readonly TraceFile[],
  filePaths: readonly FieldPath[],
  modelIds: ReadonlySet<string>,
  report: Report,
): ModelMapping {
  const at: FieldPath = ['workload', 'trace', 'modelMapping'];
  const everyFileNamed = files.every((file) => file.modelKey !== undefined);
  const mapping: RawModelMapping = raw.modelMapping ?? defaultModelMapping(raw.format, everyFileNamed);

  if (mapping.kind === 'trace') {
    const rename = { ...(mapping.rename ?? {}) };
    for (const [key, target] of Object.entries(rename)) {
      if (!modelIds.has(target)) {
        report([...at, 'rename', key], `names model ${JSON.stringify(target)}, which is not in models; known: ${[...modelIds].join(', ')}`);
      }
    }
    if (raw.format === 'azure-llm-2023') {
      files.forEach((file, index) => {
        if (file.modelKey === undefined) {
          report([...filePaths[index]!, 'model'], 'is required with modelMapping trace, because Azure LLM files have no model column');
        }
      });
    }
    files.forEach((file, index) => {
      const key = file.modelKey;
      if (key !== undefined && !modelIds.has(rename[key] ?? key)) {
        report([...filePaths[index]!, 'model'], `names model ${JSON.stringify(key)}, which is not in models; add it there or map it with modelMapping.rename`);
      }
    });
    return { kind: 'trace', rename };
  }
  if (mapping.kind === 'first-seen' || mapping.kind === 'round-robin') {
    return { kind: mapping.kind };
  }
  return resolvePopularity(mapping, modelIds, at, report);
}

function defaultModelMapping(format: RawTrace['format'], everyFileNamed: boolean): RawModelMapping {
  switch (format) {
    case 'jsonl':
      return { kind: 'trace' };
    case 'azure-llm-2023':
      return everyFileNamed ? { kind: 'trace' } : { kind: 'zipf', alpha: 1 };
    case 'azure-functions-2021':
      return { kind: 'first-seen' };
  }
}

function resolvePopularity(raw: RawPopularity, modelIds: ReadonlySet<string>, at: FieldPath, report: Report): ModelPopularity {
  if (raw.kind !== 'weights') {
    return raw.kind === 'zipf' ? { kind: 'zipf', alpha: raw.alpha } : { kind: 'uniform' };
  }
  let total = 0;
  for (const [modelId, weight] of Object.entries(raw.weights)) {
    if (!modelIds.has(modelId)) {
      report([...at, 'weights', modelId], `is not a model of this scenario; known: ${[...modelIds].join(', ')}`);
    }
    total += weight;
  }
  if (total <= 0) {
    report([...at, 'weights'], 'must give at least one model a weight above 0');
  }
  return { kind: 'weights', weights: { ...raw.weights } };
}

function resolveTokens(
  raw: RawTokenDistribution | undefined,
  fallback: TokenDistribution,
  at: FieldPath,
  report: Report,
): TokenDistribution {
  if (raw === undefined) {
    return fallback;
  }
  switch (raw.kind) {
    case 'constant':
      return { kind: 'constant', value: raw.value };
    case 'uniform':
      if (raw.min > raw.max) {
        report([...at, 'min'], `must be at most max (${raw.max}), got ${raw.min}`);
      }
      return { kind: 'uniform', min: raw.min, max: raw.max };
    case 'lognormal': {
      const max = raw.max ?? DEFAULT_LOGNORMAL_MAX_TOKENS;
      if (max < raw.median) {
        report([...at, 'max'], `must be at least median (${raw.median}), got ${max}`);
      }
      return { kind: 'lognormal', median: raw.median, sigma: raw.sigma, max };
    }
  }
}

function resolveGenerator(raw: RawGenerator, modelIds: ReadonlySet<string>, report: Report): GeneratorSource {
  const at: FieldPath = ['workload', 'generator'];
  let arrival: ArrivalProcess;
  switch (raw.kind) {
    case 'poisson':
      arrival = { kind: 'poisson', ratePerSecond: raw.ratePerSecond };
      break;
    case 'bursty':
      arrival = {
        kind: 'bursty',
        ratePerSecond: raw.ratePerSecond,
        offRatePerSecond: raw.offRatePerSecond ?? 0,
        onMs: raw.onMs ?? 0,
        offMs: raw.offMs ?? 0,
      };
      break;
    case 'diurnal':
      arrival = {
        kind: 'diurnal',
        ratePerSecond: raw.ratePerSecond,
        amplitude: raw.amplitude ?? DEFAULT_DIURNAL.amplitude,
        periodMs: raw.periodMs ?? DEFAULT_DIURNAL.periodMs,
        phaseMs: raw.phaseMs ?? DEFAULT_DIURNAL.phaseMs,
      };
      break;
  }
  return {
    kind: 'generator',
    arrival,
    durationMs: raw.durationMs,
    popularity: resolvePopularity(raw.popularity ?? { kind: 'uniform' }, modelIds, [...at, 'popularity'], report),
    promptTokens: resolveTokens(raw.promptTokens, DEFAULT_PROMPT_TOKENS, [...at, 'promptTokens'], report),
    outputTokens: resolveTokens(raw.outputTokens, DEFAULT_OUTPUT_TOKENS, [...at, 'outputTokens'], report),
  };
}

function resolveFaults(raw: readonly RawFault[], modelIds: ReadonlySet<string>, nodes: readonly ScenarioNode[], report: Report): ScenarioFault[] {
  const nodeIds = new Set(nodes.map((node) => node.id));
  const faults = raw.map((fault, index) => {
    const at = (field: string): FieldPath => ['faults', index, field];
    if (fault.modelId !== undefined && !modelIds.has(fault.modelId)) {
      report(at('modelId'), `names model ${JSON.stringify(fault.modelId)}, which is not in models; known: ${[...modelIds].join(', ')}`);
    }
    if (fault.nodeId !== undefined) {
      if (nodes.length === 0) {
        report(at('nodeId'), 'applies only in distributed mode; list the nodes under nodes or remove nodeId');
      } else if (!nodeIds.has(fault.nodeId)) {
        report(at('nodeId'), `names node ${JSON.stringify(fault.nodeId)}, which is not in nodes; known: ${[...nodeIds].join(', ')}`);
      }
    }
    return toFault(fault);
  });
  // A stable sort keeps faults of the same time in file order, which the runner relies on.
  return faults.sort((a, b) => a.atMs - b.atMs);
}

function toFault(fault: RawFault): ScenarioFault {
  const modelId = fault.modelId ?? '';
  const nodeId = fault.nodeId;
  switch (fault.kind) {
    case 'crash':
      return { kind: 'crash', atMs: fault.atMs, modelId, nodeId };
    case 'hang':
      return { kind: 'hang', atMs: fault.atMs, modelId, nodeId, durationMs: fault.durationMs ?? 0 };
    case 'slow-load':
      return { kind: 'slow-load', atMs: fault.atMs, modelId, nodeId, durationMs: fault.durationMs ?? 0, loadTimeFactor: fault.loadTimeFactor ?? 1 };
    case 'fail-load':
      return { kind: 'fail-load', atMs: fault.atMs, modelId, nodeId, count: fault.count ?? 1 };
    case 'refuse-connection':
      return { kind: 'refuse-connection', atMs: fault.atMs, modelId, nodeId, durationMs: fault.durationMs ?? 0 };
    case 'node-down':
    case 'node-up':
      return { kind: fault.kind, atMs: fault.atMs, nodeId: nodeId ?? '' };
  }
}
