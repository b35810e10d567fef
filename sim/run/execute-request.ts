import type { BackendClient } from '../../src/backend/backend-client.js';
import type { Clock } from '../../src/clock/clock.js';
import { syntheticPrompt } from '../backends/prompt.js';
import type { RequestFacts } from '../backends/sim-backend.js';
import type { RequestFailureReason } from '../metrics/summary.js';
import type { ScenarioModel } from '../scenario/types.js';
import type { TraceRequest } from '../workload/trace-request.js';
import { classifyFailure, RequestTimeoutError } from './request-outcome.js';

/** Inputs of one replayed request, in local and distributed replays alike. */
export interface RequestExecution {
  clock: Clock;
  mode: 'sim' | 'process';
  request: TraceRequest;
  /** The scenario's model that the request names; undefined when the scenario has no such model. */
  model: ScenarioModel | undefined;
  /** Loads the model through the loader (or a frontend) that serves this request. */
  load: (model: ScenarioModel) => Promise<BackendClient>;
  correlationId: string;
  requestTimeoutMs: number;
  /**
   * Facts of requests in flight by correlation id, which simulated backends read to time a
   * call. The request's entry exists for the duration of its call.
   */
  requestFacts: Map<string, RequestFacts>;
}

/** Outcome of a request. `unexpected` is set when its failure fits no typed reason. */
export interface RequestExecutionResult {
  outcome: 'succeeded' | RequestFailureReason;
  unexpected?: unknown;
}

/**
 * Serves one request: loads its model, then makes one inference call, both within the
 * request's deadline. Never rejects: every failure becomes a typed outcome.
 */
export async function executeRequest(execution: RequestExecution): Promise<RequestExecutionResult> {
  const { clock, request, model } = execution;
  execution.requestFacts.set(execution.correlationId, {
    promptTokens: request.promptTokens,
    ...(request.serviceMs !== undefined && { serviceMs: request.serviceMs }),
  });
  const deadline = new AbortController();
  const timer = clock.setTimer(execution.requestTimeoutMs, () =>
    deadline.abort(new RequestTimeoutError(request.modelId, execution.requestTimeoutMs)),
  );
  try {
    if (!model) throw new Error(`the workload requested model "${request.modelId}", which the scenario does not define`);
    const client = await untilAborted(execution.load(model), deadline.signal);
    const prompt = execution.mode === 'process' ? syntheticPrompt(request.promptTokens) : undefined;
    await untilAborted(
      client.predict(
        {
          ...(prompt !== undefined && { Prompt: prompt }),
          // A fixed service time is one token at a fixed rate on the fake backend of process mode.
          Tokens: model.service.kind === 'fixed' ? 1 : request.outputTokens,
          CorrelationId: execution.correlationId,
        },
        { signal: deadline.signal },
      ),
      deadline.signal,
    );
    return { outcome: 'succeeded' };
  } catch (error) {
    const reason = classifyFailure(error);
    return reason === undefined ? { outcome: 'backend-error', unexpected: error } : { outcome: reason };
  } finally {
    timer.cancel();
    execution.requestFacts.delete(execution.correlationId);
  }
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
