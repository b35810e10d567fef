import type { Clock, Timer } from '../../src/clock/clock.js';
import { InvalidOptionError, LoaderLabError } from '../../src/errors.js';

/** Options of `VirtualClock`. */
export interface VirtualClockOptions {
  /** Time the clock starts at, in milliseconds. Default 0. */
  startMs?: number;
  /**
   * Whether settling also waits for pending file-system requests (`fs` callbacks and
   * promises) before time moves on. Default true, so loader code that reads a file between
   * two awaits still finishes at the virtual instant it started.
   */
  waitForFileSystem?: boolean;
  /**
   * Maximum macrotask turns one settle spends waiting for file-system requests before it
   * gives up and lets time move on. Default 100,000 (well under a second of spinning).
   */
  maxSettleTurns?: number;
}

/** `runUntilSettled` ran out of events while the awaited promise was still pending. */
export class SimulationStalledError extends LoaderLabError {
  readonly code = 'SIMULATION_STALLED';
  constructor(
    readonly timeMs: number,
    readonly what: string,
  ) {
    super(`the simulation stalled at ${timeMs} ms: no event is scheduled but ${what} has not finished`);
  }
}

/** `runUntilSettled` reached its time limit while the awaited promise was still pending. */
export class SimulationTimeLimitError extends LoaderLabError {
  readonly code = 'SIMULATION_TIME_LIMIT';
  constructor(
    readonly limitMs: number,
    readonly what: string,
  ) {
    super(`the simulation reached its time limit of ${limitMs} ms before ${what} finished`);
  }
}

interface ScheduledEvent {
  timeMs: number;
  /** Insertion number: events at the same time run in the order they were scheduled. */
  seq: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * Names `process.getActiveResourcesInfo()` gives pending `fs` requests in Node 20: callback
 * and promise requests, and the close of a `FileHandle`, which `fs/promises.readFile` ends with.
 */
const FILE_SYSTEM_RESOURCES = new Set(['FSReqCallback', 'FSReqPromise', 'CloseReq']);

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock whose time moves only when the simulation runs its next event. Events sit in a
 * binary heap ordered by time, then by insertion number, so equal times run in the order
 * they were scheduled and a replay is deterministic.
 *
 * The loop settles between events: it waits one macrotask turn (`setImmediate`), and
 * Node runs every queued microtask before any macrotask, including the microtasks those
 * microtasks queue. So every `await` chain that a callback started runs to its next wait on
 * the clock before time advances, however long the chain. File-system requests complete on
 * the thread pool instead, so settling also keeps turning while any is pending (see
 * `waitForFileSystem`). Other real I/O (sockets, child processes) is not waited for, and
 * code under a virtual clock must not depend on it.
 */
export class VirtualClock implements Clock {
  private currentMs: number;
  private nextSeq = 0;
  private readonly heap: ScheduledEvent[] = [];
  private cancelledInHeap = 0;
  private readonly waitForFileSystem: boolean;
  private readonly maxSettleTurns: number;
  private eventsRun = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.currentMs = options.startMs ?? 0;
    this.waitForFileSystem = options.waitForFileSystem ?? true;
    this.maxSettleTurns = options.maxSettleTurns ?? 100_000;
    if (!Number.isFinite(this.currentMs)) {
      throw new InvalidOptionError('startMs', 'a finite number of milliseconds', options.startMs);
    }
    if (!Number.isInteger(this.maxSettleTurns) || this.maxSettleTurns < 1) {
      throw new InvalidOptionError('maxSettleTurns', 'an integer of at least 1', options.maxSettleTurns);
    }
  }

  now(): number {
    return this.currentMs;
  }

