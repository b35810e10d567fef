import type { Clock } from '../../clock/clock.js';
import { BackendCallError, BackendExitedError } from '../../errors.js';
import type { BackendClient, CallOptions } from '../backend-client.js';
import type {
  BackendExit,
  BackendLauncher,
  BackendProcess,
  LaunchRequest,
} from '../backend-launcher.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../protocol.js';

/** Behaviour of an in-memory backend. Every field is optional, and times are clock ms. */
export interface InMemoryBehaviour {
  /** Time from launch to the first healthy `Health`. Default 0. */
  startMs?: number;
  /** Time `LoadModel` takes. Default 0. */
  loadMs?: number;
  /** Time each inference call takes. Default 0. */
  callMs?: number;
  /** `LoadModel` returns success=false with this message. */
  failLoad?: string;
  /** The process exits before it is ready, with this code and stderr line. */
  exitBeforeReady?: { exitCode: number; stderr: string };
  /** Inference calls never finish (until the process stops). */
  hangCalls?: boolean;
  /** `Health` fails with a connection error (a remote that went away). */
  refuseConnections?: boolean;
}

/** A launch the in-memory launcher saw, for assertions. */
export interface InMemoryLaunch {
  modelId: string;
  backend: string;
  process: InMemoryBackendProcess;
}

/**
 * A `BackendLauncher` whose backends live in memory and take their time from the clock.
 * It records every spawn and `LoadModel`, which the loader's property tests count.
 */
export class InMemoryBackendLauncher implements BackendLauncher {
  readonly launches: InMemoryLaunch[] = [];
  private nextPid = 1000;

  constructor(
    private readonly clock: Clock,
    private readonly behaviourOf: (modelId: string, backend: string) => InMemoryBehaviour = () => ({}),
  ) {}

  async launch(request: LaunchRequest): Promise<BackendProcess> {
    const behaviour = this.behaviourOf(request.modelId, request.backend.name);
    const process = new InMemoryBackendProcess(
      request.modelId,
      request.backend.name,
      request.backend.address !== undefined,
      this.nextPid++,
      behaviour,
      this.clock,
    );
    this.launches.push({ modelId: request.modelId, backend: request.backend.name, process });
    if (behaviour.startMs) {
      try {
        await this.clock.sleep(behaviour.startMs, request.signal);
      } catch (error) {
        await process.stop();
        throw error;
      }
    }
    if (behaviour.exitBeforeReady) {
      const { exitCode, stderr } = behaviour.exitBeforeReady;
      process.exit(exitCode, false);
      throw new BackendExitedError(request.modelId, exitCode, null, stderr);
    }
    if (request.signal?.aborted) {
      await process.stop();
      throw request.signal.reason;
    }
    return process;
  }

  /** Launches whose process has not exited. */
  running(): InMemoryLaunch[] {
    return this.launches.filter((l) => l.process.isRunning());
  }

  /** Count of `LoadModel` calls for a model, over all its processes. */
  loadModelCalls(modelId: string): number {
    return this.launches.filter((l) => l.modelId === modelId).reduce((sum, l) => sum + l.process.loadModelCalls, 0);
  }
}

/** A simulated backend process; `crash()` makes it exit as a real crash would. */
export class InMemoryBackendProcess implements BackendProcess {
  readonly client: InMemoryBackendClient;
  readonly address: string;
  loadModelCalls = 0;
  private running = true;
  private readonly exitListeners = new Set<(exit: BackendExit) => void>();

  constructor(
    readonly modelId: string,
    readonly backend: string,
    readonly attached: boolean,
    readonly pid: number,
    behaviour: InMemoryBehaviour,
    clock: Clock,
  ) {
    this.address = `memory://${backend}/${modelId}/${pid}`;
    this.client = new InMemoryBackendClient(this, behaviour, clock);
  }

  isRunning(): boolean {
    return this.running;
  }

