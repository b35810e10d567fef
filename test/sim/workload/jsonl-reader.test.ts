import { describe, expect, it } from 'vitest';
import { createWorkload } from '../../../sim/workload/create-workload.js';
import { InvalidTraceRowError } from '../../../sim/workload/errors.js';
import { collect, modelsYaml, scenarioFromYaml } from './helpers.js';

function jsonlScenario(file: string, workloadExtra = '', traceExtra = ''): string {
  return `name: jsonl\n${modelsYaml(['small', 'large'])}workload:\n${workloadExtra}  trace: { format: jsonl, file: ${file}${traceExtra} }\n`;
}

describe('JSONL trace reader', () => {
  it('reads requests and skips blank lines', async () => {
    const requests = await collect(createWorkload(scenarioFromYaml(jsonlScenario('requests.jsonl'))));

    expect(requests).toEqual([
      { timeMs: 0, modelId: 'small', promptTokens: 10, outputTokens: 5, line: 1 },
      { timeMs: 250.5, modelId: 'large', promptTokens: 800, outputTokens: 64, line: 2 },
      { timeMs: 1000, modelId: 'small', promptTokens: 3, outputTokens: 1, line: 4, serviceMs: 40 },
      { timeMs: 1000, modelId: 'large', promptTokens: 0, outputTokens: 0, line: 5 },
    ]);
  });

  it('names file and line of a bad row', async () => {
    const error = await collect(createWorkload(scenarioFromYaml(jsonlScenario('requests-bad.jsonl')))).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidTraceRowError);
    expect((error as InvalidTraceRowError).line).toBe(2);
    expect((error as Error).message).toMatch(/requests-bad\.jsonl:2: invalid trace row: not valid JSON/);
  });

  it('counts each kind of bad row when skipping', async () => {
    const workload = createWorkload(scenarioFromYaml(jsonlScenario('requests-bad.jsonl', '  skipBadRows: true\n')));
    const requests = await collect(workload);

    expect(requests.map((request) => request.line)).toEqual([1, 7]);
    expect(workload.skippedRows).toBe(5);
    const reasons = workload.skippedRowSamples.map((row) => `${row.line}: ${row.reason}`);
    expect(reasons[0]).toMatch(/^2: not valid JSON/);
    expect(reasons[1]).toMatch(/^3: promptTokens must be an integer >= 0, got 1.5/);
    expect(reasons[2]).toMatch(/^4: model "unknown" is not in the scenario's models/);
    expect(reasons[3]).toMatch(/^5: timeMs 5 is earlier than the row before \(30\)/);
    expect(reasons[4]).toMatch(/^6: expected a JSON object/);
  });

  it('renames trace models', async () => {
    const text = jsonlScenario('requests-bad.jsonl', '  skipBadRows: true\n', ', modelMapping: { kind: trace, rename: { unknown: large } }');
    const workload = createWorkload(scenarioFromYaml(text));
    const requests = await collect(workload);

    expect(requests.map((request) => `${request.line}:${request.modelId}`)).toEqual(['1:small', '4:large', '7:large']);
    expect(workload.skippedRows).toBe(4);
  });

  it('applies the time window and speed-up', async () => {
    const text = jsonlScenario('requests.jsonl', '  startMs: 200\n  endMs: 1000\n  speedUp: 2\n');
    const requests = await collect(createWorkload(scenarioFromYaml(text)));

    expect(requests.map((request) => [request.line, request.timeMs])).toEqual([[2, 25.25]]);
  });
});
