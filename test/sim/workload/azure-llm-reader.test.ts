import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { millisecondsSince, parseWallClock } from '../../../sim/workload/azure-llm-reader.js';
import { createWorkload } from '../../../sim/workload/create-workload.js';
import { InvalidTraceHeaderError, InvalidTraceRowError } from '../../../sim/workload/errors.js';
import { collect, fixtureTraces, modelsYaml, scenarioFromYaml, sharedTraces } from './helpers.js';

function mergedScenario(extra = ''): string {
  return `name: merged
${modelsYaml(['conversation', 'coder'])}workload:
  trace:
    format: azure-llm-2023
    files:
      - { path: azure-llm-conv.csv, model: conversation }
      - { path: azure-llm-code.csv, model: coder }
${extra}`;
}

describe('parseWallClock', () => {
  it('keeps all seven fraction digits', () => {
    const origin = parseWallClock('2023-11-16 18:15:46.6805900')!;
    const later = parseWallClock('2023-11-16 18:15:46.6806901')!;

    expect(millisecondsSince(origin, later)).toBeCloseTo(0.1001, 6);
  });

  it('counts across midnight and month ends', () => {
    const origin = parseWallClock('2023-11-30 23:59:59.5')!;
    const later = parseWallClock('2023-12-01 00:00:00.5')!;

    expect(millisecondsSince(origin, later)).toBe(1000);
  });

  it.each(['2023-02-30 10:00:00.0', '2023-11-16 24:00:00.0', '2023-11-16T18:15', '18:15:46.68', ''])('rejects %j', (text) => {
    expect(parseWallClock(text)).toBeUndefined();
  });
});

describe('Azure LLM 2023 importer', () => {
  it('merges two files by timestamp with one model per file', async () => {
    const requests = await collect(createWorkload(scenarioFromYaml(mergedScenario())));

    expect(requests.map((request) => [request.timeMs, request.modelId, request.line])).toEqual([
      [0, 'coder', 2],
      [500, 'conversation', 2],
      [750, 'conversation', 3],
      [750, 'coder', 3],
      [1500.0001, 'conversation', 4],
      [2500, 'coder', 4],
      [4000, 'conversation', 5],
    ]);
    expect(requests[1]).toMatchObject({ promptTokens: 100, outputTokens: 10 });
    expect(requests[3]).toMatchObject({ promptTokens: 4000, outputTokens: 20 });
  });

  it('names file and line of a bad row', async () => {
    const text = `name: bad\n${modelsYaml(['m'])}workload:\n  trace: { format: azure-llm-2023, file: { path: azure-llm-bad.csv, model: m } }\n`;
    const error = await collect(createWorkload(scenarioFromYaml(text))).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidTraceRowError);
    expect((error as InvalidTraceRowError).code).toBe('INVALID_TRACE_ROW');
    expect((error as InvalidTraceRowError).file).toBe(path.join(fixtureTraces, 'azure-llm-bad.csv'));
    expect((error as InvalidTraceRowError).line).toBe(3);
    expect((error as Error).message).toContain('azure-llm-bad.csv:3: invalid trace row: ContextTokens must be an integer >= 0, got "abc"');
  });

  it('counts skipped rows when asked', async () => {
    const text = `name: bad\n${modelsYaml(['m'])}workload:\n  skipBadRows: true\n  trace: { format: azure-llm-2023, file: { path: azure-llm-bad.csv, model: m } }\n`;
    const workload = createWorkload(scenarioFromYaml(text));
    const requests = await collect(workload);

    expect(requests.map((request) => request.line)).toEqual([2, 7]);
    expect(workload.skippedRows).toBe(4);
    expect(workload.skippedRowSamples.map((row) => row.line)).toEqual([3, 4, 5, 6]);
    expect(workload.skippedRowSamples[1]!.reason).toMatch(/TIMESTAMP must look like/);
    expect(workload.skippedRowSamples[2]!.reason).toMatch(/column GeneratedTokens is missing/);
  });

  it('rejects a header without the token columns', async () => {
    const text = `name: wrong\n${modelsYaml(['m'])}workload:\n  trace: { format: azure-llm-2023, file: { path: azure-functions.csv, model: m } }\n`;
    const error = await collect(createWorkload(scenarioFromYaml(text))).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(InvalidTraceHeaderError);
    expect((error as Error).message).toMatch(/missing column\(s\) TIMESTAMP, ContextTokens, GeneratedTokens/);
  });

  it('reads the whole public conversation trace', async () => {
    const text = `name: conv\n${modelsYaml(['m'])}workload:\n  trace: { format: azure-llm-2023, file: { path: ${path.join(sharedTraces, 'azure_llm_2023_conv.csv')}, model: m } }\n`;
    const requests = await collect(createWorkload(scenarioFromYaml(text)));

    expect(requests).toHaveLength(19_366);
    expect(requests[0]!.timeMs).toBe(0);
    // 18:15:46.6805900 to 19:14:08.40: about 58.4 minutes.
    expect(requests.at(-1)!.timeMs / 60_000).toBeCloseTo(58.36, 1);
    expect(Math.min(...requests.map((request) => request.outputTokens))).toBe(7);
    expect(Math.max(...requests.map((request) => request.promptTokens))).toBe(14_050);
  });

  it('merges the public traces in time order', async () => {
    const text = `name: both
${modelsYaml(['conversation', 'coder'])}workload:
  trace:
    format: azure-llm-2023
    files:
      - { path: ${path.join(sharedTraces, 'azure_llm_2023_conv.csv')}, model: conversation }
      - { path: ${path.join(sharedTraces, 'azure_llm_2023_code.csv')}, model: coder }
`;
    const requests = await collect(createWorkload(scenarioFromYaml(text)));

    expect(requests).toHaveLength(19_366 + 8_819);
    expect(requests.filter((request) => request.modelId === 'coder')).toHaveLength(8_819);
    const outOfOrder = requests.findIndex((request, index) => index > 0 && request.timeMs < requests[index - 1]!.timeMs);
    expect(outOfOrder).toBe(-1);
    // The code trace starts at 18:17:03.9799600, 77.29937 s after the conversation trace.
    const firstCoder = requests.find((request) => request.modelId === 'coder')!;
    expect(firstCoder.timeMs).toBeCloseTo(77_299.37, 3);
  });
});

describe('parseWallClock against Date.UTC', () => {
  it('agrees on random valid timestamps', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 11, 31)), noInvalidDate: true }), fc.integer({ min: 0, max: 9_999_999 }), (date, fraction) => {
        const text = `${date.toISOString().slice(0, 19).replace('T', ' ')}.${String(fraction).padStart(7, '0')}`;
        const parsed = parseWallClock(text)!;

        expect(parsed.seconds).toBe(Math.floor(date.getTime() / 1000));
        expect(parsed.fractionMs).toBeCloseTo(fraction / 10_000, 9);
      }),
      { seed: 20231116, numRuns: 500 },
    );
  });

  it('accepts 29 February only in leap years', () => {
    expect(parseWallClock('2024-02-29 00:00:00')).toBeDefined();
    expect(parseWallClock('2000-02-29 00:00:00')).toBeDefined();
    expect(parseWallClock('1900-02-29 00:00:00')).toBeUndefined();
    expect(parseWallClock('2023-02-29 00:00:00')).toBeUndefined();
  });
});
