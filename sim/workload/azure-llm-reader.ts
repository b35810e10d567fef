import type { TraceColumns, TraceFile } from '../scenario/types.js';
import { readCsvBatches, type CsvRecord } from './csv-table.js';
import { badRow, parseTokenCount, type RowBatch, type RowResult } from './trace-row.js';

/** A wall-clock timestamp split so that 100 ns digits survive in a double. */
export interface WallClockTime {
  /** Whole seconds since 1970-01-01 00:00:00, reading the text as if it were UTC. */
  seconds: number;
  /** The fraction of the second, in ms (0 <= fractionMs < 1000). */
  fractionMs: number;
}

/**
 * Parses `YYYY-MM-DD HH:MM:SS.fffffff` (the Azure LLM trace's TIMESTAMP; a `T` may replace
 * the space, and the fraction may have 0 to 9 digits). The text has no time zone and only
 * differences between rows matter, so it is read as UTC, which has no daylight-saving
 * jumps. Returns undefined for any other shape or an impossible date such as February 30.
 */
export function parseWallClock(text: string): WallClockTime | undefined {
  const value = text.trim();
  // Fixed positions and digit arithmetic: a regex, Date.UTC and Number() per row made
  // this the slowest step of reading a trace.
  if (value.length < 19 || value[4] !== '-' || value[7] !== '-' || (value[10] !== ' ' && value[10] !== 'T') || value[13] !== ':' || value[16] !== ':') {
    return undefined;
  }
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return undefined;
  }

  let fractionMs = 0;
  if (value.length > 19) {
    const digitCount = value.length - 20;
    if (value[19] !== '.' || digitCount < 1 || digitCount > 9) {
      return undefined;
    }
    const fraction = digitsAt(value, 20, digitCount);
    if (fraction < 0) {
      return undefined;
    }
    fractionMs = (fraction / 10 ** digitCount) * 1000;
  }
  const seconds = daysSinceEpoch(year, month, day) * 86_400 + hour * 3_600 + minute * 60 + second;
  return { seconds, fractionMs };
}

/** Reads `length` decimal digits at `start`, or returns -1 if any is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let index = start; index < start + length; index += 1) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) {
      return -1;
    }
    value = value * 10 + digit;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (civil-from-days inverse). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const shiftedYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(shiftedYear / 400);
  const yearOfEra = shiftedYear - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
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
    const first = await firstWallClock(file, columns);
    if (first !== undefined && (origin === undefined || millisecondsSince(origin, first) < 0)) {
      origin = first;
    }
  }
  return origin;
}

async function firstWallClock(file: TraceFile, columns: TraceColumns): Promise<WallClockTime | undefined> {
  for await (const batch of readCsvBatches(file, requiredColumns(columns))) {
    for (const result of batch) {
      const time = result.kind === 'record' ? parseWallClock(result.record.fields[columns.timestamp]!) : undefined;
      if (time !== undefined) {
        return time;
      }
    }
  }
  return undefined;
}

/**
 * Reads an Azure LLM inference trace (2023) CSV: TIMESTAMP, ContextTokens (prompt) and
 * GeneratedTokens (output). Times are ms since `origin`. The files have no model column;
 * a `model` column is used when present, else the file's model name from the scenario.
 */
export async function* readAzureLlmBatches(file: TraceFile, columns: TraceColumns, origin: WallClockTime): AsyncGenerator<RowBatch> {
  let previousMs = -Infinity;
  for await (const records of readCsvBatches(file, requiredColumns(columns), [columns.model])) {
    const batch: RowBatch = [];
    for (const result of records) {
      const row = result.kind === 'bad' ? result : parseRequestRecord(result.record, file, columns, origin, previousMs);
      if (row.kind === 'row') {
        previousMs = row.row.timeMs;
      }
      batch.push(row);
    }
    yield batch;
  }
}

function parseRequestRecord(record: CsvRecord, file: TraceFile, columns: TraceColumns, origin: WallClockTime, previousMs: number): RowResult {
  const { fields, line } = record;
  const time = parseWallClock(fields[columns.timestamp]!);
  if (time === undefined) {
    return badRow(file.path, line, `${columns.timestamp} must look like 2023-11-16 18:15:46.6805900, got ${JSON.stringify(fields[columns.timestamp])}`);
  }
  const timeMs = millisecondsSince(origin, time);
  if (timeMs < previousMs) {
    return badRow(file.path, line, `${columns.timestamp} ${fields[columns.timestamp]} is earlier than the row before; sort the file by time`);
  }
  const promptTokens = parseTokenCount(fields[columns.promptTokens]!);
  if (promptTokens === undefined) {
    return badRow(file.path, line, `${columns.promptTokens} must be an integer >= 0, got ${JSON.stringify(fields[columns.promptTokens])}`);
  }
  const outputTokens = parseTokenCount(fields[columns.outputTokens]!);
  if (outputTokens === undefined) {
    return badRow(file.path, line, `${columns.outputTokens} must be an integer >= 0, got ${JSON.stringify(fields[columns.outputTokens])}`);
  }
  const model = fields[columns.model]?.trim();
  return {
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
