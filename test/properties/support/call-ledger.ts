import type { BackendClient } from '../../../src/backend/backend-client.js';
import type { Clock } from '../../../src/clock/clock.js';
import { BackendCallError } from '../../../src/errors.js';

/** One inference call a property started. */
export interface LedgerCall {
  readonly id: number;
  readonly modelId: string;
  /** Address of the backend process the call went to; unique per process. */
  readonly address: string;
  readonly startMs: number;
  /** True once the test aborted the call's signal; it still counts as in flight until it settles. */
  cancelled: boolean;
  /** True once the call's promise resolved or rejected. */
  settled: boolean;
}

/**
 * The inference calls a property started, from which the observer finds the backends that
 * had calls in flight when one was stopped. A call counts as in flight from its start until
 * its promise settles, as the loader counts it. So a call queued behind another on a backend
 * that is not parallel stays in flight after its signal aborts, until its turn comes.
 */
export class CallLedger {
  private readonly calls: LedgerCall[] = [];
  private readonly promises: Promise<unknown>[] = [];
  private readonly controllers = new Map<number, AbortController>();
  /** Rejections that are not `BackendCallError`: a backend call may fail, but only with that class. */
  readonly unexpectedErrors: string[] = [];

  constructor(private readonly clock: Clock) {}

  /** Starts a `Predict` call on `client` and records it. */
  start(modelId: string, client: BackendClient): LedgerCall {
    const controller = new AbortController();
    const call: LedgerCall = {
      id: this.calls.length,
      modelId,
      address: client.address,
      startMs: this.clock.now(),
      cancelled: false,
      settled: false,
    };
    this.calls.push(call);
    this.controllers.set(call.id, controller);
    const promise = client.predict({ Prompt: `call ${call.id}`, Tokens: 1 }, { signal: controller.signal }).then(
      () => {
        call.settled = true;
      },
      (error: unknown) => {
        call.settled = true;
        if (!(error instanceof BackendCallError)) {
          this.unexpectedErrors.push(`call ${call.id} to ${modelId} rejected with ${describeError(error)}`);
        }
      },
    );
    this.promises.push(promise);
    return call;
  }

  /** Aborts the `index`-th call (modulo their count) not yet aborted or settled; returns it, or undefined when none is left. */
  cancel(index: number): LedgerCall | undefined {
    const live = this.calls.filter((c) => !c.cancelled && !c.settled);
    if (live.length === 0) return undefined;
    const call = live[index % live.length]!;
    call.cancelled = true;
    this.controllers.get(call.id)?.abort();
    return call;
  }

  /** Calls whose promise has not settled, oldest first. */
  inFlight(): LedgerCall[] {
    return this.calls.filter((c) => !c.settled);
  }

  /** Calls in flight on the backend process at `address`. */
  inFlightOn(address: string): LedgerCall[] {
    return this.inFlight().filter((c) => c.address === address);
  }

  /** Resolves once every call has settled. */
  allSettled(): Promise<void> {
    return Promise.allSettled(this.promises).then(() => undefined);
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return String(error);
}
