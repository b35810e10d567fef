import type { BackendClient, CallOptions } from '../../src/backend/backend-client.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../../src/backend/protocol.js';
import { BackendCallError } from '../../src/errors.js';

/**
 * A connection of its own to an in-process backend. Each router closes its connections
 * when a replica goes, and that must not close the backend's own client for other routers.
 */
export class ForwardingBackendClient implements BackendClient {
  private closed = false;

  constructor(
    readonly address: string,
    private readonly target: BackendClient | undefined,
  ) {}

  health(options?: CallOptions): Promise<boolean> {
    return this.call('Health', (t) => t.health(options));
  }
  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    return this.call('LoadModel', (t) => t.loadModel(request, options));
  }
  predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    return this.call('Predict', (t) => t.predict(request, options));
  }
  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.call('PredictStream', (t) => t.predictStream(request, onReply, options));
  }
  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.call('Embedding', (t) => t.embedding(request, options));
  }
  free(options?: CallOptions): Promise<void> {
    return this.call('Free', (t) => t.free(options));
  }
  status(options?: CallOptions): Promise<StatusResponse> {
    return this.call('Status', (t) => t.status(options));
  }
  close(): void {
    this.closed = true;
  }

  private call<T>(method: string, operation: (target: BackendClient) => Promise<T>): Promise<T> {
    if (this.closed || !this.target) {
      const why = this.closed ? 'the client channel is closed' : 'no backend listens at this address';
      return Promise.reject(new BackendCallError(method, this.address, 'connection', why));
    }
    return operation(this.target);
  }
}
