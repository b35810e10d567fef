import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { InvalidScenarioError, ScenarioReadError } from '../../../sim/scenario/errors.js';
import { loadScenario, parseScenario } from '../../../sim/scenario/load-scenario.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const scenarios = path.join(root, 'test/fixtures/scenarios');
const traces = path.join(root, 'test/fixtures/traces');

const minimal = `
name: minimal
models:
  - id: only
    sizeBytes: 4000000000
    tokensPerSecond: 50
workload:
  generator: { kind: poisson, ratePerSecond: 1, durationMs: 1000 }
`;

describe('loadScenario', () => {
  it('fills in the documented defaults', () => {
    const scenario = parseScenario(minimal, '/tmp/minimal.yaml');

    expect(scenario.seed).toBe(1);
    expect(scenario.mode).toBe('local');
    expect(scenario.loader).toEqual({
      lruLimit: 0,
      evictionPolicy: 'lru',
      forceEvictionWhenBusy: false,
      evictionRetries: 30,
      evictionRetryIntervalMs: 1000,
      idleTimeoutMs: 900_000,
      busyTimeoutMs: 300_000,
      memoryReclaimerThreshold: 0.8,
      watchdogIntervalMs: 500,
      cooldownInitialMs: 10_000,
      cooldownMaxMs: 300_000,
      healthTtlMs: 30_000,
    });
    expect(scenario.host.gpuMemoryBytes).toBe(80 * 2 ** 30);
    expect(scenario.workload).toMatchObject({ startMs: 0, endMs: undefined, speedUp: 1, skipBadRows: false });
    expect(scenario.frontends).toEqual({ count: 1, replicaCache: false, replicaCacheRefreshMs: 5000 });
  });

  it('derives load time from size and disk bandwidth', () => {
    const text = minimal.replace('name: minimal', 'name: minimal\nhost: { diskBandwidthBytesPerSecond: 1000000000 }');
    const [model] = parseScenario(text, '/tmp/minimal.yaml').models;

    expect(model!.loadMs).toBe(4000);
    expect(model!.loadMsDerived).toBe(true);
    expect(model!.service).toEqual({ kind: 'tokens', tokensPerSecond: 50, promptTokensPerSecond: undefined });
    expect(model!.modelFile).toBe('only.gguf');
    expect(model!.backend).toBe('sim');
  });

  it('keeps a given load time', () => {
    const text = minimal.replace('tokensPerSecond: 50', 'serviceMs: 30\n    loadMs: 1234');
    const [model] = parseScenario(text, '/tmp/minimal.yaml').models;

    expect(model!.loadMs).toBe(1234);
    expect(model!.loadMsDerived).toBe(false);
    expect(model!.service).toEqual({ kind: 'fixed', serviceMs: 30 });
  });

  it('resolves trace paths against the scenario folder', async () => {
    const scenario = await loadScenario(path.join(scenarios, 'merged-llm.yaml'));
    const source = scenario.workload.source;

    expect(source.kind).toBe('trace');
    if (source.kind !== 'trace') return;
    expect(source.files).toEqual([
      { path: path.join(traces, 'azure-llm-conv.csv'), modelKey: 'conversation' },
      { path: path.join(traces, 'azure-llm-code.csv'), modelKey: 'coder' },
    ]);
    expect(source.modelMapping).toEqual({ kind: 'trace', rename: {} });
    expect(source.columns.timestamp).toBe('TIMESTAMP');
  });

  it('reads JSON scenarios', async () => {
    const scenario = await loadScenario(path.join(scenarios, 'functions.json'));

    expect(scenario.seed).toBe('abc');
    expect(scenario.workload.source).toMatchObject({ format: 'azure-functions-2021', modelMapping: { kind: 'first-seen' } });
  });

  it('switches to distributed mode when nodes are listed', () => {
    const text = `${minimal}nodes:\n  - { id: n1, labels: { gpu: h100 } }\n`;
    const scenario = parseScenario(text, '/tmp/minimal.yaml');

    expect(scenario.mode).toBe('distributed');
    expect(scenario.nodes[0]).toEqual({
      id: 'n1',
      gpuMemoryBytes: 80 * 2 ** 30,
      diskBandwidthBytesPerSecond: 2_000_000_000,
      labels: { gpu: 'h100' },
      maxReplicasPerModel: 1,
    });
  });

  it('sorts faults by time and keeps file order on ties', () => {
    const text = `${minimal}faults:
  - { kind: crash, atMs: 500, modelId: only }
  - { kind: fail-load, atMs: 100, modelId: only }
  - { kind: hang, atMs: 500, modelId: only, durationMs: 10 }
`;
    const kinds = parseScenario(text, '/tmp/minimal.yaml').faults.map((fault) => `${fault.kind}@${fault.atMs}`);

    expect(kinds).toEqual(['fail-load@100', 'crash@500', 'hang@500']);
  });

  it('names a missing trace file', async () => {
    const error = await loadScenario(path.join(scenarios, 'missing-trace.yaml')).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidScenarioError);
    const issue = (error as InvalidScenarioError).issues[0]!;
    expect(issue.path).toBe('workload.trace.file');
    expect(issue.message).toContain(path.join(traces, 'not-there.jsonl'));
    expect(issue.line).toBe(7);
  });

  it('names a missing scenario file', async () => {
    const error = await loadScenario('/nonexistent/scenario.yaml').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ScenarioReadError);
    expect((error as ScenarioReadError).code).toBe('SCENARIO_READ_FAILED');
    expect((error as Error).message).toBe('cannot read scenario file /nonexistent/scenario.yaml: file not found');
  });

  it('reports a YAML syntax error with its line', () => {
    const error = captureError(() => parseScenario('name: x\nmodels: [\n  {id: a\n', '/tmp/bad.yaml')) as InvalidScenarioError;

    expect(error).toBeInstanceOf(InvalidScenarioError);
    expect(error.issues[0]!.message).toMatch(/^not valid YAML or JSON/);
    expect(error.issues[0]!.line).toBeGreaterThanOrEqual(2);
  });

  it('rejects duplicate keys', () => {
    const error = captureError(() => parseScenario(`${minimal}name: again\n`, '/tmp/dup.yaml')) as InvalidScenarioError;

    expect(error).toBeInstanceOf(InvalidScenarioError);
    expect(error.message).toMatch(/not valid YAML or JSON/);
  });

  it('points each issue at its line', () => {
    const text = minimal.replace('sizeBytes: 4000000000', 'sizeBytes: lots');
    const error = captureError(() => parseScenario(text, '/tmp/minimal.yaml')) as InvalidScenarioError;

    expect(error.issues).toEqual([{ path: 'models[0].sizeBytes', message: 'must be an integer, got "lots"', line: 5 }]);
    expect(error.message).toBe('invalid scenario /tmp/minimal.yaml (1 problem):\n  line 5: models[0].sizeBytes: must be an integer, got "lots"');
  });

  it('rejects a document that is not an object', () => {
    const error = captureError(() => parseScenario('- 1\n- 2\n', '/tmp/list.yaml')) as InvalidScenarioError;

    expect(error.issues[0]!.message).toBe('must be an object, got a list');
  });
});

describe('scenario.schema.json', () => {
  it('is a valid draft 2020-12 schema', async () => {
    const schema: unknown = JSON.parse(await readFile(path.join(root, 'scenarios/scenario.schema.json'), 'utf8'));
    const ajv = new Ajv2020({ discriminator: true, allowUnionTypes: true });

    expect(ajv.validateSchema(schema as object)).toBe(true);
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
