import { status, type ServiceError } from '@grpc/grpc-js';
import { BackendCallError, type BackendCallFailureKind } from '../../errors.js';

/**
 * Details of errors that mean the connection itself failed. grpc-js reports most of them
 * as UNAVAILABLE, but a connection reset in the middle of a call can also surface as
 * INTERNAL or CANCELLED with the socket error in its details.
 */
const CONNECTION_DETAILS = /ECONNREFUSED|ECONNRESET|EPIPE|ENOTCONN|socket hang up|connection (?:dropped|refused|reset|closed)/i;

/** Sorts a failed call into connection loss, a passed deadline, or anything else. */
export function classifyServiceError(error: ServiceError): BackendCallFailureKind {
  if (error.code === status.DEADLINE_EXCEEDED) return 'deadline';
  if (error.code === status.UNAVAILABLE) return 'connection';
  if (CONNECTION_DETAILS.test(error.details ?? error.message)) return 'connection';
  return 'other';
}

/** True for errors grpc-js produced from a call status. */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/** Wraps any failure of `method` in a `BackendCallError`, keeping the original as `cause`. */
export function toBackendCallError(method: string, address: string, error: unknown): BackendCallError {
  if (error instanceof BackendCallError) return error;
  if (isServiceError(error)) {
    const detail = `${status[error.code] ?? error.code}: ${error.details || error.message}`;
    return new BackendCallError(method, address, classifyServiceError(error), detail, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new BackendCallError(method, address, 'other', detail, { cause: error });
}
