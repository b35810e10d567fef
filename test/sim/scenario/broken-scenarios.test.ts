import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { InvalidScenarioError } from '../../../sim/scenario/errors.js';
import { parseScenario } from '../../../sim/scenario/load-scenario.js';

type Document = Record<string, any>;

/** A valid generator scenario; each case below breaks one thing in a copy of it. */
function validScenario(): Document {
  return {
    name: 'catalogue',
    seed: 3,
    loader: { lruLimit: 2 },
    models: [
      { id: 'small', sizeBytes: 4_000_000_000, tokensPerSecond: 80 },
      { id: 'large', sizeBytes: 40_000_000_000, tokensPerSecond: 20, groups: ['big'] },
    ],
    workload: {
      generator: { kind: 'poisson', ratePerSecond: 2, durationMs: 60_000, popularity: { kind: 'zipf', alpha: 1 } },
    },
  };
}

function distributed(document: Document): Document {
  document.nodes = [
    { id: 'n1', labels: { gpu: 'h100' } },
    { id: 'n2', labels: { gpu: 'a100' } },
  ];
  return document;
}

interface BrokenCase {
  name: string;
  breakIt: (document: Document) => void;
  path: string;
  message: RegExp;
}

const cases: BrokenCase[] = [
  { name: 'missing name', breakIt: (d) => delete d.name, path: 'name', message: /is required/ },
  { name: 'empty models', breakIt: (d) => (d.models = []), path: 'models', message: /at least 1/ },
  { name: 'size as text', breakIt: (d) => (d.models[1].sizeBytes = 'big'), path: 'models[1].sizeBytes', message: /must be an integer, got "big"/ },
  { name: 'size zero', breakIt: (d) => (d.models[0].sizeBytes = 0), path: 'models[0].sizeBytes', message: /must be >= 1, got 0/ },
  { name: 'misspelt field', breakIt: (d) => (d.models[0].sizeByte = 5), path: 'models[0].sizeByte', message: /did you mean "sizeBytes"/ },
  { name: 'unknown policy', breakIt: (d) => (d.loader.evictionPolicy = 'fifo'), path: 'loader.evictionPolicy', message: /one of "lru", "size-aware", got "fifo"/ },
  { name: 'negative LRU limit', breakIt: (d) => (d.loader.lruLimit = -1), path: 'loader.lruLimit', message: />= 0/ },
  { name: 'threshold above 1', breakIt: (d) => (d.loader.memoryReclaimerThreshold = 1.5), path: 'loader.memoryReclaimerThreshold', message: /<= 1, got 1.5/ },
  {
    name: 'cooldown start above max',
    breakIt: (d) => Object.assign(d.loader, { cooldownInitialMs: 20_000, cooldownMaxMs: 10_000 }),
    path: 'loader.cooldownInitialMs',
    message: /at most loader.cooldownMaxMs/,
  },
  { name: 'seed as boolean', breakIt: (d) => (d.seed = true), path: 'seed', message: /an integer or a string/ },
  {
    name: 'duplicate model id',
    breakIt: (d) => d.models.push({ id: 'small', sizeBytes: 1, serviceMs: 1 }),
    path: 'models[2].id',
    message: /duplicate model id "small" \(also models\[0\]\)/,
  },
  { name: 'both service times', breakIt: (d) => (d.models[0].serviceMs = 10), path: 'models[0].serviceMs', message: /either tokensPerSecond or serviceMs/ },
  { name: 'no service time', breakIt: (d) => delete d.models[0].tokensPerSecond, path: 'models[0].tokensPerSecond', message: /required unless serviceMs/ },
  {
    name: 'min above max replicas',
    breakIt: (d) => Object.assign(d.models[0], { minReplicas: 3, maxReplicas: 2 }),
    path: 'models[0].minReplicas',
    message: /at most maxReplicas \(2\)/,
  },
  { name: 'repeated group', breakIt: (d) => (d.models[1].groups = ['big', 'big']), path: 'models[1].groups', message: /must not repeat/ },
  { name: 'model larger than GPU', breakIt: (d) => (d.host = { gpuMemoryBytes: 1_000_000_000 }), path: 'models[0].sizeBytes', message: /larger than host.gpuMemoryBytes/ },
  { name: 'unknown generator', breakIt: (d) => (d.workload.generator.kind = 'poison'), path: 'workload.generator.kind', message: /"poisson", "bursty", "diurnal", got "poison"/ },
  { name: 'generator without rate', breakIt: (d) => delete d.workload.generator.ratePerSecond, path: 'workload.generator.ratePerSecond', message: /is required/ },
  { name: 'bursty without on time', breakIt: (d) => Object.assign(d.workload.generator, { kind: 'bursty', offMs: 10 }), path: 'workload.generator.onMs', message: /is required/ },
  { name: 'zipf without alpha', breakIt: (d) => delete d.workload.generator.popularity.alpha, path: 'workload.generator.popularity.alpha', message: /is required/ },
  {
    name: 'weight of unknown model',
    breakIt: (d) => (d.workload.generator.popularity = { kind: 'weights', weights: { small: 1, ghost: 2 } }),
    path: 'workload.generator.popularity.weights.ghost',
    message: /not a model of this scenario/,
  },
  {
    name: 'all weights zero',
    breakIt: (d) => (d.workload.generator.popularity = { kind: 'weights', weights: { small: 0 } }),
    path: 'workload.generator.popularity.weights',
    message: /at least one model a weight above 0/,
  },
  {
    name: 'uniform tokens reversed',
    breakIt: (d) => (d.workload.generator.promptTokens = { kind: 'uniform', min: 10, max: 5 }),
    path: 'workload.generator.promptTokens.min',
    message: /at most max \(5\)/,
  },
  { name: 'speed-up zero', breakIt: (d) => (d.workload.speedUp = 0), path: 'workload.speedUp', message: /> 0, got 0/ },
  { name: 'window end before start', breakIt: (d) => Object.assign(d.workload, { startMs: 500, endMs: 100 }), path: 'workload.endMs', message: /greater than workload.startMs/ },
  {
    name: 'trace and generator',
    breakIt: (d) => (d.workload.trace = { format: 'jsonl', file: 'x.jsonl' }),
    path: 'workload',
    message: /either trace or generator/,
  },
  { name: 'no requests source', breakIt: (d) => delete d.workload.generator, path: 'workload.trace', message: /required unless workload.generator/ },
  {
    name: 'unknown trace format',
    breakIt: (d) => (d.workload = { trace: { format: 'csv', file: 'x.csv' } }),
    path: 'workload.trace.format',
    message: /"jsonl", "azure-llm-2023", "azure-functions-2021"/,
  },
  {
    name: 'trace file as number',
    breakIt: (d) => (d.workload = { trace: { format: 'jsonl', file: 42 } }),
    path: 'workload.trace.file',
    message: /a string or an object with path/,
  },
  {
    name: 'unnamed LLM file under trace mapping',
    breakIt: (d) => (d.workload = { trace: { format: 'azure-llm-2023', files: ['a.csv'], modelMapping: { kind: 'trace' } } }),
    path: 'workload.trace.files[0].model',
    message: /required with modelMapping trace/,
  },
  {
    name: 'rename to unknown model',
    breakIt: (d) => (d.workload = { trace: { format: 'jsonl', file: 'a.jsonl', modelMapping: { kind: 'trace', rename: { x: 'ghost' } } } }),
    path: 'workload.trace.modelMapping.rename.x',
    message: /names model "ghost"/,
  },
  { name: 'fault on unknown model', breakIt: (d) => (d.faults = [{ kind: 'crash', atMs: 5, modelId: 'ghost' }]), path: 'faults[0].modelId', message: /names model "ghost"/ },
  { name: 'hang without duration', breakIt: (d) => (d.faults = [{ kind: 'hang', atMs: 5, modelId: 'small' }]), path: 'faults[0].durationMs', message: /is required/ },
  { name: 'unknown fault kind', breakIt: (d) => (d.faults = [{ kind: 'explode', atMs: 5 }]), path: 'faults[0].kind', message: /"crash", "hang"/ },
  { name: 'node fault in local mode', breakIt: (d) => (d.faults = [{ kind: 'node-down', atMs: 5, nodeId: 'n1' }]), path: 'faults[0].nodeId', message: /only in distributed mode/ },
  {
    name: 'fault on unknown node',
    breakIt: (d) => (distributed(d).faults = [{ kind: 'node-down', atMs: 5, nodeId: 'n9' }]),
    path: 'faults[0].nodeId',
    message: /names node "n9"/,
  },
  { name: 'duplicate node id', breakIt: (d) => (distributed(d).nodes[1].id = 'n1'), path: 'nodes[1].id', message: /duplicate node id "n1"/ },
  {
    name: 'selector matching no node',
    breakIt: (d) => (distributed(d).models[0].nodeSelector = { gpu: 'b200' }),
    path: 'models[0].nodeSelector',
    message: /no node has the labels gpu=b200/,
  },
  { name: 'hit ratio above 1', breakIt: (d) => (d.expect = { minHitRatio: 2 }), path: 'expect.minHitRatio', message: /<= 1, got 2/ },
  { name: 'unknown expectation', breakIt: (d) => (d.expect = { p99LatencyMS: 5 }), path: 'expect.p99LatencyMS', message: /did you mean "p99LatencyMs"/ },
];

describe('broken scenario catalogue', () => {
  it('has at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  it('accepts the unbroken scenario', () => {
    expect(() => parseScenario(stringify(validScenario()), '/scenarios/catalogue.yaml')).not.toThrow();
  });

  it.each(cases)('rejects $name at $path', ({ breakIt, path, message }) => {
    const document = validScenario();
    breakIt(document);
    const error = captureError(() => parseScenario(stringify(document), '/scenarios/catalogue.yaml'));

    expect(error).toBeInstanceOf(InvalidScenarioError);
    const invalid = error as InvalidScenarioError;
    expect(invalid.code).toBe('INVALID_SCENARIO');
    const issue = invalid.issues.find((candidate) => candidate.path === path);
    expect(issue, `issues: ${JSON.stringify(invalid.issues)}`).toBeDefined();
    expect(issue!.message).toMatch(message);
    expect(invalid.message).toContain('/scenarios/catalogue.yaml');
    expect(invalid.message).toContain(`${path}: `);
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}
