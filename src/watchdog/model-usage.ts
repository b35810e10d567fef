/**
 * Request tracking for one backend: calls in flight, when the oldest of them started, when
 * the backend last went idle, and when it was last used. The watchdog's busy and idle
 * checks and the eviction policies read these.
 */
export class ModelUsage {
  /** Start times of in-flight calls by call id. Insertion order is start order, so the first entry is the oldest call. */
  private readonly callStarts = new Map<number, number>();
  private nextCallId = 0;
  private idleSince: number;
  private lastUsed: number;
  private readonly onIdle: () => void;

  constructor(nowMs: number, onIdle: () => void = () => {}) {
    this.idleSince = nowMs;
    this.lastUsed = nowMs;
    this.onIdle = onIdle;
  }

  get inFlight(): number {
    return this.callStarts.size;
  }

  get busy(): boolean {
    return this.callStarts.size > 0;
  }

  /** Start time of the oldest in-flight call; undefined when idle. */
  get busySinceMs(): number | undefined {
    for (const startMs of this.callStarts.values()) return startMs;
    return undefined;
  }

  /** When the last in-flight call ended (or the model became resident). Meaningful only while idle. */
  get idleSinceMs(): number {
    return this.idleSince;
  }

  get lastUsedMs(): number {
    return this.lastUsed;
  }

  /** Marks a load request served from this model. */
  touch(nowMs: number): void {
    this.lastUsed = Math.max(this.lastUsed, nowMs);
  }

  /** Records a call start; returns the function that records its end, safe to call twice. */
  startCall(nowMs: () => number): () => void {
    const id = this.nextCallId++;
    const startMs = nowMs();
    this.callStarts.set(id, startMs);
    this.touch(startMs);
    return () => {
      if (!this.callStarts.delete(id)) return;
      const endMs = nowMs();
      this.touch(endMs);
      if (this.callStarts.size === 0) {
        this.idleSince = endMs;
        this.onIdle();
      }
    };
  }
}
