import type { BackendClient, CallOptions } from '../backend/backend-client.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../backend/protocol.js';
import type { Clock } from '../clock/clock.js';
import type { ModelUsage } from '../watchdog/model-usage.js';

/**
 * The client the loader hands out for a resident model. Every inference call counts as
 * in flight in the model's usage from the moment it is made, including while it waits
 * for its turn on a backend that serves one call at a time.
 */
export class TrackedClient implements BackendClient {
  /** Tail of the queue of a non-parallel backend; undefined for parallel backends. */
  private queueTail: Promise<void> | undefined;

  constructor(
    private readonly inner: BackendClient,
    private readonly usage: ModelUsage,
    private readonly clock: Clock,
    parallel: boolean,
  ) {
    this.queueTail = parallel ? undefined : Promise.resolve();
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
    return this.track(() => this.inner.predict(request, options));
  }

  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.track(() => this.inner.predictStream(request, onReply, options));
  }

  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.track(() => this.inner.embedding(request, options));
  }

  free(options?: CallOptions): Promise<void> {
    return this.inner.free(options);
  }

  status(options?: CallOptions): Promise<StatusResponse> {
    return this.inner.status(options);
  }

  close(): void {
    this.inner.close();
  }

  private async track<T>(call: () => Promise<T>): Promise<T> {
    // Counted synchronously, before any await, so an eviction planned in the same tick sees the call.
    const endCall = this.usage.startCall(() => this.clock.now());
    const releaseTurn = await this.waitForTurn();
    try {
      return await call();
    } finally {
      releaseTurn();
      endCall();
    }
  }

  private async waitForTurn(): Promise<() => void> {
    if (this.queueTail === undefined) return () => {};
    const previous = this.queueTail;
    let release!: () => void;
    this.queueTail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }
}
