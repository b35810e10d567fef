import type { TraceColumns, TraceFile } from '../scenario/types.js';
import { readCsvRecords } from './csv-table.js';
import { MinHeap } from './min-heap.js';
import { badRow, parseNonNegative, type RowResult, type TraceRow } from './trace-row.js';

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
export async function* readAzureFunctionsRows(file: TraceFile, columns: TraceColumns, sortWindowRows: number): AsyncGenerator<RowResult> {
  const window = new MinHeap<TraceRow>((a, b) => a.timeMs - b.timeMs || a.line - b.line);
  let emittedMs = -Infinity;
  const required = [columns.app, columns.func, columns.endTimestamp, columns.duration];

  for await (const result of readCsvRecords(file, required)) {
    if (result.kind === 'bad') {
      yield result;
      continue;
    }
    const parsed = parseInvocation(result.record.fields, result.record.line, file, columns);
    if (parsed.kind === 'bad') {
      yield parsed;
      continue;
    }
    if (parsed.row.timeMs < emittedMs) {
      yield badRow(file.path, parsed.row.line, `arrival ${parsed.row.timeMs} ms is earlier than rows already replayed; raise workload.trace.sortWindowRows above ${sortWindowRows}`);
      continue;
    }
    window.push(parsed.row);
    if (window.size > sortWindowRows) {
      const row = window.pop()!;
      emittedMs = row.timeMs;
      yield { kind: 'row', row };
    }
  }

  while (window.size > 0) {
    yield { kind: 'row', row: window.pop()! };
  }
}

function parseInvocation(fields: Readonly<Record<string, string>>, line: number, file: TraceFile, columns: TraceColumns): RowResult {
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
      modelKey: `${app}:${func}`,
      promptTokens: undefined,
      outputTokens: undefined,
      serviceMs: durationSeconds * 1000,
      file: file.path,
      line,
    },
  };
}
