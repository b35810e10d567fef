import { createReadStream } from 'node:fs';
import { TraceReadError } from './errors.js';

/** One line of a text file, without its line break. */
export interface NumberedLine {
  text: string;
  /** 1-based. */
  line: number;
}

/** Size of each read; lines are handed on per chunk, so readers work without an await per line. */
const CHUNK_BYTES = 1 << 16;

/**
 * Streams a text file as batches of lines, one batch per chunk read, so memory use stays at
 * one chunk plus one partial line whatever the file's size. Both `\n` and `\r\n` line
 * breaks are accepted; a last line without a line break is included.
 */
export async function* readLineBatches(file: string): AsyncGenerator<NumberedLine[]> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK_BYTES });
  let partial = '';
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = partial + chunk;
      const batch: NumberedLine[] = [];
      let start = 0;
      let end = text.indexOf('\n', start);
      while (end >= 0) {
        line += 1;
        batch.push({ text: stripCarriageReturn(text.slice(start, end)), line });
        start = end + 1;
        end = text.indexOf('\n', start);
      }
      partial = text.slice(start);
      if (batch.length > 0) {
        yield batch;
      }
    }
  } catch (error) {
    throw new TraceReadError(file, (error as Error).message, { cause: error });
  } finally {
    stream.destroy();
  }
  if (partial !== '') {
    yield [{ text: stripCarriageReturn(partial), line: line + 1 }];
  }
}

function stripCarriageReturn(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