  /** Events scheduled and not cancelled. */
  get pendingEvents(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** Events run since the clock was created. */
  get eventCount(): number {
    return this.eventsRun;
  }

  /** Time of the next event that will run, or undefined when none is scheduled. */
  nextEventTimeMs(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.timeMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      const timer = this.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, callback: () => void): Timer {
    const event = this.schedule(this.currentMs + checkDelay(ms), callback);
    return { cancel: () => this.cancel(event) };
  }

  setRepeatingTimer(ms: number, callback: () => void): Timer {
    // An interval of 0 would run forever at one instant, so the shortest is 1 ms, as in RealClock.
    const intervalMs = Math.max(1, checkDelay(ms));
    let event: ScheduledEvent;
    let cancelled = false;
    const tick = (): void => {
      event = this.schedule(this.currentMs + intervalMs, tick);
      callback();
    };
    event = this.schedule(this.currentMs + intervalMs, tick);
    return {
      cancel: () => {
        if (cancelled) return;
        cancelled = true;
        this.cancel(event);
      },
    };
  }

  /**
   * Lets pending asynchronous work run without moving time: one macrotask turn drains the
   * whole microtask queue, and further turns follow while file-system requests are pending.
   */
  async settle(): Promise<void> {
    await nextMacrotask();
    if (!this.waitForFileSystem) return;
    for (let turn = 1; turn < this.maxSettleTurns && fileSystemRequestPending(); turn++) {
      await nextMacrotask();
    }
  }

  /**
   * Runs the next event, if any, and settles after it. Returns false when no event is
   * scheduled. An exception thrown by the event's callback propagates to the caller.
   */
  async step(): Promise<boolean> {
    await this.settle();
    const event = this.pop();
    if (!event) return false;
    this.runEvent(event);
    await this.settle();
    return true;
  }

  /**
   * Runs every event scheduled at or before `timeMs`, in order, including those scheduled
   * while running, then sets the clock to `timeMs` (time never goes back).
   */
  async runUntil(timeMs: number): Promise<void> {
    await this.settle();
    for (;;) {
      this.dropCancelledTop();
      const next = this.heap[0];
      if (!next || next.timeMs > timeMs) break;
      this.runEvent(this.pop()!);
      await this.settle();
    }
    this.currentMs = Math.max(this.currentMs, timeMs);
  }

  /** Runs events until none is scheduled. Repeating timers never let this end, so cancel them first. */
  async run(): Promise<void> {
    while (await this.step()) {
      // step() runs one event per turn.
    }
  }

  /**
   * Runs events until `promise` settles and returns its value (or throws its error). Throws
   * `SimulationStalledError` when no event is left to settle it and
   * `SimulationTimeLimitError` when the next event lies past `limitMs`. `what` names the
   * awaited work in those errors.
   */
  async runUntilSettled<T>(promise: Promise<T>, what: string, limitMs = Infinity): Promise<T> {
    let settled = false;
    const observed = promise.then(
      (value) => {
        settled = true;
        return value;
      },
      (error: unknown) => {
        settled = true;
        throw error;
      },
    );
    // Keep a rejection from being reported as unhandled while the loop still runs.
    observed.catch(() => {});

    await this.settle();
    while (!settled) {
      const nextMs = this.nextEventTimeMs();
      if (nextMs === undefined) throw new SimulationStalledError(this.currentMs, what);
      if (nextMs > limitMs) throw new SimulationTimeLimitError(limitMs, what);
      await this.step();
    }
    return observed;
  }

  private runEvent(event: ScheduledEvent): void {
    this.currentMs = Math.max(this.currentMs, event.timeMs);
    this.eventsRun += 1;
    event.callback();
  }

  private schedule(timeMs: number, callback: () => void): ScheduledEvent {
    const event: ScheduledEvent = { timeMs, seq: this.nextSeq++, callback, cancelled: false };
    if (timeMs === Infinity) {
      // A timer that never fires is never queued; cancelling it must still be harmless.
      event.cancelled = true;
      return event;
    }
    this.heap.push(event);
    this.siftUp(this.heap.length - 1);
    return event;
  }

  private cancel(event: ScheduledEvent): void {
    if (event.cancelled) return;
    event.cancelled = true;
    this.cancelledInHeap += 1;
    // Cancelled events leave the heap lazily. Rebuild it once they are the majority, so many
    // cancelled deadlines (one per request) cannot grow it without bound.
    if (this.cancelledInHeap > 1024 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) {
      this.removeTop();
      this.cancelledInHeap -= 1;
    }
  }

  private pop(): ScheduledEvent | undefined {
    this.dropCancelledTop();
    if (this.heap.length === 0) return undefined;
    const top = this.heap[0]!;
    this.removeTop();
    // A popped event cannot be cancelled into the heap count any more.
    top.cancelled = true;
    return top;
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
  }

  private compact(): void {
    const live = this.heap.filter((event) => !event.cancelled);
    this.heap.length = 0;
    this.cancelledInHeap = 0;
    for (const event of live) {
      this.heap.push(event);
      this.siftUp(this.heap.length - 1);
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const event = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = event;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const event = heap[index]!;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, event)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = event;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

function checkDelay(ms: number): number {
  if (Number.isNaN(ms)) throw new InvalidOptionError('delay', 'a number of milliseconds', ms);
  return Math.max(0, ms);
}

function fileSystemRequestPending(): boolean {
  return process.getActiveResourcesInfo().some((name) => FILE_SYSTEM_RESOURCES.has(name));
}
