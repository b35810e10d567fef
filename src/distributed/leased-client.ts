import type { BackendClient, CallOptions } from '../backend/backend-client.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../backend/protocol.js';
import type { Clock, Timer } from '../clock/clock.js';
import type { ReplicaLease, ReplicaSource } from './replica-source.js';

/**
 * The client a router hands out for one routed request. The pick already counted one
 * call on the replica; the first inference call uses that count and every later call
 * counts its own. Each count is released when its call ends, whether the call succeeded,
 * failed or was cancelled.
 *
 * A pick whose call never comes (the caller gave up between load and call) is released
 * after `pickLeaseTimeoutMs` or on `close()`. `close()` leaves the backend channel open,
 * because the router shares it with every request to that replica.
 */
export class LeasedBackendClient implements BackendClient {
  /** The pick's count, until the first call takes it or it is released unused. */
  private pickLease: ReplicaLease | undefined;
  private readonly pickTimer: Timer | undefined;
  private readonly replica: ReplicaLease['replica'];

  constructor(
    private readonly inner: BackendClient,
    lease: ReplicaLease,
    private readonly source: ReplicaSource,
    clock: Clock,
    pickLeaseTimeoutMs: number,
  ) {
    this.pickLease = lease;
    this.replica = lease.replica;
    this.pickTimer = pickLeaseTimeoutMs > 0 ? clock.setTimer(pickLeaseTimeoutMs, () => this.releasePick()) : undefined;
  }

  get address(): string {
    return this.inner.address;
  }

  health(options?: CallOptions): Promise<boolean> {
    return this.inner.health(options);
  }
  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    return this.inner.loadModel(request, options);
  }
  predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    return this.counted(() => this.inner.predict(request, options));
  }
  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.counted(() => this.inner.predictStream(request, onReply, options));
  }
  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.counted(() => this.inner.embedding(request, options));
  }
  free(options?: CallOptions): Promise<void> {
    return this.inner.free(options);
  }
  status(options?: CallOptions): Promise<StatusResponse> {
    return this.inner.status(options);
  }

  /** Releases an unused pick. Idempotent. */
  close(): void {
    this.releasePick();
  }

  private async counted<T>(call: () => Promise<T>): Promise<T> {
    const lease = this.takePick() ?? this.source.acquireAgain(this.replica);
    try {
      return await call();
    } finally {
      lease.release();
    }
  }

  private takePick(): ReplicaLease | undefined {
    const lease = this.pickLease;
    this.pickLease = undefined;
    this.pickTimer?.cancel();
    return lease;
  }

  private releasePick(): void {
    this.takePick()?.release();
  }
}