  async stop(): Promise<void> {
    this.exit(0, true);
  }

  /** Simulates a crash: the process exits with `exitCode` and in-flight calls fail. */
  crash(exitCode = 1): void {
    this.exit(exitCode, false);
  }

  exit(exitCode: number, intentional: boolean): void {
    if (!this.running) return;
    this.running = false;
    this.client.failInFlight();
    for (const listener of this.exitListeners) listener({ exitCode, signal: null, intentional });
  }

  onExit(listener: (exit: BackendExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  recentOutput(): readonly string[] {
    return [];
  }
}

/** The client of an `InMemoryBackendProcess`. */
export class InMemoryBackendClient implements BackendClient {
  private readonly inFlight = new Set<(error: Error) => void>();

  constructor(
    private readonly process: InMemoryBackendProcess,
    private readonly behaviour: InMemoryBehaviour,
    private readonly clock: Clock,
  ) {}

  get address(): string {
    return this.process.address;
  }

  async health(): Promise<boolean> {
    this.ensureReachable('Health');
    if (this.behaviour.refuseConnections) {
      throw new BackendCallError('Health', this.address, 'connection', 'connection refused');
    }
    return true;
  }

  async loadModel(_request: ModelOptions): Promise<Result> {
    this.ensureReachable('LoadModel');
    this.process.loadModelCalls += 1;
    await this.run('LoadModel', this.behaviour.loadMs ?? 0);
    if (this.behaviour.failLoad !== undefined) return { success: false, message: this.behaviour.failLoad };
    return { success: true, message: 'loaded' };
  }

  async predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    await this.infer('Predict', options);
    return reply(request);
  }

  async predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    await this.infer('PredictStream', options);
    onReply(reply(request));
  }

  async embedding(_request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    await this.infer('Embedding', options);
    return { embeddings: [0.5, 0.25] };
  }

  async free(): Promise<void> {
    this.ensureReachable('Free');
  }

  async status(): Promise<StatusResponse> {
    this.ensureReachable('Status');
    return { state: this.inFlight.size > 0 ? 'BUSY' : 'READY' };
  }

  close(): void {}

  /** Rejects every in-flight call with a connection error, as a dying process does. */
  failInFlight(): void {
    for (const fail of [...this.inFlight]) fail(new BackendCallError('call', this.address, 'connection', 'backend exited'));
  }

  private async infer(method: string, options?: CallOptions): Promise<void> {
    this.ensureReachable(method);
    await this.run(method, this.behaviour.hangCalls ? Number.POSITIVE_INFINITY : (this.behaviour.callMs ?? 0), options);
  }

  private run(method: string, durationMs: number, options?: CallOptions): Promise<void> {
    // A real clock's zero-delay timer still waits about 1 ms, which benchmarks would measure.
    if (options?.signal?.aborted) {
      return Promise.reject(new BackendCallError(method, this.address, 'other', 'cancelled'));
    }
    if (durationMs === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        this.inFlight.delete(finish);
        timer?.cancel();
        if (error) reject(error);
        else resolve();
      };
      this.inFlight.add(finish);
      const timer = Number.isFinite(durationMs) ? this.clock.setTimer(durationMs, () => finish()) : undefined;
      options?.signal?.addEventListener('abort', () => finish(new BackendCallError(method, this.address, 'other', 'cancelled')), {
        once: true,
      });
    });
  }

  private ensureReachable(method: string): void {
    if (!this.process.isRunning()) {
      throw new BackendCallError(method, this.address, 'connection', 'connection refused');
    }
  }
}

function reply(request: PredictOptions): Reply {
  const tokens = request.Tokens ?? 1;
  return {
    message: new TextEncoder().encode(`echo:${request.Prompt ?? ''}`),
    tokens,
    prompt_tokens: (request.Prompt ?? '').length,
    timing_prompt_processing: 0,
    timing_token_generation: 0,
  };
}
