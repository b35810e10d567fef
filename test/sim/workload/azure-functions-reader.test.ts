import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWorkload } from '../../../sim/workload/create-workload.js';
import { InvalidTraceRowError } from '../../../sim/workload/errors.js';
import { collect, modelsYaml, scenarioFromYaml, sharedTraces } from './helpers.js';

function functionsScenario(file: string, extra = '', models = ['m1', 'm2', 'm3']): string {
  return `name: functions\n${modelsYaml(models)}workload:\n${extra}  trace: { format: azure-functions-2021, file: ${JSON.stringify(file)} }\n`;
}

describe('Azure Functions 2021 importer', () => {
  it('sorts invocations by arrival', async () => {
    const requests = await collect(createWorkload(scenarioFromYaml(functionsScenario('azure-functions.csv'))));

    expect(requests.map((request) => [request.timeMs, request.line])).toEqual([
      [0, 5],
      [250, 3],
      [1000, 4],
      [5000, 2],
      [9750, 6],
    ]);
  });

  it('gives each app and function pair one model in order of arrival', async () => {
    const requests = await collect(createWorkload(scenarioFromYaml(functionsScenario('azure-functions.csv'))));

    expect(requests.map((request) => request.modelId)).toEqual(['m1', 'm2', 'm3', 'm1', 'm2']);
  });

  it('keeps the recorded duration as service time', async () => {
    const requests = await collect(createWorkload(scenarioFromYaml(functionsScenario('azure-functions.csv'))));

    expect(requests.map((request) => request.serviceMs)).toEqual([78, 1000, 2000, 500, 250]);
    expect(requests[0]).toMatchObject({ promptTokens: 512, outputTokens: 128 });
  });

  it('names file and line of a bad row', async () => {
    const error = await collect(createWorkload(scenarioFromYaml(functionsScenario('azure-functions-bad.csv')))).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidTraceRowError);
    expect((error as InvalidTraceRowError).line).toBe(3);
    expect((error as Error).message).toMatch(/azure-functions-bad\.csv:3: invalid trace row: end_timestamp must be a number of seconds >= 0, got "later"/);
  });

  it('counts skipped rows when asked', async () => {
    const workload = createWorkload(scenarioFromYaml(functionsScenario('azure-functions-bad.csv', '  skipBadRows: true\n')));
    const requests = await collect(workload);

    expect(requests.map((request) => request.line)).toEqual([6, 2]);
    expect(workload.skippedRows).toBe(3);
    expect(workload.skippedRowSamples.map((row) => row.line)).toEqual([3, 4, 5]);
    expect(workload.skippedRowSamples[2]!.reason).toMatch(/start before the trace/);
  });

  it('rejects rows further out of order than the sort window', async () => {
    const text = functionsScenario('azure-functions.csv', '  skipBadRows: true\n').replace('file:', 'sortWindowRows: 2, file:');
    const workload = createWorkload(scenarioFromYaml(text));
    const requests = await collect(workload);

    expect(requests.map((request) => request.timeMs)).toEqual([250, 1000, 5000, 9750]);
    expect(workload.skippedRows).toBe(1);
    expect(workload.skippedRowSamples[0]).toMatchObject({ line: 5 });
    expect(workload.skippedRowSamples[0]!.reason).toMatch(/raise workload.trace.sortWindowRows above 2/);
  });

  it('reads the whole public sample', async () => {
    const models = Array.from({ length: 31 }, (_, index) => `f${index}`);
    const file = path.join(sharedTraces, 'azure_functions_2021_sample200.csv');
    const requests = await collect(createWorkload(scenarioFromYaml(functionsScenario(file, '', models))));

    expect(requests).toHaveLength(199);
    expect(new Set(requests.map((request) => request.modelId)).size).toBe(31);
    const outOfOrder = requests.findIndex((request, index) => index > 0 && request.timeMs < requests[index - 1]!.timeMs);
    expect(outOfOrder).toBe(-1);
    expect(requests[0]!.timeMs).toBeCloseTo(1.5, 0);
    expect(requests.at(-1)!.timeMs / 1000).toBeCloseTo(1200, 0);
    const perModel = new Map<string, number>();
    for (const request of requests) {
      perModel.set(request.modelId, (perModel.get(request.modelId) ?? 0) + 1);
    }
    expect([...perModel.values()].sort((a, b) => b - a).slice(0, 2)).toEqual([32, 32]);
  });
});
