import type { BackendClient } from '../backend/backend-client.js';
import type { Clock } from '../clock/clock.js';
import { BackendCallError } from '../errors.js';

interface Answer {
  reachable: boolean;
  checkedAtMs: number;
}

/**
 * Caches whether each backend is reachable for `ttlMs`, so a busy replica is not probed on
 * every request. A backend that only misses the deadline counts as reachable, because a
 * busy backend misses it too. A refused connection or an unhealthy status does not.
 */
export class ReachabilityCache {
  private readonly answers = new Map<string, Answer>();
  private readonly probes = new Map<string, Promise<boolean>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Returns the cached result for the client's address, or probes once for all callers. */
  check(client: BackendClient): Promise<boolean> {
    const answer = this.answers.get(client.address);
    if (answer && this.clock.now() - answer.checkedAtMs < this.ttlMs) {
      return Promise.resolve(answer.reachable);
    }
    const running = this.probes.get(client.address);
    if (running) {
      return running;
    }
    const probe = this.probe(client).finally(() => this.probes.delete(client.address));
    this.probes.set(client.address, probe);
    return probe;
  }

  /** Forgets the result for an address, e.g. after its replica was removed. */
  forget(address: string): void {
    this.answers.delete(address);
  }

  private async probe(client: BackendClient): Promise<boolean> {
    let reachable: boolean;
    try {
      reachable = await client.health({ deadlineMs: this.timeoutMs });
    } catch (error) {
      reachable = error instanceof BackendCallError && error.kind === 'deadline';
    }
    this.answers.set(client.address, { reachable, checkedAtMs: this.clock.now() });
    return reachable;
  }
}
