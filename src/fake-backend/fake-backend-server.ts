import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../clock/clock.js';
import { RealClock } from '../clock/real-clock.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { loadBackendService } from '../backend/grpc/backend-proto.js';
import { MAX_MESSAGE_BYTES } from '../backend/grpc/channel-options.js';
import { LoaderLabError } from '../errors.js';
import { DEFAULT_FAKE_BEHAVIOUR, type FakeBehaviour } from './fake-behaviour.js';
import { FakeBackendService } from './fake-backend-service.js';
import { formatListenAddress, type ListenAddress } from './listen-address.js';

/** Settings of a fake backend server. */
export interface FakeBackendServerOptions {
  /** Behaviour before `LoadModel` options apply. Default `DEFAULT_FAKE_BEHAVIOUR`. */
  defaults?: Readonly<FakeBehaviour>;
  /** The fake replaces real hardware, so it runs on the real clock by default. */
  clock?: Clock;
  logger?: Logger;
  /** Ends the process for the `crash_after_calls` fault. Required: only the host process may exit. */
  crash: (reason: string) => void;
}

/**
 * The address is taken by another process. The message contains `address already in use`,
 * as real backends write on stderr, so a launcher retries on another port.
 */
export class AddressInUseError extends LoaderLabError {
  readonly code = 'ADDRESS_IN_USE';
  constructor(readonly address: string, options?: { cause?: unknown }) {
    super(`failed to listen on ${address}: address already in use; pick another port, or port 0 for a free one`, options);
  }
}

/** The gRPC server could not listen for another reason (permissions, unknown host). */
export class ListenFailedError extends LoaderLabError {
  readonly code = 'LISTEN_FAILED';
  constructor(readonly address: string, detail: string, options?: { cause?: unknown }) {
    super(`failed to listen on ${address}: ${detail}`, options);
  }
}

/** A running fake backend: a gRPC server for `backend.Backend` on one address. */
export class FakeBackendServer {
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: grpc.Server,
    /** `host:port` with the port actually bound, also when port 0 was requested. */
    readonly address: string,
    private readonly clock: Clock,
  ) {}

  /** Starts a server on `listen`; rejects with `AddressInUseError` or `ListenFailedError`. */
  static async start(listen: ListenAddress, options: FakeBackendServerOptions): Promise<FakeBackendServer> {
    const clock = options.clock ?? new RealClock();
    const service = new FakeBackendService({
      defaults: options.defaults ?? DEFAULT_FAKE_BEHAVIOUR,
      clock,
      logger: options.logger ?? silentLogger,
      crash: options.crash,
    });
    const server = new grpc.Server({
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    });
    server.addService(loadBackendService().definition, service.handlers());

    const requested = formatListenAddress(listen);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(requested, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
        if (error) reject(toListenError(requested, error));
        else resolve(boundPort);
      });
    });
    return new FakeBackendServer(server, formatListenAddress({ host: listen.host, port }), clock);
  }

  /**
   * Stops accepting calls and waits up to `graceMs` for running calls, then cancels the
   * rest (a hung call would otherwise block shutdown forever). Idempotent.
   */
  stop(graceMs = 1_000): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(graceMs, () => {
        this.server.forceShutdown();
        resolve();
      });
      this.server.tryShutdown(() => {
        timer.cancel();
        resolve();
      });
    });
    return this.stopping;
  }
}

function toListenError(address: string, error: Error): LoaderLabError {
  // grpc-js folds the socket error into its message rather than keeping its code.
  if (/EADDRINUSE|address already in use/i.test(error.message)) {
    return new AddressInUseError(address, { cause: error });
  }
  return new ListenFailedError(address, error.message, { cause: error });
}
