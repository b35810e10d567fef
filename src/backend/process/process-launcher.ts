import { spawn } from 'node:child_process';
import type { BackendClient } from '../backend-client.js';
import type { BackendLauncher, BackendProcess, LaunchRequest } from '../backend-launcher.js';
import { BackendExitedError, BackendNotReadyError, BackendSpawnError, InvalidOptionError } from '../../errors.js';
import { GrpcBackendClient } from '../grpc/grpc-backend-client.js';
import { AttachedBackend } from './attached-backend.js';
import { resolveLauncherOptions, type ProcessLauncherOptions, type ResolvedProcessLauncherOptions } from './launcher-options.js';
import { OutputBuffer } from './output-buffer.js';
import { pollUntilHealthy, type ReadinessOutcome } from './readiness.js';
import { SpawnedBackend } from './spawned-backend.js';

/** A launch request with an optional `parallel` flag: whether the backend serves calls in parallel (default true). */
export interface ProcessLaunchRequest extends LaunchRequest {
  parallel?: boolean;
}

/** Picks of an unused port before taking whatever the picker returns; only a broken picker needs more. */
const MAX_PORT_PICKS = 20;

/**
 * Backends report a taken port this way: Go's `bind: address already in use`, Node's
 * EADDRINUSE, Python's errno 98. NOTE: when another process's gRPC backend holds the port,
 * it may answer a readiness poll before our child exits. The child's exit then shows up
 * as a crash after the launch, and the loader reloads the model.
 */
const ADDRESS_IN_USE = /address already in use|EADDRINUSE|Errno 98/i;

/**
 * Starts backends as child processes on loopback, or attaches to backends given by
 * address. A started backend gets `ARGS... --addr 127.0.0.1:PORT`, with no shell in
 * between; the configured arguments come first so that a subcommand such as
 * `node main.js backend` stays in front of its options.
 */
export class ProcessLauncher implements BackendLauncher {
  private readonly options: ResolvedProcessLauncherOptions;
  /** Ports of this launcher's backends that are starting or running. */
  private readonly portsInUse = new Set<number>();

  constructor(options?: ProcessLauncherOptions) {
    this.options = resolveLauncherOptions(options);
  }

  async launch(request: ProcessLaunchRequest): Promise<BackendProcess> {
    if (request.signal?.aborted) throw request.signal.reason;
    const { backend } = request;
    if (backend.address) return this.attach(request, backend.address);
    if (backend.executable) return this.spawnWithPortRetry(request, backend.executable);
    throw new InvalidOptionError(`backends.${backend.name}`, 'an object with "executable" or "address"', backend);
  }

  /** Attaches to a running backend once it answers `Health` with OK. */
  private async attach(request: ProcessLaunchRequest, address: string): Promise<BackendProcess> {
    const client = this.createClient(address, request);
    const outcome = await this.pollReadiness(client, this.options.attachTimeoutMs, request.signal);
    if (outcome.kind === 'ready') {
      this.options.logger.info('attached backend', { modelId: request.modelId, backend: request.backend.name, address });
      return new AttachedBackend(request.modelId, request.backend.name, address, client);
    }
    client.close();
    if (outcome.kind === 'aborted') throw request.signal?.reason;
    throw new BackendNotReadyError(request.modelId, address, this.options.attachTimeoutMs, outcome.attempts, outcome.lastError);
  }

  /** Spawns the backend; when it reports its port taken, retries on a new port. */
  private async spawnWithPortRetry(request: ProcessLaunchRequest, executable: string): Promise<BackendProcess> {
    for (let attempt = 1; ; attempt++) {
      const port = await this.reservePort();
      try {
        const backend = await this.spawnOnce(request, executable, port);
        backend.onExit(() => this.portsInUse.delete(port));
        return backend;
      } catch (error) {
        this.portsInUse.delete(port);
        if (!(error instanceof PortTakenError) || attempt >= this.options.portAttempts) {
          throw error instanceof PortTakenError ? error.exitError : error;
        }
        this.options.logger.warn('backend port already in use; retrying with another port', {
          modelId: request.modelId,
          port,
          attempt,
        });
      }
    }
  }

