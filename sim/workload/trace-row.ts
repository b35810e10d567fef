/** A trace row read from a file, before model mapping and the time window. */
export interface TraceRow {
  /** Trace time in ms: the format's own time axis, starting near 0. */
  timeMs: number;
  /** The row's model key (a model id, a file's model name, or an `app:func` pair). */
  modelKey: string | undefined;
  /** Undefined when the format has no token counts; the workload then draws them. */
  promptTokens: number | undefined;
  outputTokens: number | undefined;
  serviceMs: number | undefined;
  file: string;
  line: number;
}

/** A malformed line, with the reason it could not be read. */
export interface BadRow {
  kind: 'bad';
  file: string;
  line: number;
  reason: string;
}

/** Result of one data line: a row, or a malformed row with the reason. */
export type RowResult = { kind: 'row'; row: TraceRow } | BadRow;

/** Rows of one chunk of a file, in file order. Readers pass rows on in batches to save an await per row. */
export type RowBatch = RowResult[];

export function badRow(file: string, line: number, reason: string): BadRow {
  return { kind: 'bad', file, line, reason };
}

/** Parses a non-negative finite number, or returns undefined. */
export function parseNonNegative(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') {
    return undefined;
  }
  const value = Number(trimmed);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Parses a non-negative integer written in decimal digits, or returns undefined. */
export function parseTokenCount(text: string): number | undefined {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}
