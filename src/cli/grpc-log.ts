import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../util/logger.js';

/**
 * Sends grpc-js's own log lines through the command's logger instead of raw to stderr.
 * The bind failure line ("No address added ...") is dropped, because the command reports a
 * port in use itself, with the address.
 */
export function routeGrpcLogs(logger: Logger): void {
  const forward = (...parts: unknown[]): void => {
    const message = parts.map(String).join(' ');
    if (message.includes('No address added')) return;
    logger.warn('grpc-js', { message });
  };
  grpc.setLogger({ error: forward, info: forward, debug: forward } as unknown as Partial<Console>);
}
