import { describe, expect, it } from 'vitest';
import { indexColumns, splitCsvLine } from '../../../sim/workload/csv.js';

describe('splitCsvLine', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['a,,c,', ['a', '', 'c', '']],
    ['"x,y",z', ['x,y', 'z']],
    ['"say ""hi""",2', ['say "hi"', '2']],
    ['', ['']],
  ])('splits %j', (line, fields) => {
    expect(splitCsvLine(line)).toEqual(fields);
  });

  it('rejects an unterminated quote', () => {
    expect(splitCsvLine('"open,1')).toBeUndefined();
  });
});

describe('indexColumns', () => {
  it('trims names and drops a byte order mark', () => {
    expect([...indexColumns(['\uFEFFTIMESTAMP', ' ContextTokens ', 'GeneratedTokens']).entries()]).toEqual([
      ['TIMESTAMP', 0],
      ['ContextTokens', 1],
      ['GeneratedTokens', 2],
    ]);
  });
});
