/** A model's cooldown, while it lasts. */
export interface CooldownState {
  retryAfterMs: number;
  consecutiveFailures: number;
  lastError: unknown;
}

interface FailureHistory {
  consecutiveFailures: number;
  untilMs: number;
  lastError: unknown;
}

/**
 * Rejects fresh loads of a model that failed recently, so a client polling a broken model
 * does not start a new backend on every request. The window starts at `initialMs`, doubles
 * with each consecutive failure up to `maxMs`, and a success clears it.
 */
export class FailureCooldown {
  private readonly history = new Map<string, FailureHistory>();

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** The model's cooldown at `nowMs`, or undefined when loads may go ahead. */
  check(modelId: string, nowMs: number): CooldownState | undefined {
    const entry = this.history.get(modelId);
    if (!entry || nowMs >= entry.untilMs) return undefined;
    return {
      retryAfterMs: entry.untilMs - nowMs,
      consecutiveFailures: entry.consecutiveFailures,
      lastError: entry.lastError,
    };
  }

  /** Records a failed load; returns the length of the new window in ms. */
  recordFailure(modelId: string, nowMs: number, error: unknown): number {
    const failures = (this.history.get(modelId)?.consecutiveFailures ?? 0) + 1;
    const windowMs = Math.min(this.maxMs, this.initialMs * 2 ** (failures - 1));
    this.history.set(modelId, { consecutiveFailures: failures, untilMs: nowMs + windowMs, lastError: error });
    return windowMs;
  }

  recordSuccess(modelId: string): void {
    this.history.delete(modelId);
  }
}
