import path from 'node:path';
import { createRandom } from '../../src/util/random.js';
import type { Scenario, ScenarioWorkload, TraceSource } from '../scenario/types.js';
import { findWallClockOrigin, readAzureLlmRows } from './azure-llm-reader.js';
import { readAzureFunctionsRows } from './azure-functions-reader.js';
import { InvalidTraceRowError } from './errors.js';
import { generateRequests } from './generators.js';
import { readJsonlRows } from './jsonl-reader.js';
import { mergeRowStreams } from './merge-rows.js';
import { ModelMapper } from './model-mapping.js';
import { createTokenSampler } from './sampling.js';
import { SKIPPED_ROW_SAMPLE_LIMIT, type SkippedRow, type TraceRequest, type Workload } from './trace-request.js';
import type { RowResult } from './trace-row.js';

/** Random stream names of trace workloads, one per purpose. */
export const TRACE_STREAMS = {
  modelMapping: 'workload/model-mapping',
  promptTokens: 'workload/prompt-tokens',
  outputTokens: 'workload/output-tokens',
} as const;

/** Builds the scenario's workload: its trace or generator, time window and speed-up applied. */
export function createWorkload(scenario: Scenario): Workload {
  return new ScenarioWorkloadStream(scenario);
}

/**
 * Streams the rows of a trace source in time order, before model mapping and the time
 * window. Times are the trace's own, from 0 at its first row for Azure LLM files.
 */
export async function* readTraceRows(source: TraceSource): AsyncGenerator<RowResult> {
  switch (source.format) {
    case 'jsonl':
      yield* mergeRowStreams(source.files.map((file) => readJsonlRows(file, source.columns)));
      return;
    case 'azure-llm-2023': {
      const origin = await findWallClockOrigin(source.files, source.columns);
      if (origin === undefined) {
        // No row has a valid time: read anyway so each bad row is reported.
        yield* mergeRowStreams(source.files.map((file) => readAzureLlmRows(file, source.columns, { seconds: 0, fractionMs: 0 })));
        return;
      }
      yield* mergeRowStreams(source.files.map((file) => readAzureLlmRows(file, source.columns, origin)));
      return;
    }
    case 'azure-functions-2021':
      yield* mergeRowStreams(source.files.map((file) => readAzureFunctionsRows(file, source.columns, source.sortWindowRows)));
      return;
  }
}

class ScenarioWorkloadStream implements Workload {
  readonly source: string;
  private skipped = 0;
  private readonly samples: SkippedRow[] = [];

  constructor(private readonly scenario: Scenario) {
    const source = scenario.workload.source;
    this.source = source.kind === 'trace' ? source.files.map((file) => path.basename(file.path)).join(' + ') : `generator:${source.arrival.kind}`;
  }

  get skippedRows(): number {
    return this.skipped;
  }

  get skippedRowSamples(): readonly SkippedRow[] {
    return this.samples;
  }

  [Symbol.asyncIterator](): AsyncIterator<TraceRequest> {
    // A second iteration reads the source again and recounts its bad rows.
    this.skipped = 0;
    this.samples.length = 0;
    const source = this.scenario.workload.source;
    const modelIds = this.scenario.models.map((model) => model.id);
    const requests = source.kind === 'trace' ? this.traceRequests(source, modelIds) : generateRequests(source, modelIds, this.scenario.seed);
    return applyWindow(requests, this.scenario.workload)[Symbol.asyncIterator]();
  }

  /** Reads trace rows, applies the skip policy and the model mapping, fills in missing tokens. */
  private async *traceRequests(source: TraceSource, modelIds: readonly string[]): AsyncGenerator<TraceRequest> {
    const seed = this.scenario.seed;
    const mapper = new ModelMapper(source.modelMapping, modelIds, createRandom(seed, TRACE_STREAMS.modelMapping));
    const promptTokens = createTokenSampler(source.promptTokens, createRandom(seed, TRACE_STREAMS.promptTokens));
    const outputTokens = createTokenSampler(source.outputTokens, createRandom(seed, TRACE_STREAMS.outputTokens));
    const { startMs, endMs } = this.scenario.workload;

    for await (const result of readTraceRows(source)) {
      if (result.kind === 'bad') {
        this.rejectRow(result);
        continue;
      }
      const row = result.row;
      // Rows outside the window are dropped before mapping, so they take no random draws.
      if (row.timeMs < startMs) {
        continue;
      }
      if (endMs !== undefined && row.timeMs >= endMs) {
        return;
      }
      const mapped = mapper.map(row.modelKey);
      if (mapped.kind === 'unmapped') {
        this.rejectRow({ kind: 'bad', file: row.file, line: row.line, reason: mapped.reason });
        continue;
      }
      const request: TraceRequest = {
        timeMs: row.timeMs,
        modelId: mapped.modelId,
        promptTokens: row.promptTokens ?? promptTokens(),
        outputTokens: row.outputTokens ?? outputTokens(),
        line: row.line,
      };
      if (row.serviceMs !== undefined) {
        request.serviceMs = row.serviceMs;
      }
      yield request;
    }
  }

  private rejectRow(bad: Extract<RowResult, { kind: 'bad' }>): void {
    if (!this.scenario.workload.skipBadRows) {
      throw new InvalidTraceRowError(bad.file, bad.line, bad.reason);
    }
    this.skipped += 1;
    if (this.samples.length < SKIPPED_ROW_SAMPLE_LIMIT) {
      this.samples.push({ file: bad.file, line: bad.line, reason: bad.reason });
    }
  }
}

/** Drops requests outside [startMs, endMs), shifts startMs to 0 and divides times by the speed-up. */
async function* applyWindow(requests: AsyncIterable<TraceRequest>, workload: ScenarioWorkload): AsyncGenerator<TraceRequest> {
  const { startMs, endMs, speedUp } = workload;
  for await (const request of requests) {
    if (request.timeMs < startMs) {
      continue;
    }
    if (endMs !== undefined && request.timeMs >= endMs) {
      return;
    }
    request.timeMs = (request.timeMs - startMs) / speedUp;
    yield request;
  }
}
