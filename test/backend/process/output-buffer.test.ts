import { describe, expect, it } from 'vitest';
import { OutputBuffer } from '../../../src/backend/process/output-buffer.js';

describe('OutputBuffer', () => {
  it('joins lines split across chunks', () => {
    const buffer = new OutputBuffer();
    buffer.append('stdout', 'hel');
    buffer.append('stdout', 'lo\nwor');
    buffer.append('stdout', 'ld\r\n');
    expect(buffer.recentLines()).toEqual(['hello', 'world']);
  });

  it('keeps only the newest lines', () => {
    const buffer = new OutputBuffer(3);
    buffer.append('stdout', 'a\nb\nc\nd\ne\n');
    expect(buffer.recentLines()).toEqual(['c', 'd', 'e']);
  });

  it('truncates long lines', () => {
    const buffer = new OutputBuffer(10, 5);
    buffer.append('stderr', 'abcdefghij\n');
    expect(buffer.recentLines()).toEqual(['abcde…']);
  });

  it('reports the last non-empty stderr line', () => {
    const buffer = new OutputBuffer();
    buffer.append('stderr', 'loading\nfatal: no GPU\n\n');
    buffer.append('stdout', 'stdout is not stderr\n');
    expect(buffer.lastStderrLine()).toBe('fatal: no GPU');
  });

  it('counts an unterminated stderr line', () => {
    const buffer = new OutputBuffer();
    buffer.append('stderr', 'first\nlast words');
    expect(buffer.lastStderrLine()).toBe('last words');
    buffer.flush();
    expect(buffer.recentLines()).toEqual(['first', 'last words']);
  });

  it('keeps the last stderr line after it leaves the window', () => {
    const buffer = new OutputBuffer(2);
    buffer.append('stderr', 'the error\n');
    buffer.append('stdout', 'x\ny\nz\n');
    expect(buffer.recentLines()).toEqual(['y', 'z']);
    expect(buffer.lastStderrLine()).toBe('the error');
  });
});
