import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';

/** Shortest cluster token accepted, in characters; shorter ones are too easy to guess. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Checks a presented token against the cluster token in constant time. Both are hashed
 * first, so the comparison takes the same time whatever the presented token's length.
 */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) {
    return false;
  }
  const expectedDigest = createHash('sha256').update(expected).digest();
  const presentedDigest = createHash('sha256').update(presented).digest();
  return timingSafeEqual(expectedDigest, presentedDigest);
}

/** Rejects a token that is missing, too short or has surrounding whitespace. */
export function validateToken(token: string | undefined, source: string): string {
  if (token === undefined || token.length < MIN_TOKEN_LENGTH || token.trim() !== token) {
    throw new InvalidOptionError(
      source,
      `a cluster token of at least ${MIN_TOKEN_LENGTH} characters without surrounding whitespace`,
      token === undefined ? undefined : `(${token.length} characters)`,
    );
  }
  return token;
}

/** Extracts the token from an `authorization` metadata value of the form `Bearer <token>`. */
export function bearerToken(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const match = /^Bearer (.+)$/.exec(value);
  return match?.[1];
}
