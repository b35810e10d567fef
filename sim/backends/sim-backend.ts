import type { Clock, Timer } from '../../src/clock/clock.js';
import { BackendCallError } from '../../src/errors.js';
import type { BackendClient, CallOptions } from '../../src/backend/backend-client.js';
import type { BackendExit, BackendProcess } from '../../src/backend/backend-launcher.js';
import type {
  EmbeddingResult,
  ModelOptions,
  PredictOptions,
  Reply,
  Result,
  StatusResponse,
} from '../../src/backend/protocol.js';
import type { Random } from '../../src/util/random.js';
import type { ServiceTime } from '../scenario/types.js';
import type { FaultInjector } from './faults.js';
import type { GpuMemoryPool } from './gpu-memory.js';
import { countPromptTokens } from './prompt.js';

/** Model properties a simulated backend serves by. */
export interface SimModel {
  modelId: string;
  sizeBytes: number;
  /** Time `LoadModel` takes, before jitter and slow-load faults. */
  loadMs: number;
  service: ServiceTime;
  /** Inference calls served at once; further calls wait in a FIFO queue. */
  parallelSlots: number;
}

/** The environment a simulated backend lives in; shared by every backend of one host. */
export interface SimBackendEnvironment {
  clock: Clock;
  memory: GpuMemoryPool;
  faults: FaultInjector;
  /** Uniform [0, 1) draws for jitter, one stream per model. */
  jitterRandom: Random;
  /** Load and service times are multiplied by a uniform factor in [1 - j, 1 + j]. */
  jitterFraction: number;
  /** Duration of a graceful stop (SIGTERM until exit). */
  stopMs: number;
  /** Returns the runner's facts about a call, by its `CorrelationId`; undefined when it has none. */
  requestFacts: (correlationId: string) => RequestFacts | undefined;
}

/**
 * Data of a replayed request besides its protocol fields. Virtual-time replays send no
 * prompt text, because building and counting it would cost more than the simulation itself,
 * so the prompt's token count travels here instead.
 */
export interface RequestFacts {
  /** Prompt tokens of the request, used when the call has no `Prompt`. */
  promptTokens?: number;
  /** Service time the trace recorded; it replaces the model's service time for this call. */
  serviceMs?: number;
}

/** Lines kept by `recentOutput()`. */
const OUTPUT_LINES = 20;

const EMPTY_MESSAGE = new Uint8Array(0);

/**
 * A unit of timed work: a `LoadModel`, a health check or an inference call. A hang freezes
 * every unit (its remaining time is kept) and the end of the hang resumes them.
 */
interface Work {
  remainingMs: number;
  endsAtMs: number;
  timer: Timer | undefined;
  /** Inference calls take a slot; loads and health checks do not. */
  needsSlot: boolean;
  /** True once the caller got its result or error (deadline, abort or exit). */
  answered: boolean;
  /** True once the work finished or was dropped; a finished slot call frees its slot. */
  done: boolean;
  complete: () => void;
  fail: (error: unknown) => void;
  cleanup: () => void;
}

/**
 * One simulated backend process serving one model, with its client. Times come from the
 * clock, so on a virtual clock a replay takes no wall time. The backend:
 * - takes `loadMs` (times jitter and slow-load faults) to complete `LoadModel`, and reserves
 *   the model's size in the host's GPU memory first (a load that does not fit fails at
 *   once, an injected load failure after the load time);
 * - serves `parallelSlots` inference calls at once, queueing the rest first in, first out;
 * - takes `serviceMs`, or output tokens / tokens per second plus prompt tokens / prompt
 *   tokens per second, per call, unless the trace recorded the call's service time;
 * - honours call deadlines and abort signals. A call that times out while running keeps
 *   its slot until its service ends, because a real backend never learns of the deadline;
 * - obeys crash, hang and refuse-connection faults, and on exit fails every pending call
 *   with a connection error and releases its memory.
 */
