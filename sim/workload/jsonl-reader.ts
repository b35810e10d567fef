import type { TraceColumns, TraceFile } from '../scenario/types.js';
import { isRecord } from '../scenario/field-path.js';
import { readLineBatches } from './line-reader.js';
import { badRow, type RowBatch, type RowResult } from './trace-row.js';

/**
 * Reads the project's JSONL trace: one JSON object per line with the arrival time in ms,
 * the model id and the token counts (field names from `columns`). Blank lines are ignored.
 * Rows must be in time order, because the replay streams them.
 */
export async function* readJsonlBatches(file: TraceFile, columns: TraceColumns): AsyncGenerator<RowBatch> {
  let previousMs = -Infinity;
  for await (const lines of readLineBatches(file.path)) {
    const batch: RowBatch = [];
    for (const { text, line } of lines) {
      if (text.trim() === '') {
        continue;
      }
      const result = parseJsonlLine(text, line, file, columns);
      if (result.kind === 'row' && result.row.timeMs < previousMs) {
        batch.push(badRow(file.path, line, `${columns.timestamp} ${result.row.timeMs} is earlier than the row before (${previousMs}); sort the file by time`));
        continue;
      }
      if (result.kind === 'row') {
        previousMs = result.row.timeMs;
      }
      batch.push(result);
    }
    if (batch.length > 0) {
      yield batch;
    }
  }
}

function parseJsonlLine(text: string, line: number, file: TraceFile, columns: TraceColumns): RowResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return badRow(file.path, line, `not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(value)) {
    return badRow(file.path, line, 'expected a JSON object');
  }

  const timeMs = value[columns.timestamp];
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs) || timeMs < 0) {
    return badRow(file.path, line, `${columns.timestamp} must be a number >= 0, got ${JSON.stringify(timeMs) ?? 'nothing'}`);
  }
  const model = value[columns.model];
  if (model !== undefined && (typeof model !== 'string' || model === '')) {
    return badRow(file.path, line, `${columns.model} must be a non-empty string, got ${JSON.stringify(model)}`);
  }
  const tokens: number[] = [];
  for (const field of [columns.promptTokens, columns.outputTokens]) {
    const count = value[field];
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      return badRow(file.path, line, `${field} must be an integer >= 0, got ${JSON.stringify(count) ?? 'nothing'}`);
    }
    tokens.push(count);
  }
  const serviceMs = value.serviceMs;
  if (serviceMs !== undefined && (typeof serviceMs !== 'number' || !Number.isFinite(serviceMs) || serviceMs < 0)) {
    return badRow(file.path, line, `serviceMs must be a number >= 0, got ${JSON.stringify(serviceMs)}`);
  }

  return {
    kind: 'row',
    row: {
      timeMs,
      modelKey: (model as string | undefined) ?? file.modelKey,
      promptTokens: tokens[0],
      outputTokens: tokens[1],
      serviceMs: serviceMs as number | undefined,
      file: file.path,
      line,
    },
  };
}
