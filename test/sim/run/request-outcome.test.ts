import { describe, expect, it } from 'vitest';
import {
  AllReplicasBusyError,
  BackendCallError,
  LoadCooldownError,
  LoadFailedError,
  LoaderClosedError,
} from '../../../src/errors.js';
import { classifyFailure, RequestTimeoutError } from '../../../sim/run/request-outcome.js';

describe('classifyFailure', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['request timeout', new RequestTimeoutError('m', 10), 'timeout'],
    ['call deadline', new BackendCallError('predict', 'x', 'deadline', 'late'), 'timeout'],
    ['lost connection', new BackendCallError('predict', 'x', 'connection', 'gone'), 'backend-error'],
    ['cooldown', new LoadCooldownError('m', 1000, 1), 'cooldown'],
    ['busy cluster', new AllReplicasBusyError('m', 3), 'all-busy'],
    ['failed load', new LoadFailedError('m', 'sim', 'broken'), 'load-failed'],
    ['closed loader', new LoaderClosedError(), 'backend-error'],
    ['plain error', new TypeError('bug'), undefined],
  ];
  for (const [name, error, reason] of cases) {
    it(`maps a ${name}`, () => {
      expect(classifyFailure(error)).toBe(reason);
    });
  }
});
