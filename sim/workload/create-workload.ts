import path from 'node:path';
import { createRandom } from '../../src/util/random.js';
import type { GeneratorSource, Scenario, ScenarioWorkload, TraceSource } from '../scenario/types.js';
import { findWallClockOrigin, readAzureLlmBatches } from './azure-llm-reader.js';
import { readAzureFunctionsBatches } from './azure-functions-reader.js';
import { InvalidTraceRowError } from './errors.js';
import { generateRequests } from './generators.js';
import { readJsonlBatches } from './jsonl-reader.js';
import { mergeRowBatches } from './merge-rows.js';
import { ModelMapper } from './model-mapping.js';
import { createTokenSampler } from './sampling.js';
import { SKIPPED_ROW_SAMPLE_LIMIT, type SkippedRow, type TraceRequest, type Workload } from './trace-request.js';
import type { BadRow, RowBatch } from './trace-row.js';

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
 * Streams the rows of a trace source in time order and in batches, before model mapping
 * and the time window. Times are the trace's own, from 0 at the first row for Azure LLM files.
 */
export async function* readTraceBatches(source: TraceSource): AsyncGenerator<RowBatch> {
  switch (source.format) {
    case 'jsonl':
      yield* mergeRowBatches(source.files.map((file) => readJsonlBatches(file, source.columns)));
      return;
    case 'azure-llm-2023': {
      // When no row has a valid time, any origin does: every row is then reported as bad.
      const origin = (await findWallClockOrigin(source.files, source.columns)) ?? { seconds: 0, fractionMs: 0 };
      yield* mergeRowBatches(source.files.map((file) => readAzureLlmBatches(file, source.columns, origin)));
      return;
    }
    case 'azure-functions-2021':
      yield* mergeRowBatches(source.files.map((file) => readAzureFunctionsBatches(file, source.columns, source.sortWindowRows)));
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
    const requests = source.kind === 'trace' ? this.traceRequests(source, modelIds) : this.generatedRequests(source, modelIds);
    return requests[Symbol.asyncIterator]();
  }

  private async *generatedRequests(source: GeneratorSource, modelIds: readonly string[]): AsyncGenerator<TraceRequest> {
    const window = new TimeWindow(this.scenario.workload);
    for (const request of generateRequests(source, modelIds, this.scenario.seed)) {
      const timeMs = window.place(request.timeMs);
      if (timeMs === 'after') {
        return;
      }
      if (timeMs !== 'before') {
        request.timeMs = timeMs;
        yield request;
      }
    }
  }

  /**
   * Reads trace rows, applies the skip policy, the time window and the model mapping, and
   * fills in missing token counts. Rows outside the window are dropped before mapping, so
   * they take no random draws.
   */
  private async *traceRequests(source: TraceSource, modelIds: readonly string[]): AsyncGenerator<TraceRequest> {
    const seed = this.scenario.seed;
    const mapper = new ModelMapper(source.modelMapping, modelIds, createRandom(seed, TRACE_STREAMS.modelMapping));
    const promptTokens = createTokenSampler(source.promptTokens, createRandom(seed, TRACE_STREAMS.promptTokens));
    const outputTokens = createTokenSampler(source.outputTokens, createRandom(seed, TRACE_STREAMS.outputTokens));
    const window = new TimeWindow(this.scenario.workload);

    for await (const batch of readTraceBatches(source)) {
      for (const result of batch) {
        if (result.kind === 'bad') {
          this.rejectRow(result);
          continue;
        }
        const row = result.row;
        const timeMs = window.place(row.timeMs);
        if (timeMs === 'after') {
          return;
        }
        if (timeMs === 'before') {
          continue;
        }
        const mapped = mapper.map(row.modelKey);
        if (mapped.kind === 'unmapped') {
          this.rejectRow({ kind: 'bad', file: row.file, line: row.line, reason: mapped.reason });
          continue;
        }
        const request: TraceRequest = {
          timeMs,
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
  }

  private rejectRow(bad: BadRow): void {
    if (!this.scenario.workload.skipBadRows) {
      throw new InvalidTraceRowError(bad.file, bad.line, bad.reason);
    }
    this.skipped += 1;
    if (this.samples.length < SKIPPED_ROW_SAMPLE_LIMIT) {
      this.samples.push({ file: bad.file, line: bad.line, reason: bad.reason });
    }
  }
}

/** The time window and speed-up of a workload, applied to trace times in order. */
class TimeWindow {
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly speedUp: number;

  constructor(workload: ScenarioWorkload) {
    this.startMs = workload.startMs;
    this.endMs = workload.endMs ?? Infinity;
    this.speedUp = workload.speedUp;
  }

  /** Returns the replay time of trace time `timeMs`: `startMs` becomes 0, then time is divided by the speed-up. */
  place(timeMs: number): number | 'before' | 'after' {
    if (timeMs < this.startMs) {
      return 'before';
    }
    if (timeMs >= this.endMs) {
      return 'after';
    }
    return (timeMs - this.startMs) / this.speedUp;
  }
}
