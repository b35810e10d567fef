import type { LogFields, Logger } from '../util/logger.js';

/**
 * The CLI's logger for long-running commands (`backend`, `agent`): one line per record on
 * stderr, the level, the message and the fields as JSON. Debug records are dropped.
 */
export class StderrLogger implements Logger {
  constructor(private readonly base: LogFields = {}) {}

  debug(): void {}
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
    return new StderrLogger({ ...this.base, ...fields });
  }

  private write(level: string, message: string, fields?: LogFields): void {
    const all = { ...this.base, ...fields };
    const suffix = Object.keys(all).length > 0 ? ` ${JSON.stringify(all)}` : '';
    process.stderr.write(`${level} ${message}${suffix}\n`);
  }
}
