import type { ChildProcess } from 'node:child_process';
import type { BackendClient } from '../backend-client.js';
import type { BackendExit, BackendProcess } from '../backend-launcher.js';
import type { Clock, Timer } from '../../clock/clock.js';
import type { Logger } from '../../util/logger.js';
import type { OutputBuffer } from './output-buffer.js';

/** A child's life: `running` until a stop begins, `stopping` until it exits, then `exited`. */
export type SpawnedBackendState = 'running' | 'stopping' | 'exited';

const ALLOWED_TRANSITIONS: Readonly<Record<SpawnedBackendState, readonly SpawnedBackendState[]>> = {
  running: ['stopping', 'exited'],
  stopping: ['exited'],
  exited: [],
};

export interface SpawnedBackendParts {
  modelId: string;
  backend: string;
  address: string;
  child: ChildProcess;
  client: BackendClient;
  output: OutputBuffer;
  clock: Clock;
  logger: Logger;
  /** Time between SIGTERM and SIGKILL in a graceful stop, in ms. */
  stopGraceMs: number;
  /** How long to wait for the child's stdout and stderr to close after it exits, in ms. */
  outputDrainMs: number;
}

/**
 * A backend started as a child process. It watches the child from spawn on: the exit
 * is reported to listeners once, marked intentional when `stop()` caused it, after the
 * child's output is drained so its last lines are in `recentOutput()`.
 */
export class SpawnedBackend implements BackendProcess {
  readonly modelId: string;
  readonly backend: string;
  readonly address: string;
  readonly attached = false;
  readonly client: BackendClient;
  /** Aborts when the child exits, without waiting for its output to drain. */
  readonly exitSignal: AbortSignal;
  /** Set when the executable could not be started at all (not found, not executable). */
  spawnError: Error | undefined;

  private state: SpawnedBackendState = 'running';
  private intentional = false;
  private exit: BackendExit | undefined;
  private readonly exitListeners = new Set<(exit: BackendExit) => void>();
  private readonly exitController = new AbortController();
  private readonly exited: Promise<BackendExit>;
  private killTimer: Timer | undefined;

  constructor(private readonly parts: SpawnedBackendParts) {
    this.modelId = parts.modelId;
    this.backend = parts.backend;
    this.address = parts.address;
    this.client = parts.client;
    this.exitSignal = this.exitController.signal;
    this.exited = this.watchExit();
  }

  get pid(): number | undefined {
    return this.parts.child.pid;
  }

  isRunning(): boolean {
    return this.state !== 'exited';
  }

  /** Resolves with the exit once the child has exited and its output is drained. */
  whenExited(): Promise<BackendExit> {
    return this.exited;
  }

  async stop(options: { force?: boolean } = {}): Promise<void> {
    const force = options.force ?? false;
    if (this.state === 'exited') return;
    this.intentional = true;
    if (this.state === 'running') {
      this.transition('stopping');
      this.signal(force ? 'SIGKILL' : 'SIGTERM');
      if (!force) this.killTimer = this.parts.clock.setTimer(this.parts.stopGraceMs, () => this.signal('SIGKILL'));
    } else if (force) {
      // A graceful stop is under way; a forced one must not wait for its grace period.
      this.signal('SIGKILL');
    }
    await this.exited;
  }

  /** Calls `listener` once with the exit. When the child has exited already, the call comes in a microtask. */
  onExit(listener: (exit: BackendExit) => void): () => void {
    if (this.exit !== undefined) {
      const exit = this.exit;
      queueMicrotask(() => listener(exit));
      return () => {};
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  recentOutput(): readonly string[] {
    return this.parts.output.recentLines();
  }

  /** The last non-empty line the child wrote to stderr, or ''. */
  lastStderrLine(): string {
    return this.parts.output.lastStderrLine();
  }

  private signal(signal: NodeJS.Signals): void {
    const { child } = this.parts;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }

  private transition(next: SpawnedBackendState): void {
    if (!ALLOWED_TRANSITIONS[this.state].includes(next)) {
      throw new Error(`spawned backend of model "${this.modelId}": illegal transition ${this.state} -> ${next}`);
    }
    this.parts.logger.debug('backend process state', { modelId: this.modelId, from: this.state, to: next });
    this.state = next;
  }

  /**
   * Resolves on the child's exit. Steps: wait for `exit` (or a spawn error), wait a
   * bounded time for stdout and stderr to close, then record and report the exit.
   */
  private async watchExit(): Promise<BackendExit> {
    const { child, clock, outputDrainMs } = this.parts;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const ended = await new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
      // A listener must stay attached: an `error` event without one would crash the loader.
      child.on('error', (error) => {
        // Without a pid the child never ran, so no `exit` event follows.
        if (child.pid === undefined) {
          this.spawnError = error;
          resolve({ exitCode: null, signal: null });
          return;
        }
        this.parts.logger.warn('backend process error', { modelId: this.modelId, pid: child.pid, error: error.message });
      });
    });
    this.killTimer?.cancel();
    this.transition('exited');
    this.exitController.abort(new Error(`backend process of model "${this.modelId}" exited`));

    if (this.spawnError === undefined) await Promise.race([closed, clock.sleep(outputDrainMs)]);
    this.parts.output.flush();
    this.parts.client.close();

    const exit: BackendExit = { ...ended, intentional: this.intentional };
    this.exit = exit;
    this.parts.logger.info('backend process exited', { modelId: this.modelId, pid: this.pid, ...exit });
    for (const listener of this.exitListeners) listener(exit);
    this.exitListeners.clear();
    return exit;
  }
}
