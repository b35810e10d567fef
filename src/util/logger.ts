/** Structured fields of a log record, in camelCase with units (`durationMs`, `sizeBytes`). */
export type LogFields = Record<string, unknown>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The injected structured logger. Library code logs only through one of these. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Returns a logger that adds `fields` to every record, e.g. `{ component: 'watchdog' }`. */
  child(fields: LogFields): Logger;
}

class SilentLogger implements Logger {
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(): void {}
  child(): Logger {
    return this;
  }
}

/** The default logger of library objects: it drops every record. */
export const silentLogger: Logger = new SilentLogger();

/** A logged record, as kept by `MemoryLogger`. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  fields: LogFields;
}

/** Keeps records in memory, for tests and for the CLI to print later. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  private readonly base: LogFields;

  constructor(base: LogFields = {}, records: LogRecord[] = []) {
    this.base = base;
    this.records = records;
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }
  child(fields: LogFields): Logger {
    return new MemoryLogger({ ...this.base, ...fields }, this.records);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    this.records.push({ level, message, fields: { ...this.base, ...fields } });
  }
}
