import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { TraceReadError } from './errors.js';

/** One line of a text file, without its line break. */
export interface NumberedLine {
  text: string;
  /** 1-based. */
  line: number;
}

/**
 * Streams a text file line by line, so memory use stays at one chunk and one line whatever
 * the file's size. Both `\n` and `\r\n` line breaks are accepted.
 */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line += 1;
      yield { text, line };
    }
  } catch (error) {
    throw new TraceReadError(file, (error as Error).message, { cause: error });
  } finally {
    lines.close();
    stream.destroy();
  }
}
