import type { BackendClient } from '../backend-client.js';
import type { BackendExit, BackendProcess } from '../backend-launcher.js';

/**
 * A backend that was already running at an address. The loader never started it, so
 * stopping it only closes the channel, and its exit is always intentional: a remote that
 * dies shows up as a connection error on the next call instead.
 */
export class AttachedBackend implements BackendProcess {
  readonly pid = undefined;
  readonly attached = true;
  private stopped = false;
  private readonly exitListeners = new Set<(exit: BackendExit) => void>();

  constructor(
    readonly modelId: string,
    readonly backend: string,
    readonly address: string,
    readonly client: BackendClient,
  ) {}

  isRunning(): boolean {
    return !this.stopped;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.client.close();
    const exit: BackendExit = { exitCode: null, signal: null, intentional: true };
    for (const listener of this.exitListeners) listener(exit);
    this.exitListeners.clear();
  }

  onExit(listener: (exit: BackendExit) => void): () => void {
    if (this.stopped) return () => {};
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  recentOutput(): readonly string[] {
    return [];
  }
}
