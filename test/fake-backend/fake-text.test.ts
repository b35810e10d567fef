import { describe, expect, it } from 'vitest';
import { countPromptTokens, embedText, generateTokens } from '../../src/fake-backend/fake-text.js';

describe('generateTokens', () => {
  it('repeats for the same prompt and seed', () => {
    expect(generateTokens('Hello there', 42, 20)).toEqual(generateTokens('Hello there', 42, 20));
  });

  it('differs for another seed or prompt', () => {
    const base = generateTokens('Hello there', 42, 20).join('');
    expect(generateTokens('Hello there', 43, 20).join('')).not.toBe(base);
    expect(generateTokens('Hello here', 42, 20).join('')).not.toBe(base);
  });

  it('returns the requested count', () => {
    expect(generateTokens('x', 0, 7)).toHaveLength(7);
  });
});

describe('countPromptTokens', () => {
  it('counts whitespace-separated words', () => {
    expect(countPromptTokens('  one two\nthree ')).toBe(3);
    expect(countPromptTokens('   ')).toBe(0);
  });
});

describe('embedText', () => {
  it('returns a repeatable unit vector', () => {
    const vector = embedText('a sentence', 8);
    expect(vector).toEqual(embedText('a sentence', 8));
    expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    expect(embedText('another sentence', 8)).not.toEqual(vector);
  });
});
