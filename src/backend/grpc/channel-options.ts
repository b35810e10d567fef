import type { ChannelOptions } from '@grpc/grpc-js';

/** The largest message either side sends or accepts: 50 MiB, as the backend protocol allows. */
export const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

/** Settings of one client channel. */
export interface ChannelSettings {
  maxMessageBytes: number;
  /** First wait before reconnecting after a failed connection attempt, in ms. */
  reconnectBackoffInitialMs: number;
  /** Maximum wait between reconnection attempts, in ms. */
  reconnectBackoffMaxMs: number;
}

/** Translates settings into grpc-js channel options. */
export function toChannelOptions(settings: ChannelSettings): ChannelOptions {
  return {
    'grpc.max_send_message_length': settings.maxMessageBytes,
    'grpc.max_receive_message_length': settings.maxMessageBytes,
    // grpc-js 1.14 waits 1 s before its first reconnection by default and grows the wait
    // up to 2 minutes, which would hide a backend that becomes ready during that wait.
    'grpc.initial_reconnect_backoff_ms': settings.reconnectBackoffInitialMs,
    'grpc.max_reconnect_backoff_ms': settings.reconnectBackoffMaxMs,
  };
}