  /**
   * Picks a port no backend of this launcher uses. The kernel may hand a just-released
   * port out again, and two of our own backends on one port would let one answer the
   * other's readiness polls.
   */
  private async reservePort(): Promise<number> {
    for (let tries = 1; ; tries++) {
      const port = await this.options.findPort();
      if (!this.portsInUse.has(port) || tries >= MAX_PORT_PICKS) {
        this.portsInUse.add(port);
        return port;
      }
    }
  }

  /**
   * Starts one process and waits until it is ready. Steps: spawn and register the child,
   * poll `Health` until OK, the process exits, the caller aborts or the time runs out,
   * then return the backend or stop it and throw.
   */
  private async spawnOnce(request: ProcessLaunchRequest, executable: string, port: number): Promise<BackendProcess> {
    const { modelId, backend } = request;
    const address = `127.0.0.1:${port}`;
    const startedMs = this.options.clock.now();
    const spawned = this.spawnChild(request, executable, address);
    this.options.logger.info('started backend process', { modelId, backend: backend.name, address, pid: spawned.pid });

    const stopPolling = new AbortController();
    const abortPolling = (): void => stopPolling.abort();
    spawned.exitSignal.addEventListener('abort', abortPolling, { once: true });
    request.signal?.addEventListener('abort', abortPolling, { once: true });
    let outcome: ReadinessOutcome;
    try {
      outcome = await this.pollReadiness(spawned.client, this.options.readyTimeoutMs, stopPolling.signal);
    } finally {
      spawned.exitSignal.removeEventListener('abort', abortPolling);
      request.signal?.removeEventListener('abort', abortPolling);
    }

    if (outcome.kind === 'ready') {
      const readyAfterMs = this.options.clock.now() - startedMs;
      this.options.logger.info('backend ready', { modelId, address, pid: spawned.pid, readyAfterMs, attempts: outcome.attempts });
      return spawned;
    }
    if (request.signal?.aborted) {
      await spawned.stop({ force: true });
      throw request.signal.reason;
    }
    if (outcome.kind === 'timed-out') {
      await spawned.stop({ force: true });
      throw new BackendNotReadyError(modelId, address, this.options.readyTimeoutMs, outcome.attempts, outcome.lastError);
    }
    throw await this.exitedEarlyError(spawned, executable);
  }

  private spawnChild(request: ProcessLaunchRequest, executable: string, address: string): SpawnedBackend {
    const output = new OutputBuffer(this.options.outputMaxLines);
    const child = spawn(executable, [...(request.backend.args ?? []), '--addr', address], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.options.env,
      shell: false,
    });
    child.stdout?.on('data', (chunk: Buffer) => output.append('stdout', chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.append('stderr', chunk));
    if (child.pid !== undefined) this.options.registry.add(child);

    return new SpawnedBackend({
      modelId: request.modelId,
      backend: request.backend.name,
      address,
      child,
      client: this.createClient(address, request),
      output,
      clock: this.options.clock,
      logger: this.options.logger,
      stopGraceMs: this.options.stopGraceMs,
      outputDrainMs: this.options.outputDrainMs,
    });
  }

  private async exitedEarlyError(spawned: SpawnedBackend, executable: string): Promise<Error> {
    const exit = await spawned.whenExited();
    if (spawned.spawnError) return new BackendSpawnError(spawned.modelId, executable, { cause: spawned.spawnError });
    const lines = spawned.recentOutput();
    const error = new BackendExitedError(spawned.modelId, exit.exitCode, exit.signal, spawned.lastStderrLine());
    return lines.some((line) => ADDRESS_IN_USE.test(line)) ? new PortTakenError(error) : error;
  }

  private pollReadiness(client: BackendClient, timeoutMs: number, signal: AbortSignal | undefined): Promise<ReadinessOutcome> {
    return pollUntilHealthy(client, {
      clock: this.options.clock,
      timeoutMs,
      initialDelayMs: this.options.readyPollInitialMs,
      maxDelayMs: this.options.readyPollMaxMs,
      healthDeadlineMs: this.options.readyHealthDeadlineMs,
      ...(signal && { signal }),
    });
  }

  private createClient(address: string, request: ProcessLaunchRequest): GrpcBackendClient {
    return new GrpcBackendClient(address, { ...this.options.client, parallel: request.parallel ?? true });
  }
}

/** The early exit of a backend whose port was taken; caught inside the launcher to retry. */
class PortTakenError extends Error {
  constructor(readonly exitError: BackendExitedError) {
    super(exitError.message);
  }
}
