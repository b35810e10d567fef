import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceReadError } from '../../../sim/workload/errors.js';
import { readLineBatches, type NumberedLine } from '../../../sim/workload/line-reader.js';

async function linesOf(content: string): Promise<NumberedLine[]> {
  const folder = await mkdtemp(path.join(tmpdir(), 'loaderlab-lines-'));
  const file = path.join(folder, 'trace.txt');
  await writeFile(file, content);
  const lines: NumberedLine[] = [];
  for await (const batch of readLineBatches(file)) {
    lines.push(...batch);
  }
  return lines;
}

describe('readLineBatches', () => {
  it('numbers lines and strips CRLF', async () => {
    expect(await linesOf('a,b\r\nc,d\r\n\r\ne')).toEqual([
      { text: 'a,b', line: 1 },
      { text: 'c,d', line: 2 },
      { text: '', line: 3 },
      { text: 'e', line: 4 },
    ]);
  });

  it('keeps lines that cross chunk boundaries whole', async () => {
    const rows = Array.from({ length: 20_000 }, (_, index) => `row-${index}-${'x'.repeat(index % 17)}`);
    const lines = await linesOf(`${rows.join('\n')}\n`);

    expect(lines.map((line) => line.text)).toEqual(rows);
    expect(lines.at(-1)!.line).toBe(20_000);
  });

  it('reports a missing file as a read error', async () => {
    const error = await readLineBatches('/nonexistent/trace.csv')
      .next()
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(TraceReadError);
    expect((error as TraceReadError).code).toBe('TRACE_READ_FAILED');
  });
});