export class SimBackend implements BackendProcess {
  readonly pid = undefined;
  readonly attached = false;
  readonly client: BackendClient;

  private state: 'running' | 'exited' = 'running';
  private intentionalStop = false;
  private stopPromise: Promise<void> | undefined;
  private hung = false;
  private loaded = false;
  private readonly queue: Work[] = [];
  private queueHead = 0;
  private readonly active = new Set<Work>();
  private slotsInUse = 0;
  private readonly exitListeners = new Set<(exit: BackendExit) => void>();
  private readonly output: string[] = [];

  constructor(
    readonly modelId: string,
    readonly backend: string,
    readonly address: string,
    private readonly model: SimModel,
    private readonly env: SimBackendEnvironment,
  ) {
    this.client = new SimBackendClient(this);
    this.hung = env.faults.checkHung(modelId);
    this.log(`simulated backend for ${modelId} listening on ${address}`);
  }

  isRunning(): boolean {
    return this.state !== 'exited';
  }

  /** Inference calls in service now. */
  get callsInService(): number {
    return this.slotsInUse;
  }

  /** Inference calls waiting for a slot. */
  get callsQueued(): number {
    let queued = 0;
    for (let i = this.queueHead; i < this.queue.length; i++) if (!this.queue[i]!.done) queued += 1;
    return queued;
  }

  stop(options: { force?: boolean } = {}): Promise<void> {
    this.intentionalStop = true;
    if (this.state === 'exited') return Promise.resolve();
    if (options.force) {
      this.exit(null, 'SIGKILL');
      return Promise.resolve();
    }
    this.stopPromise ??= this.env.clock.sleep(this.env.stopMs).then(() => this.exit(0, null));
    return this.stopPromise;
  }

