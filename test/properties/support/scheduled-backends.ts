import type fc from 'fast-check';
import type { VirtualClock } from '../../../sim/clock/virtual-clock.js';
import type { BackendClient, CallOptions } from '../../../src/backend/backend-client.js';
import type { BackendExit, BackendLauncher, BackendProcess, LaunchRequest } from '../../../src/backend/backend-launcher.js';
import type { EmbeddingResult, ModelOptions, PredictOptions, Reply, Result, StatusResponse } from '../../../src/backend/protocol.js';

/**
 * A launcher whose spawns, `LoadModel` calls and inference calls each wait for a fast-check
 * scheduler to release them, in an order the scheduler picks. The spawn itself (and its
 * count) happens at once; the scheduler decides when the backend is reported ready.
 *
 * Each wait is a separate gate task that is already resolved, never the backend's own
 * promise: a backend promise that waits on the virtual clock would block the scheduler,
 * which waits for the promise of every task it releases.
 */
export class ScheduledLauncher implements BackendLauncher {
  constructor(
    private readonly inner: BackendLauncher,
    private readonly scheduler: fc.Scheduler,
  ) {}

  async launch(request: LaunchRequest): Promise<BackendProcess> {
    const process = await this.inner.launch(request);
    await gate(this.scheduler, `launch of ${request.modelId} ready`);
    return new ScheduledProcess(process, this.scheduler);
  }
}

function gate(scheduler: fc.Scheduler, label: string): Promise<void> {
  return scheduler.schedule(Promise.resolve(), label);
}

class ScheduledProcess implements BackendProcess {
  readonly client: BackendClient;

  constructor(
    private readonly inner: BackendProcess,
    scheduler: fc.Scheduler,
  ) {
    this.client = new ScheduledClient(inner.client, scheduler, inner.modelId);
  }

  get modelId(): string {
    return this.inner.modelId;
  }
  get backend(): string {
    return this.inner.backend;
  }
  get address(): string {
    return this.inner.address;
  }
  get pid(): number | undefined {
    return this.inner.pid;
  }
  get attached(): boolean {
    return this.inner.attached;
  }
  isRunning(): boolean {
    return this.inner.isRunning();
  }
  stop(options?: { force?: boolean }): Promise<void> {
    return this.inner.stop(options);
  }
  onExit(listener: (exit: BackendExit) => void): () => void {
    return this.inner.onExit(listener);
  }
  recentOutput(): readonly string[] {
    return this.inner.recentOutput();
  }
}

/** Runs `LoadModel` and inference calls only once the scheduler releases them. */
class ScheduledClient implements BackendClient {
  constructor(
    private readonly inner: BackendClient,
    private readonly scheduler: fc.Scheduler,
    private readonly modelId: string,
  ) {}

  get address(): string {
    return this.inner.address;
  }
  health(options?: CallOptions): Promise<boolean> {
    return this.inner.health(options);
  }
  async loadModel(request: ModelOptions, options?: CallOptions): Promise<Result> {
    await gate(this.scheduler, `LoadModel of ${this.modelId}`);
    return this.inner.loadModel(request, options);
  }
  async predict(request: PredictOptions, options?: CallOptions): Promise<Reply> {
    await gate(this.scheduler, `call to ${this.modelId}`);
    return this.inner.predict(request, options);
  }
  async predictStream(request: PredictOptions, onReply: (reply: Reply) => void, options?: CallOptions): Promise<void> {
    await gate(this.scheduler, `stream from ${this.modelId}`);
    return this.inner.predictStream(request, onReply, options);
  }
  async embedding(request: PredictOptions, options?: CallOptions): Promise<EmbeddingResult> {
    await gate(this.scheduler, `embedding from ${this.modelId}`);
    return this.inner.embedding(request, options);
  }
  free(options?: CallOptions): Promise<void> {
    return this.inner.free(options);
  }
  status(options?: CallOptions): Promise<StatusResponse> {
    return this.inner.status(options);
  }
  close(): void {
    this.inner.close();
  }
}

/** Maximum number of scheduler releases in one `runScheduled` before it reports a livelock. */
const MAX_RELEASES = 20_000;

/**
 * Runs scheduled tasks and clock events until `isDone()` returns true, calling `verify()` at
 * every quiet moment. The next clock event is itself a scheduled task, so the scheduler also
 * decides when virtual time moves relative to backend completions: a load may finish before
 * or after a waiting admission polls again. Throws when nothing is left to run.
 */
export async function runScheduled(
  scheduler: fc.Scheduler,
  clock: VirtualClock,
  isDone: () => boolean,
  verify: () => void,
): Promise<void> {
  let tickScheduled = false;
  let tickDue = false;
  for (let releases = 0; ; releases++) {
    await clock.settle();
    verify();
    if (isDone()) return;
    if (releases >= MAX_RELEASES) throw new Error(`livelock: ${releases} scheduled releases without finishing`);

    if (!tickScheduled && clock.nextEventTimeMs() !== undefined) {
      tickScheduled = true;
      void scheduler.schedule(Promise.resolve(), 'next clock event').then(() => {
        tickDue = true;
      });
    }
    if (scheduler.count() === 0) throw new Error(`stalled at ${clock.now()} ms: no scheduled task and no clock event is left`);
    await scheduler.waitNext(1);
    await clock.settle();
    if (tickDue) {
      tickDue = false;
      tickScheduled = false;
      await clock.step();
    }
  }
}
