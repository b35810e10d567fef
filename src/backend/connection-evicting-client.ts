import { BackendCallError } from '../errors.js';
import type { BackendClient, CallOptions } from './backend-client.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from './protocol.js';

/**
 * A client of a remote (attached) backend that evicts its model on the first connection
 * error: the error still reaches the caller, and the next request loads afresh.
 * Deadlines do not evict, because a busy backend misses them too.
 */
export class ConnectionEvictingClient implements BackendClient {
  private evicted = false;

  constructor(
    private readonly inner: BackendClient,
    private readonly onConnectionError: () => void,
  ) {}

  get address(): string {
    return this.inner.address;
  }

  health(options?: CallOptions): Promise<boolean> {
    return this.watch(this.inner.health(options));
  }
  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    return this.watch(this.inner.loadModel(request, options));
  }
  predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    return this.watch(this.inner.predict(request, options));
  }
  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.watch(this.inner.predictStream(request, onReply, options));
  }
  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.watch(this.inner.embedding(request, options));
  }
  free(options?: CallOptions): Promise<void> {
    return this.watch(this.inner.free(options));
  }
  status(options?: CallOptions): Promise<StatusResponse> {
    return this.watch(this.inner.status(options));
  }
  close(): void {
    this.inner.close();
  }

  private async watch<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (!this.evicted && error instanceof BackendCallError && error.kind === 'connection') {
        this.evicted = true;
        this.onConnectionError();
      }
      throw error;
    }
  }
}
