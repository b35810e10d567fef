import type { TraceColumns, TraceFile } from '../scenario/types.js';
import { readCsvRecords } from './csv-table.js';
import { badRow, parseTokenCount, type RowResult } from './trace-row.js';

/** A wall-clock timestamp split so that 100 ns digits survive in a double. */
export interface WallClockTime {
  /** Whole seconds since 1970-01-01 00:00:00, reading the text as if it were UTC. */
  seconds: number;
  /** The fraction of the second, in ms (0 <= fractionMs < 1000). */
  fractionMs: number;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * Parses `YYYY-MM-DD HH:MM:SS.fffffff` (the Azure LLM trace's TIMESTAMP). The text has no
 * time zone and only differences between rows matter, so it is read as UTC, which has no
 * daylight-saving jumps. Returns undefined for any other shape or an impossible date.
 */
export function parseWallClock(text: string): WallClockTime | undefined {
  const match = TIMESTAMP.exec(text.trim());
  if (match === null) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(epochMs);
  // Date.UTC rolls 2023-02-30 over into March; such a date is a typo, not a time.
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const digits = match[7] ?? '';
  const fractionMs = digits === '' ? 0 : Number(`0.${digits}`) * 1000;
  return { seconds: epochMs / 1000, fractionMs };
}

/** Milliseconds from `origin` to `time`, exact to well below a microsecond. */
export function millisecondsSince(origin: WallClockTime, time: WallClockTime): number {
  return (time.seconds - origin.seconds) * 1000 + (time.fractionMs - origin.fractionMs);
}

function requiredColumns(columns: TraceColumns): string[] {
  return [columns.timestamp, columns.promptTokens, columns.outputTokens];
}

/**
 * Returns the earliest parseable timestamp over the first data rows of `files`: the time
 * origin of a merged trace, so that its first request is at 0 ms.
 */
export async function findWallClockOrigin(files: readonly TraceFile[], columns: TraceColumns): Promise<WallClockTime | undefined> {
  let origin: WallClockTime | undefined;
  for (const file of files) {
    for await (const result of readCsvRecords(file, requiredColumns(columns))) {
      const time = result.kind === 'record' ? parseWallClock(result.record.fields[columns.timestamp]!) : undefined;
      if (time !== undefined) {
        if (origin === undefined || millisecondsSince(origin, time) < 0) {
          origin = time;
        }
        break;
      }
    }
  }
  return origin;
}

/**
 * Reads an Azure LLM inference trace (2023) CSV: TIMESTAMP, ContextTokens (prompt) and
 * GeneratedTokens (output). Times are ms since `origin`. The files have no model column;
 * a `model` column is used when present, else the file's model name from the scenario.
 */
export async function* readAzureLlmRows(file: TraceFile, columns: TraceColumns, origin: WallClockTime): AsyncGenerator<RowResult> {
  let previousMs = -Infinity;
  for await (const result of readCsvRecords(file, requiredColumns(columns), [columns.model])) {
    if (result.kind === 'bad') {
      yield result;
      continue;
    }
    const { fields, line } = result.record;
    const time = parseWallClock(fields[columns.timestamp]!);
    if (time === undefined) {
      yield badRow(file.path, line, `${columns.timestamp} must look like 2023-11-16 18:15:46.6805900, got ${JSON.stringify(fields[columns.timestamp])}`);
      continue;
    }
    const timeMs = millisecondsSince(origin, time);
    if (timeMs < previousMs) {
      yield badRow(file.path, line, `${columns.timestamp} ${fields[columns.timestamp]} is earlier than the row before; sort the file by time`);
      continue;
    }
    const promptTokens = parseTokenCount(fields[columns.promptTokens]!);
    const outputTokens = parseTokenCount(fields[columns.outputTokens]!);
    if (promptTokens === undefined || outputTokens === undefined) {
      const [name, value] = promptTokens === undefined ? [columns.promptTokens, fields[columns.promptTokens]] : [columns.outputTokens, fields[columns.outputTokens]];
      yield badRow(file.path, line, `${name} must be an integer >= 0, got ${JSON.stringify(value)}`);
      continue;
    }
    previousMs = timeMs;
    const model = fields[columns.model]?.trim();
    yield {
      kind: 'row',
      row: {
        timeMs,
        modelKey: model !== undefined && model !== '' ? model : file.modelKey,
        promptTokens,
        outputTokens,
        serviceMs: undefined,
        file: file.path,
        line,
      },
    };
  }
}
