import type { ChildProcess } from 'node:child_process';
import type { Clock } from '../../clock/clock.js';
import { RealClock } from '../../clock/real-clock.js';

const TERMINATING_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type TerminatingSignal = (typeof TERMINATING_SIGNALS)[number];

/** The parts of `process` the registry hooks into; tests pass a stand-in. */
export interface ProcessHooks {
  readonly pid: number;
  on(event: 'exit', listener: () => void): unknown;
  on(event: TerminatingSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
  off(event: TerminatingSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: NodeJS.Signals): boolean;
}

/**
 * Every backend child process alive in this process, so none outlives it. While the
 * registry holds a child it hooks the parent's `exit` event, where it sends SIGKILL to
 * what is left (only synchronous work runs there), and SIGINT and SIGTERM: when nothing
 * else handles the signal, it stops the children (SIGTERM, then SIGKILL after the grace
 * period) and raises the signal again so the parent still ends as the signal intends.
 * When the application handles the signal itself, it is expected to shut its loader
 * down, and the exit hook catches anything left.
 */
export class ChildRegistry {
  private readonly children = new Set<ChildProcess>();
  private hooked = false;
  private readonly onParentExit = (): void => this.killAll('SIGKILL');
  private readonly onParentSignal = (signal: NodeJS.Signals): void => void this.terminateThenReraise(signal);

  constructor(
    private readonly host: ProcessHooks = process,
    private readonly clock: Clock = new RealClock(),
    /** How long children get to exit after SIGTERM when the parent is signalled, in ms. */
    private readonly signalGraceMs = 2_000,
  ) {}

  /** Number of live children. */
  get size(): number {
    return this.children.size;
  }

  /** Process ids of the live children. */
  pids(): number[] {
    return [...this.children].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** Tracks a spawned child until it exits; returns a function that stops tracking it early. */
  add(child: ChildProcess): () => void {
    this.children.add(child);
    this.hook();
    const remove = (): void => {
      this.children.delete(child);
      if (this.children.size === 0) this.unhook();
    };
    child.once('exit', remove);
    return remove;
  }

  /** Sends `signal` to every live child. */
  killAll(signal: NodeJS.Signals): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  }

  private async terminateThenReraise(signal: NodeJS.Signals): Promise<void> {
    // Another handler owns the shutdown; stopping children here would race its graceful path.
    if (this.host.listenerCount(signal) > 1) return;

    this.killAll('SIGTERM');
    const deadlineMs = this.clock.now() + this.signalGraceMs;
    while (this.children.size > 0 && this.clock.now() < deadlineMs) {
      await this.clock.sleep(20);
    }
    this.killAll('SIGKILL');

    this.unhook();
    this.host.kill(this.host.pid, signal);
  }

  private hook(): void {
    if (this.hooked) return;
    this.hooked = true;
    this.host.on('exit', this.onParentExit);
    for (const signal of TERMINATING_SIGNALS) this.host.on(signal, this.onParentSignal);
  }

  private unhook(): void {
    if (!this.hooked) return;
    this.hooked = false;
    this.host.off('exit', this.onParentExit);
    for (const signal of TERMINATING_SIGNALS) this.host.off(signal, this.onParentSignal);
  }
}

/** The registry of this process, shared by every launcher in it. */
export const processChildRegistry = new ChildRegistry();
