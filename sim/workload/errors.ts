import { LoaderLabError } from '../../src/errors.js';

/** A trace row could not be read as a request, and the scenario does not skip bad rows. */
export class InvalidTraceRowError extends LoaderLabError {
  readonly code = 'INVALID_TRACE_ROW';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: invalid trace row: ${reason}; fix the row or set workload.skipBadRows to skip such rows`);
  }
}

/** A CSV trace lacks a column it needs, or is empty; no row of it can be read. */
export class InvalidTraceHeaderError extends LoaderLabError {
  readonly code = 'INVALID_TRACE_HEADER';
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}:1: invalid trace header: ${reason}`);
  }
}

/** A trace file could not be opened or read. */
export class TraceReadError extends LoaderLabError {
  readonly code = 'TRACE_READ_FAILED';
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read trace file ${file}: ${reason}`, options);
  }
}
