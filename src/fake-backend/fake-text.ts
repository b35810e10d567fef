import { createRandom } from '../util/random.js';

/** Words the fake backend strings together; any fixed list gives deterministic output. */
const WORDS = [
  'the', 'model', 'loads', 'a', 'backend', 'answers', 'with', 'tokens', 'from', 'its',
  'cache', 'while', 'memory', 'stays', 'within', 'limits', 'and', 'every', 'request', 'waits',
  'for', 'one', 'slot', 'on', 'the', 'device', 'so', 'latency', 'grows', 'under',
  'load', 'until', 'an', 'idle', 'model', 'is', 'evicted', 'then', 'another', 'starts',
];

/**
 * Generates `count` tokens for a prompt. The same prompt and seed always give the same
 * tokens, so tests can compare outputs across processes and runs.
 */
export function generateTokens(prompt: string, seed: number, count: number): string[] {
  const random = createRandom(seed, `fake-backend/text/${prompt}`);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    tokens.push(` ${WORDS[Math.floor(random() * WORDS.length)]}`);
  }
  return tokens;
}

/** Counts prompt tokens as whitespace-separated words, an estimate good enough for a stand-in. */
export function countPromptTokens(prompt: string): number {
  const trimmed = prompt.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}

/** Returns a unit-length vector that depends only on the text and the dimension count. */
export function embedText(text: string, dimensions: number): number[] {
  const random = createRandom(0, `fake-backend/embedding/${text}`);
  const vector = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}