  onExit(listener: (exit: BackendExit) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  recentOutput(): readonly string[] {
    return [...this.output];
  }

  /** Ends the process as a crash would (SIGSEGV, not intentional). */
  crash(): void {
    if (this.state === 'exited') return;
    this.log('fatal: segmentation fault');
    this.exit(null, 'SIGSEGV');
  }

  /** Freezes or resumes all timed work, for hang faults. */
  setHung(hung: boolean): void {
    if (this.state === 'exited' || this.hung === hung) return;
    this.hung = hung;
    const nowMs = this.env.clock.now();
    for (const work of this.active) {
      if (hung) {
        work.timer?.cancel();
        work.timer = undefined;
        work.remainingMs = Math.max(0, work.endsAtMs - nowMs);
      } else {
        this.schedule(work);
      }
    }
    if (!hung) this.startQueued();
  }

  // ---- client operations, called by SimBackendClient ----

  health(options: CallOptions | undefined): Promise<boolean> {
    return this.run('health', 0, false, options).then(() => true);
  }

  async loadModel(request: ModelOptions, options: CallOptions | undefined): Promise<Result> {
    this.checkReachable('loadModel');
    const loadMs = this.jitter(this.model.loadMs) * this.env.faults.loadTimeFactor(this.modelId);
    if (this.env.faults.takeLoadFailure(this.modelId)) {
      // Like the fake backend, an injected failure is reported once the load time has passed.
      await this.run('loadModel', loadMs, false, options);
      this.log(`failed to load ${request.ModelFile ?? this.modelId}: injected load failure`);
      return { success: false, message: 'failed to load model: injected load failure' };
    }
    if (!this.env.memory.tryReserve(this.address, this.model.sizeBytes)) {
      const message =
        `out of GPU memory: model ${this.modelId} needs ${this.model.sizeBytes} bytes, ` +
        `${this.env.memory.freeBytes} of ${this.env.memory.totalBytes} bytes are free`;
      this.log(message);
      return { success: false, message };
    }
    await this.run('loadModel', loadMs, false, options);
    this.loaded = true;
    this.log(`loaded ${this.modelId} in ${loadMs} ms`);
    return { success: true, message: 'model loaded' };
  }

  async predict(request: PredictOptions, options: CallOptions | undefined): Promise<Reply> {
    const facts = request.CorrelationId ? this.env.requestFacts(request.CorrelationId) : undefined;
    const promptTokens = request.Prompt !== undefined ? countPromptTokens(request.Prompt) : (facts?.promptTokens ?? 0);
    const serviceMs = this.serviceMs(request, promptTokens, facts);
    await this.run('predict', serviceMs, true, options);
    const outputTokens = request.Tokens ?? 0;
    const promptShareMs = this.promptMs(promptTokens);
    return {
      message: EMPTY_MESSAGE,
      tokens: outputTokens,
      prompt_tokens: promptTokens,
      timing_prompt_processing: promptShareMs / 1000,
      timing_token_generation: Math.max(0, serviceMs - promptShareMs) / 1000,
    };
  }

  async embedding(request: PredictOptions, options: CallOptions | undefined): Promise<EmbeddingResult> {
    const facts = request.CorrelationId ? this.env.requestFacts(request.CorrelationId) : undefined;
    const promptTokens = countPromptTokens(request.Embeddings ?? request.Prompt);
    await this.run('embedding', this.serviceMs({ ...request, Tokens: 0 }, promptTokens, facts), true, options);
    return { embeddings: [0] };
  }

  free(): Promise<void> {
    this.checkReachable('free');
    this.loaded = false;
    this.env.memory.release(this.address);
    return Promise.resolve();
  }

  status(): Promise<StatusResponse> {
    this.checkReachable('status');
    let state: StatusResponse['state'] = 'READY';
    if (!this.loaded) state = 'UNINITIALIZED';
    else if (this.slotsInUse > 0) state = 'BUSY';
    return Promise.resolve({ state, memory: { total: this.loaded ? this.model.sizeBytes : 0, breakdown: {} } });
  }

  // ---- internals ----

  /**
   * Runs timed work: rejects at once when the backend is gone or refusing, else queues it
   * (slot calls) or starts it, and settles at completion, deadline, abort or exit.
   */
  private run(method: string, durationMs: number, needsSlot: boolean, options: CallOptions | undefined): Promise<void> {
    this.checkReachable(method);
    if (options?.signal?.aborted) return Promise.reject(options.signal.reason);

    return new Promise<void>((resolve, reject) => {
      let deadline: Timer | undefined;
      const onAbort = (): void => work.fail(options?.signal?.reason);
      const work: Work = {
        remainingMs: durationMs,
        endsAtMs: 0,
        timer: undefined,
        needsSlot,
        answered: false,
        done: false,
        complete: () => {
          if (work.answered) return;
          work.answered = true;
          work.cleanup();
          resolve();
        },
        fail: (error) => {
          if (work.answered) return;
          work.answered = true;
          work.cleanup();
          // A call that is still queued leaves the queue; one in service keeps its slot.
          if (!this.active.has(work)) work.done = true;
          reject(error);
        },
        cleanup: () => {
          deadline?.cancel();
          options?.signal?.removeEventListener('abort', onAbort);
        },
      };
      if (options?.deadlineMs !== undefined) {
        deadline = this.env.clock.setTimer(options.deadlineMs, () =>
          work.fail(new BackendCallError(method, this.address, 'deadline', `no response within ${options.deadlineMs} ms`)),
        );
      }
      options?.signal?.addEventListener('abort', onAbort, { once: true });
      if (this.hung) this.env.faults.checkHung(this.modelId);

      if (needsSlot) {
        this.queue.push(work);
        this.startQueued();
      } else {
        this.begin(work);
      }
    });
  }

  private startQueued(): void {
    while (!this.hung && this.state !== 'exited' && this.slotsInUse < this.model.parallelSlots) {
      const work = this.dequeue();
      if (!work) return;
      this.slotsInUse += 1;
      this.begin(work);
    }
  }

  private dequeue(): Work | undefined {
    while (this.queueHead < this.queue.length) {
      const work = this.queue[this.queueHead++]!;
      if (!work.done) {
        this.compactQueue();
        return work;
      }
    }
    this.compactQueue();
    return undefined;
  }

  private compactQueue(): void {
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  private begin(work: Work): void {
    this.active.add(work);
    if (!this.hung) this.schedule(work);
  }

  private schedule(work: Work): void {
    work.endsAtMs = this.env.clock.now() + work.remainingMs;
    work.timer = this.env.clock.setTimer(work.remainingMs, () => this.finish(work));
  }

  private finish(work: Work): void {
    this.active.delete(work);
    work.done = true;
    work.complete();
    if (work.needsSlot) {
      this.slotsInUse -= 1;
      this.startQueued();
    }
  }

  private checkReachable(method: string): void {
    if (this.state === 'exited') {
      throw new BackendCallError(method, this.address, 'connection', 'the backend process has exited');
    }
    if (this.env.faults.checkRefusing(this.modelId)) {
      throw new BackendCallError(method, this.address, 'connection', 'connection refused (injected fault)');
    }
  }

  private exit(exitCode: number | null, signal: string | null): void {
    if (this.state === 'exited') return;
    this.state = 'exited';
    this.env.memory.release(this.address);
    const gone = new BackendCallError('call', this.address, 'connection', 'the backend process exited');
    const pending = [...this.active, ...this.queue.slice(this.queueHead)];
    this.active.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    this.slotsInUse = 0;
    for (const work of pending) {
      work.timer?.cancel();
      work.done = true;
      work.fail(gone);
    }
    const exit: BackendExit = { exitCode, signal, intentional: this.intentionalStop };
    for (const listener of [...this.exitListeners]) listener(exit);
  }

  private serviceMs(request: PredictOptions, promptTokens: number, facts: RequestFacts | undefined): number {
    if (facts?.serviceMs !== undefined) return this.jitter(facts.serviceMs);
    const service = this.model.service;
    if (service.kind === 'fixed') return this.jitter(service.serviceMs);
    const decodeMs = ((request.Tokens ?? 0) / service.tokensPerSecond) * 1000;
    return this.jitter(decodeMs + this.promptMs(promptTokens));
  }

  private promptMs(promptTokens: number): number {
    const service = this.model.service;
    if (service.kind !== 'tokens' || service.promptTokensPerSecond === undefined) return 0;
    return (promptTokens / service.promptTokensPerSecond) * 1000;
  }

  private jitter(ms: number): number {
    const fraction = this.env.jitterFraction;
    if (fraction === 0 || ms === 0) return ms;
    return ms * (1 + fraction * (2 * this.env.jitterRandom() - 1));
  }

  private log(line: string): void {
    this.output.push(line);
    if (this.output.length > OUTPUT_LINES) this.output.shift();
  }
}

/** The client side of a simulated backend: every call goes straight to the backend object. */
class SimBackendClient implements BackendClient {
  private closed = false;

  constructor(private readonly backend: SimBackend) {}

  get address(): string {
    return this.backend.address;
  }

  health(options?: CallOptions): Promise<boolean> {
    return this.call('health', () => this.backend.health(options));
  }

  loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    return this.call('loadModel', () => this.backend.loadModel(request, options));
  }

  predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    return this.call('predict', () => this.backend.predict(request, options));
  }

  async predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    onReply(await this.predict(request, options));
  }

  embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    return this.call('embedding', () => this.backend.embedding(request, options));
  }

  free(): Promise<void> {
    return this.call('free', () => this.backend.free());
  }

  status(): Promise<StatusResponse> {
    return this.call('status', () => this.backend.status());
  }

  close(): void {
    this.closed = true;
  }

  private call<T>(method: string, operation: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(new BackendCallError(method, this.address, 'connection', 'the client channel is closed'));
    }
    try {
      return operation();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
