import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../util/logger.js';
import type { ModelOptions, PredictOptions, Reply, BackendState } from '../backend/protocol.js';
import { applyBehaviourEntries, type FakeBehaviour } from './fake-behaviour.js';
import { countPromptTokens, embedText, generateTokens } from './fake-text.js';
import { Slots } from './slots.js';

/** Settings and callbacks the service gets from its host process. */
export interface FakeBackendServiceContext {
  /** Behaviour before any `LoadModel` options apply (from command-line flags). */
  defaults: Readonly<FakeBehaviour>;
  clock: Clock;
  logger: Logger;
  /** Ends the process abruptly; called when the `crash_after_calls` fault fires. */
  crash: (reason: string) => void;
}

type UnaryCall = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
type Callback = grpc.sendUnaryData<unknown>;
type StreamCall = grpc.ServerWritableStream<PredictOptions, Reply>;

/** The result of admitting an inference call: run it, or the call was dropped (hang, cancel). */
type Admission = { kind: 'run'; release: () => void; behaviour: FakeBehaviour } | { kind: 'dropped' };

/**
 * The `backend.Backend` service of the fake backend: one model at a time, with load time,
 * generation speed, parallel slots, reported memory and faults taken from its behaviour.
 */
export class FakeBackendService {
  private behaviour: FakeBehaviour;
  private state: Exclude<BackendState, 'BUSY'> = 'UNINITIALIZED';
  private modelName = '';
  private inferenceCalls = 0;
  private readonly slots: Slots;

  constructor(private readonly context: FakeBackendServiceContext) {
    this.behaviour = { ...context.defaults };
    this.slots = new Slots(this.behaviour.parallel);
  }

