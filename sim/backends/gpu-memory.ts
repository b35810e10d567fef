import type { MemoryProbe, MemoryReading } from '../../src/watchdog/memory-probe.js';

/** A change of memory in use, as the pool reports it to listeners. */
export interface MemoryChange {
  usedBytes: number;
  totalBytes: number;
}

/**
 * The GPU memory of one simulated host. A backend reserves its model's size when
 * `LoadModel` starts, so two concurrent loads cannot both count on the same free bytes,
 * and releases it when the model is freed or the process exits. Reservations are keyed by
 * backend instance, and releasing is idempotent.
 */
export class GpuMemoryPool {
  private used = 0;
  private readonly reservations = new Map<string, number>();
  private readonly listeners = new Set<(change: MemoryChange) => void>();

  constructor(readonly totalBytes: number) {}

  get usedBytes(): number {
    return this.used;
  }

  get freeBytes(): number {
    return this.totalBytes - this.used;
  }

  /** Reserves `bytes` for `owner`; returns false and reserves nothing when they do not fit. */
  tryReserve(owner: string, bytes: number): boolean {
    if (this.reservations.has(owner)) return true;
    if (bytes > this.freeBytes) return false;
    this.reservations.set(owner, bytes);
    this.change(bytes);
    return true;
  }

  /**
   * Reserves `bytes` for `owner` even past the total, for accounting where nothing can be
   * refused (process-mode replays have no GPU to run out of).
   */
  reserveOvercommitted(owner: string, bytes: number): void {
    if (this.reservations.has(owner)) return;
    this.reservations.set(owner, bytes);
    this.change(bytes);
  }

  /** Releases what `owner` reserved. Releasing twice, or without a reservation, does nothing. */
  release(owner: string): void {
    const bytes = this.reservations.get(owner);
    if (bytes === undefined) return;
    this.reservations.delete(owner);
    this.change(-bytes);
  }

  /** Registers a listener called after every change; returns a function that removes it. */
  onChange(listener: (change: MemoryChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private change(deltaBytes: number): void {
    this.used += deltaBytes;
    for (const listener of this.listeners) listener({ usedBytes: this.used, totalBytes: this.totalBytes });
  }
}

/** The watchdog's memory probe over a simulated host's GPU memory. */
export class SimMemoryProbe implements MemoryProbe {
  constructor(private readonly pool: GpuMemoryPool) {}

  read(): Promise<MemoryReading | undefined> {
    return Promise.resolve({ usedBytes: this.pool.usedBytes, totalBytes: this.pool.totalBytes, source: 'gpu' });
  }
}
