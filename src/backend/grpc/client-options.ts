import { InvalidOptionError } from '../../errors.js';
import type { Clock } from '../../clock/clock.js';
import { RealClock } from '../../clock/real-clock.js';
import { MAX_MESSAGE_BYTES } from './channel-options.js';

/** Settings of a `GrpcBackendClient`; every field is optional. */
export interface GrpcBackendClientOptions {
  /** Whether the backend serves calls in parallel; when false, calls run one at a time. Default true. */
  parallel?: boolean;
  /** Source of time for queue waits. Default `RealClock`. */
  clock?: Clock;
  /** Default deadline of `Health`, in ms. Default 2 000. */
  healthDeadlineMs?: number;
  /** Default deadline of `LoadModel`, in ms. Default 600 000, because large models load from slow disks. */
  loadModelDeadlineMs?: number;
  /** Default deadline of `Predict`, `PredictStream` and `Embedding`, in ms. Default 300 000. */
  inferenceDeadlineMs?: number;
  /** Default deadline of `Free`, in ms. Default 30 000. */
  freeDeadlineMs?: number;
  /** Default deadline of `Status`, in ms. Default 5 000. */
  statusDeadlineMs?: number;
  /** Largest message sent or received, in bytes. Default 50 MiB. */
  maxMessageBytes?: number;
  /** First wait before reconnecting after a failed connection, in ms. Default 10. */
  reconnectBackoffInitialMs?: number;
  /**
   * Maximum wait between reconnection attempts, in ms. Default 50, because readiness
   * polling reuses this channel: with a larger cap, a backend that takes two seconds to
   * start is seen up to the cap later. A backend that goes away is evicted and its channel
   * closed, so the fast retries do not go on for long.
   */
  reconnectBackoffMaxMs?: number;
}

export type ResolvedGrpcBackendClientOptions = Readonly<Required<GrpcBackendClientOptions>>;

/** Fills in defaults and checks ranges once, naming the option that is out of range. */
export function resolveClientOptions(options: GrpcBackendClientOptions = {}): ResolvedGrpcBackendClientOptions {
  const resolved = {
    parallel: options.parallel ?? true,
    clock: options.clock ?? new RealClock(),
    healthDeadlineMs: options.healthDeadlineMs ?? 2_000,
    loadModelDeadlineMs: options.loadModelDeadlineMs ?? 600_000,
    inferenceDeadlineMs: options.inferenceDeadlineMs ?? 300_000,
    freeDeadlineMs: options.freeDeadlineMs ?? 30_000,
    statusDeadlineMs: options.statusDeadlineMs ?? 5_000,
    maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    reconnectBackoffInitialMs: options.reconnectBackoffInitialMs ?? 10,
    reconnectBackoffMaxMs: options.reconnectBackoffMaxMs ?? 50,
  };
  const positive = [
    'healthDeadlineMs',
    'loadModelDeadlineMs',
    'inferenceDeadlineMs',
    'freeDeadlineMs',
    'statusDeadlineMs',
    'maxMessageBytes',
    'reconnectBackoffInitialMs',
    'reconnectBackoffMaxMs',
  ] as const;
  for (const name of positive) {
    checkDeadline(name, resolved[name]);
  }
  if (resolved.reconnectBackoffMaxMs < resolved.reconnectBackoffInitialMs) {
    throw new InvalidOptionError('reconnectBackoffMaxMs', 'at least reconnectBackoffInitialMs', resolved.reconnectBackoffMaxMs);
  }
  return Object.freeze(resolved);
}

/** Rejects a deadline or size that is not a positive finite number: every call must have a deadline. */
export function checkDeadline(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(name, 'a positive finite number', value);
  }
}
