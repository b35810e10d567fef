import * as grpc from '@grpc/grpc-js';
import type { BackendClient, CallOptions } from '../backend-client.js';
import type {
  EmbeddingResult,
  ModelOptions,
  PredictOptions,
  Reply,
  Result,
  StatusResponse,
} from '../protocol.js';
import { BackendCallError } from '../../errors.js';
import { loadBackendService } from './backend-proto.js';
import { isServiceError, toBackendCallError } from './call-error.js';
import { CallQueue } from './call-queue.js';
import { toChannelOptions } from './channel-options.js';
import {
  checkDeadline,
  resolveClientOptions,
  type GrpcBackendClientOptions,
  type ResolvedGrpcBackendClientOptions,
} from './client-options.js';
import { wallClockDeadline } from './deadline.js';

type RpcName = 'Health' | 'LoadModel' | 'Predict' | 'PredictStream' | 'Embedding' | 'Free' | 'Status';

type UnaryStub = (
  request: object,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

type ServerStreamStub = (request: object, options: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

/** How a call is made: its default deadline and whether it waits for its turn on a non-parallel backend. */
interface CallPlan {
  rpc: RpcName;
  defaultDeadlineMs: number;
  /** Inference calls take turns on a non-parallel backend; health and control calls do not. */
  takesTurn: boolean;
}

/**
 * A `BackendClient` over one gRPC channel, kept open until `close()`. Every call has a
 * deadline; failures reject with `BackendCallError`, whose `kind` tells a lost
 * connection from a passed deadline.
 */
export class GrpcBackendClient implements BackendClient {
  readonly address: string;
  private readonly options: ResolvedGrpcBackendClientOptions;
  private readonly stub: grpc.Client;
  /** Present only for non-parallel backends. */
  private readonly queue: CallQueue | undefined;
  private closed = false;

  constructor(address: string, options?: GrpcBackendClientOptions) {
    this.address = address;
    this.options = resolveClientOptions(options);
    const { Client } = loadBackendService();
    this.stub = new Client(address, grpc.credentials.createInsecure(), toChannelOptions(this.options));
    this.queue = this.options.parallel ? undefined : new CallQueue();
  }

  async health(options?: CallOptions): Promise<boolean> {
    const plan = { rpc: 'Health', defaultDeadlineMs: this.options.healthDeadlineMs, takesTurn: false } as const;
    const reply = await this.unary<Reply>(plan, {}, options);
    return Buffer.from(reply.message).toString('utf8') === 'OK';
  }

  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    const plan = { rpc: 'LoadModel', defaultDeadlineMs: this.options.loadModelDeadlineMs, takesTurn: false } as const;
    return this.unary<Result>(plan, request, options);
  }

  predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    return this.unary<Reply>(this.inferencePlan('Predict'), request, options);
  }

  predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    return this.withTurn(this.inferencePlan('PredictStream'), options, (deadlineMs) =>
      this.serverStream(request, onReply, deadlineMs, options?.signal),
    );
  }

  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.unary<EmbeddingResult>(this.inferencePlan('Embedding'), request, options);
  }

  async free(options?: CallOptions): Promise<void> {
    const plan = { rpc: 'Free', defaultDeadlineMs: this.options.freeDeadlineMs, takesTurn: false } as const;
    let result: Result;
    try {
      result = await this.unary<Result>(plan, {}, options);
    } catch (error) {
      // Many backends do not implement Free; they release the model when they exit.
      if (isUnimplemented(error)) return;
      throw error;
    }
    if (!result.success) {
      throw new BackendCallError('Free', this.address, 'other', `the backend reported failure: ${result.message || '(no message)'}`);
    }
  }

  async status(options?: CallOptions): Promise<StatusResponse> {
    const plan = { rpc: 'Status', defaultDeadlineMs: this.options.statusDeadlineMs, takesTurn: false } as const;
    const response = await this.unary<StatusResponse & { memory?: StatusResponse['memory'] | null }>(plan, {}, options);
    return response.memory ? { state: response.state, memory: response.memory } : { state: response.state };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stub.close();
  }

  private inferencePlan(rpc: 'Predict' | 'PredictStream' | 'Embedding'): CallPlan {
    return { rpc, defaultDeadlineMs: this.options.inferenceDeadlineMs, takesTurn: true };
  }

  private unary<T>(plan: CallPlan, request: object, options: CallOptions | undefined): Promise<T> {
    return this.withTurn(plan, options, (deadlineMs) => this.unaryCall<T>(plan.rpc, request, deadlineMs, options?.signal));
  }

  /**
   * Runs `call` with the time left of the deadline. Steps: check the client and the
   * deadline, wait for the turn when the backend is not parallel (the wait counts against
   * the deadline), run the call, and turn any failure into a `BackendCallError`.
   */
  private async withTurn<T>(plan: CallPlan, options: CallOptions | undefined, call: (deadlineMs: number) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new BackendCallError(plan.rpc, this.address, 'connection', 'the client is closed');
    }
    const deadlineMs = options?.deadlineMs ?? plan.defaultDeadlineMs;
    checkDeadline('deadlineMs', deadlineMs);
    const startedMs = this.options.clock.now();

    const release = plan.takesTurn && this.queue ? await this.waitForTurn(plan.rpc, deadlineMs, options?.signal) : undefined;
    try {
      const leftMs = deadlineMs - (this.options.clock.now() - startedMs);
      if (leftMs <= 0) {
        throw new BackendCallError(plan.rpc, this.address, 'deadline', `deadline of ${deadlineMs} ms passed while waiting for the previous call`);
      }
      return await call(leftMs);
    } catch (error) {
      if (options?.signal?.aborted && !(error instanceof BackendCallError)) {
        throw new BackendCallError(plan.rpc, this.address, 'other', 'cancelled by the caller', { cause: error });
      }
      throw toBackendCallError(plan.rpc, this.address, error);
    } finally {
      release?.();
    }
  }

  private async waitForTurn(rpc: RpcName, deadlineMs: number, signal: AbortSignal | undefined): Promise<() => void> {
    const queue = this.queue as CallQueue;
    const waitSignal = new AbortController();
    const deadlineTimer = this.options.clock.setTimer(deadlineMs, () => waitSignal.abort('deadline'));
    const onCallerAbort = (): void => waitSignal.abort('cancelled');
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (signal?.aborted) waitSignal.abort('cancelled');
    try {
      return await queue.acquire(waitSignal.signal);
    } catch {
      const deadlinePassed = waitSignal.signal.reason === 'deadline';
      throw new BackendCallError(
        rpc,
        this.address,
        deadlinePassed ? 'deadline' : 'other',
        deadlinePassed
          ? `deadline of ${deadlineMs} ms passed while waiting for the previous call`
          : 'cancelled by the caller while waiting for the previous call',
      );
    } finally {
      deadlineTimer.cancel();
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private unaryCall<T>(rpc: RpcName, request: object, deadlineMs: number, signal: AbortSignal | undefined): Promise<T> {
    const stub = this.stubMethod<UnaryStub>(rpc);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = stub(request, { deadline: wallClockDeadline(deadlineMs) }, (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response as T);
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private serverStream(
    request: PredictOptions,
    onReply: (reply: Reply) => void,
    deadlineMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const stub = this.stubMethod<ServerStreamStub>('PredictStream');
    return new Promise<void>((resolve, reject) => {
      const call = stub(request, { deadline: wallClockDeadline(deadlineMs) });
      // A listener that throws ends the stream; its error, not the cancellation, is reported.
      let listenerError: unknown;
      const onAbort = (): void => call.cancel();
      const settle = (): void => signal?.removeEventListener('abort', onAbort);
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('data', (reply: Reply) => {
        try {
          onReply(reply);
        } catch (error) {
          listenerError = error;
          call.cancel();
        }
      });
      call.on('error', (error: Error) => {
        settle();
        reject(listenerError ?? error);
      });
      call.on('status', (callStatus: grpc.StatusObject) => {
        if (callStatus.code !== grpc.status.OK) return;
        settle();
        resolve();
      });
    });
  }

  private stubMethod<T>(rpc: RpcName): T {
    const method = (this.stub as unknown as Record<RpcName, T & { bind(self: unknown): T }>)[rpc];
    return method.bind(this.stub);
  }
}

function isUnimplemented(error: unknown): boolean {
  const cause = error instanceof BackendCallError ? error.cause : error;
  return isServiceError(cause) && cause.code === grpc.status.UNIMPLEMENTED;
}
