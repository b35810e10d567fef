import type { BackendClient, CallOptions } from '../backend/backend-client.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../backend/protocol.js';
import type { Clock } from '../clock/clock.js';
import type { ModelUsage } from '../watchdog/model-usage.js';
import { BackendCallError } from '../errors.js';

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
    return this.track('Predict', () => this.inner.predict(request, options), options?.signal);
  }

  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.track('PredictStream', () => this.inner.predictStream(request, onReply, options), options?.signal);
  }

  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.track('Embedding', () => this.inner.embedding(request, options), options?.signal);
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

  private async track<T>(method: string, call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    // Counted synchronously, before any await, so an eviction planned in the same tick sees the call.
    const endCall = this.usage.startCall(() => this.clock.now());
    try {
      const releaseTurn = await this.waitForTurn(method, signal);
      try {
        return await call();
      } finally {
        releaseTurn();
      }
    } finally {
      endCall();
    }
  }

  /**
   * Waits until earlier calls to a non-parallel backend are done. A call cancelled while it
   * waits leaves the queue at once, so it no longer counts as in flight.
   */
  private async waitForTurn(method: string, signal: AbortSignal | undefined): Promise<() => void> {
    if (this.queueTail === undefined) return () => {};
    const previous = this.queueTail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A cancelled waiter must not hold up later calls, so the queue continues past it once its predecessor ends.
    this.queueTail = previous.then(() => mine);
    if (!signal) {
      await previous;
      return release;
    }
    try {
      await abortable(previous, signal);
    } catch (error) {
      void previous.then(release);
      throw new BackendCallError(method, this.address, 'other', 'cancelled while waiting for earlier calls', { cause: error });
    }
    return release;
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
