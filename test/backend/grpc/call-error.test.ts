import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { classifyServiceError, toBackendCallError } from '../../../src/backend/grpc/call-error.js';
import { BackendCallError } from '../../../src/errors.js';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

describe('classifyServiceError', () => {
  const cases: Array<[status, string, string]> = [
    [status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1', 'connection'],
    [status.UNAVAILABLE, 'Connection dropped', 'connection'],
    [status.INTERNAL, 'read ECONNRESET', 'connection'],
    [status.CANCELLED, 'Call cancelled: socket hang up', 'connection'],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded after 1.001s', 'deadline'],
    [status.FAILED_PRECONDITION, 'no model is loaded', 'other'],
    [status.INTERNAL, 'Received RST_STREAM with code 2', 'other'],
  ];

  it.each(cases)('sorts code %i "%s" as %s', (code, details, kind) => {
    expect(classifyServiceError(serviceError(code, details))).toBe(kind);
  });
});

describe('toBackendCallError', () => {
  it('keeps the method, address and cause', () => {
    const cause = serviceError(status.UNAVAILABLE, 'Connection dropped');
    const error = toBackendCallError('Predict', '127.0.0.1:5000', cause);
    expect(error.method).toBe('Predict');
    expect(error.address).toBe('127.0.0.1:5000');
    expect(error.kind).toBe('connection');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain('UNAVAILABLE: Connection dropped');
  });

  it('passes a BackendCallError through unchanged', () => {
    const original = new BackendCallError('Free', 'a:1', 'other', 'refused');
    expect(toBackendCallError('Free', 'a:1', original)).toBe(original);
  });

  it('sorts a plain error as other', () => {
    expect(toBackendCallError('Health', 'a:1', new Error('boom')).kind).toBe('other');
  });
});
