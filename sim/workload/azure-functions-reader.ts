import type { TraceColumns, TraceFile } from '../scenario/types.js';
import { readCsvBatches } from './csv-table.js';
import { MinHeap } from './min-heap.js';
import { badRow, parseNonNegative, type RowBatch, type RowResult, type TraceRow } from './trace-row.js';

/**
 * The source rounds `duration` to the millisecond, so an invocation that started at the
 * window's start can compute to a slightly negative arrival. Up to this much is read as 0.
 */
const ARRIVAL_ROUNDING_TOLERANCE_MS = 1;

/**
 * Reads the Azure Functions invocation trace (2021, as sampled by vHive/invitro): app, func,
 * end_timestamp and duration in seconds. Arrival = end_timestamp - duration. The model key
 * is `app:func`, because a function id is unique only within its app.
 *
 * The rows are not in time order, so they are sorted through a min-heap of at most
 * `sortWindowRows` rows, which bounds memory. A row that arrives earlier than a row
 * already emitted is more than a window out of order, and it is a bad row.
 */
export async function* readAzureFunctionsBatches(file: TraceFile, columns: TraceColumns, sortWindowRows: number): AsyncGenerator<RowBatch> {
  const window = new MinHeap<TraceRow>((a, b) => a.timeMs - b.timeMs || a.line - b.line);
  const modelKeys = new ModelKeyTable();
  let emittedMs = -Infinity;
  const required = [columns.app, columns.func, columns.endTimestamp, columns.duration];

  for await (const records of readCsvBatches(file, required)) {
    const batch: RowBatch = [];
    for (const result of records) {
      const parsed = result.kind === 'bad' ? result : parseInvocation(result.record.fields, result.record.line, file, columns, modelKeys);
      if (parsed.kind === 'bad') {
        batch.push(parsed);
        continue;
      }
      if (parsed.row.timeMs < emittedMs) {
        const reason = `arrival ${parsed.row.timeMs} ms is earlier than rows already replayed; raise workload.trace.sortWindowRows above ${sortWindowRows}`;
        batch.push(badRow(file.path, parsed.row.line, reason));
        continue;
      }
      window.push(parsed.row);
      if (window.size > sortWindowRows) {
        const row = window.pop()!;
        emittedMs = row.timeMs;
        batch.push({ kind: 'row', row });
      }
    }
    yield batch;
  }

  const rest: RowBatch = [];
  while (window.size > 0) {
    rest.push({ kind: 'row', row: window.pop()! });
  }
  yield rest;
}

/**
 * Gives every row of one (app, func) pair the same flat key string. A key cut from a line
 * is a slice that keeps the whole chunk read from the file alive. Rows wait in the sort
 * window long enough for such slices to keep the whole file in memory.
 */
class ModelKeyTable {
  private readonly keys = new Map<string, string>();

  intern(app: string, func: string): string {
    const key = `${app}:${func}`;
    let interned = this.keys.get(key);
    if (interned === undefined) {
      interned = Buffer.from(key, 'utf8').toString('utf8');
      this.keys.set(interned, interned);
    }
    return interned;
  }
}

function parseInvocation(fields: Readonly<Record<string, string>>, line: number, file: TraceFile, columns: TraceColumns, modelKeys: ModelKeyTable): RowResult {
  const app = fields[columns.app]!.trim();
  const func = fields[columns.func]!.trim();
  if (app === '' || func === '') {
    return badRow(file.path, line, `${app === '' ? columns.app : columns.func} must not be empty`);
  }
  const endSeconds = parseNonNegative(fields[columns.endTimestamp]!);
  const durationSeconds = parseNonNegative(fields[columns.duration]!);
  if (endSeconds === undefined || durationSeconds === undefined) {
    const name = endSeconds === undefined ? columns.endTimestamp : columns.duration;
    return badRow(file.path, line, `${name} must be a number of seconds >= 0, got ${JSON.stringify(fields[name])}`);
  }
  const arrivalMs = (endSeconds - durationSeconds) * 1000;
  if (arrivalMs < -ARRIVAL_ROUNDING_TOLERANCE_MS) {
    return badRow(file.path, line, `${columns.duration} ${durationSeconds} s is longer than ${columns.endTimestamp} ${endSeconds} s, so the invocation would start before the trace`);
  }
  return {
    kind: 'row',
    row: {
      timeMs: Math.max(0, arrivalMs),
      modelKey: modelKeys.intern(app, func),
      promptTokens: undefined,
      outputTokens: undefined,
      serviceMs: durationSeconds * 1000,
      file: file.path,
      line,
    },
  };
}