  /** Handlers keyed by the proto's method names, for `grpc.Server.addService`. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Health: (_call: UnaryCall, callback: Callback) => callback(null, { message: Buffer.from('OK') }),
      LoadModel: (call: UnaryCall, callback: Callback) => void this.loadModel(call.request as ModelOptions, callback),
      Predict: (call: UnaryCall, callback: Callback) => void this.predict(call, callback),
      PredictStream: (call: StreamCall) => void this.predictStream(call),
      Embedding: (call: UnaryCall, callback: Callback) => void this.embedding(call, callback),
      Free: (_call: UnaryCall, callback: Callback) => this.free(callback),
      Status: (_call: UnaryCall, callback: Callback) => callback(null, this.status()),
    };
  }

  private async loadModel(request: ModelOptions, callback: Callback): Promise<void> {
    let behaviour: FakeBehaviour;
    try {
      const applied = applyBehaviourEntries(this.context.defaults, request.Options ?? []);
      behaviour = applied.behaviour;
      if (applied.unknownKeys.length > 0) {
        this.context.logger.warn('ignoring unknown options', { keys: applied.unknownKeys });
      }
    } catch (error) {
      const message = (error as Error).message;
      this.context.logger.warn('rejected LoadModel options', { model: request.Model, error: message });
      callback(null, { success: false, message });
      return;
    }

    await this.context.clock.sleep(behaviour.loadMs);
    if (behaviour.failLoad !== undefined) {
      this.state = 'ERROR';
      this.context.logger.info('simulated load failure', { model: request.Model, message: behaviour.failLoad });
      callback(null, { success: false, message: behaviour.failLoad });
      return;
    }

    this.behaviour = behaviour;
    this.slots.resize(behaviour.parallel);
    this.modelName = request.Model ?? '';
    this.state = 'READY';
    this.context.logger.info('model loaded', { model: this.modelName, loadMs: behaviour.loadMs });
    callback(null, { success: true, message: `loaded model "${this.modelName}"` });
  }

  private async predict(call: UnaryCall, callback: Callback): Promise<void> {
    const admission = await this.admit(call, callback);
    if (admission.kind === 'dropped') return;
    try {
      const request = call.request as PredictOptions;
      const tokens = this.tokensFor(request, admission.behaviour);
      const promptMs = await this.processPrompt(request, admission.behaviour);
      const generationMs = tokens.length * perTokenMs(admission.behaviour);
      await this.context.clock.sleep(generationMs);
      callback(null, toReply(tokens.join(''), tokens.length, request, promptMs, generationMs));
    } finally {
      admission.release();
    }
  }

  private async predictStream(call: StreamCall): Promise<void> {
    // A server stream reports an error by emitting it; grpc-js then ends the call with its status.
    const admission = await this.admit(call, (error) => call.emit('error', error));
    if (admission.kind === 'dropped') return;
    try {
      const tokens = this.tokensFor(call.request, admission.behaviour);
      const promptMs = await this.processPrompt(call.request, admission.behaviour);
      for (const token of tokens) {
        if (call.cancelled) return;
        await this.context.clock.sleep(perTokenMs(admission.behaviour));
        call.write(toReply(token, 1, call.request, promptMs, perTokenMs(admission.behaviour)));
      }
      call.end();
    } finally {
      admission.release();
    }
  }

  private async embedding(call: UnaryCall, callback: Callback): Promise<void> {
    const admission = await this.admit(call, callback);
    if (admission.kind === 'dropped') return;
    try {
      const request = call.request as PredictOptions;
      const text = request.Embeddings || request.Prompt || '';
      await this.processPrompt(request, admission.behaviour);
      callback(null, { embeddings: embedText(text, admission.behaviour.embeddingDims) });
    } finally {
      admission.release();
    }
  }

  private free(callback: Callback): void {
    if (this.behaviour.free === 'unimplemented') {
      callback({ code: grpc.status.UNIMPLEMENTED, details: 'Free is not implemented (free:unimplemented)' });
      return;
    }
    if (this.behaviour.free === 'fail') {
      callback(null, { success: false, message: 'simulated Free failure (free:fail)' });
      return;
    }
    this.state = 'UNINITIALIZED';
    this.context.logger.info('model freed', { model: this.modelName });
    callback(null, { success: true, message: `freed model "${this.modelName}"` });
  }

  private status(): { state: BackendState; memory: { total: number; breakdown: Record<string, number> } } {
    const loaded = this.state === 'READY';
    const totalBytes = loaded ? this.behaviour.memoryBytes : 0;
    return {
      state: loaded && this.slots.inUse > 0 ? 'BUSY' : this.state,
      memory: { total: totalBytes, breakdown: loaded ? { model: totalBytes } : {} },
    };
  }

  /**
   * Admits an inference call. Steps: count it and fire the crash or hang fault it
   * triggers, reject it when no model is loaded, then wait for a parallel slot.
   */
  private async admit(call: { readonly cancelled: boolean }, reject: (error: grpc.ServiceError) => void): Promise<Admission> {
    this.inferenceCalls++;
    const behaviour = this.behaviour;
    if (behaviour.crashAfterCalls !== undefined && this.inferenceCalls > behaviour.crashAfterCalls) {
      this.context.crash(`simulated crash on inference call ${this.inferenceCalls} (crash_after_calls:${behaviour.crashAfterCalls})`);
      return { kind: 'dropped' };
    }
    if (behaviour.hangAfterCalls !== undefined && this.inferenceCalls > behaviour.hangAfterCalls) {
      // The call never gets a response; the client's deadline, a cancel or a kill ends it.
      this.context.logger.info('hanging inference call', { call: this.inferenceCalls });
      return { kind: 'dropped' };
    }

    if (this.state !== 'READY') {
      this.context.logger.warn('rejected inference call: no model is loaded', { call: this.inferenceCalls });
      reject(serviceError(grpc.status.FAILED_PRECONDITION, 'no model is loaded; call LoadModel first'));
      return { kind: 'dropped' };
    }

    const release = await this.slots.acquire();
    if (call.cancelled) {
      release();
      return { kind: 'dropped' };
    }
    return { kind: 'run', release, behaviour };
  }

  private tokensFor(request: PredictOptions, behaviour: FakeBehaviour): string[] {
    const count = request.Tokens && request.Tokens > 0 ? request.Tokens : behaviour.maxTokens;
    return generateTokens(request.Prompt ?? '', request.Seed ?? 0, count);
  }

  /** Sleeps for the prompt's processing time; returns it in ms. */
  private async processPrompt(request: PredictOptions, behaviour: FakeBehaviour): Promise<number> {
    const rate = behaviour.promptTokensPerS;
    const promptMs = rate > 0 ? (countPromptTokens(request.Prompt ?? '') * 1000) / rate : 0;
    await this.context.clock.sleep(promptMs);
    return promptMs;
  }
}

function perTokenMs(behaviour: FakeBehaviour): number {
  return behaviour.tokensPerS > 0 ? 1000 / behaviour.tokensPerS : 0;
}

function toReply(text: string, tokens: number, request: PredictOptions, promptMs: number, generationMs: number): Reply {
  return {
    message: Buffer.from(text, 'utf8'),
    tokens,
    prompt_tokens: countPromptTokens(request.Prompt ?? ''),
    timing_prompt_processing: promptMs / 1000,
    timing_token_generation: generationMs / 1000,
  };
}

function serviceError(code: grpc.status, details: string): grpc.ServiceError {
  return Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
}
