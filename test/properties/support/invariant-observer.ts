import type { BackendLauncher, BackendProcess, LaunchRequest } from '../../../src/backend/backend-launcher.js';
import type { InMemoryBackendLauncher } from '../../../src/backend/in-memory/in-memory-backend.js';
import type { Clock } from '../../../src/clock/clock.js';
import type { LoaderEvent } from '../../../src/loader/events.js';
import type { ModelLoader, ResidentModelInfo } from '../../../src/loader/model-loader.js';
import type { EvictionCandidate, EvictionPolicy } from '../../../src/watchdog/eviction-policy.js';
import type { WatchedLoader } from '../../../src/watchdog/watchdog.js';
import type { CallLedger } from './call-ledger.js';
import { referenceOrder, type PolicyName } from './reference-policy.js';

/** The loader and watchdog settings the invariants depend on. */
export interface ObservedSettings {
  /** Must be positive, because the observer learns of admissions through the eviction policy, which an unlimited loader never calls. */
  lruLimit: number;
  policy: PolicyName;
  forceEvictionWhenBusy: boolean;
  evictionRetries: number;
  evictionRetryIntervalMs: number;
  cooldownInitialMs: number;
  cooldownMaxMs: number;
  /** The watchdog's busy timeout, or undefined when no watchdog runs. */
  busyTimeoutMs: number | undefined;
  /** Concurrency groups of each model, as its load requests name them. */
  groupsOf(modelId: string): readonly string[];
}

/** The loader's models at the moment an admission planned its evictions. */
interface PlanSnapshot {
  timeMs: number;
  models: ResidentModelInfo[];
}

/** What the spec says one admission of `modelId` must evict, and what it did evict. */
interface Admission {
  modelId: string;
  snapshot: PlanSnapshot;
  /** Resident models sharing a group with `modelId` that may be evicted, oldest first. */
  expectedGroup: string[];
  /** The LRU victims: the first eligible models in the policy's order, as many as the limit needs. */
  expectedLru: string[];
  /** Every other model holding a slot, in the policy's order, for failure messages. */
  policyOrder: string[];
  evictedGroup: Set<string>;
  evictedLru: Set<string>;
}

/** An `overflow` event and, per blocker, whether it was pinned or busy at that moment. */
interface OverflowRecord {
  blockers: string[];
  pinnedOrBusy: Set<string>;
}

const HOLDS_SLOT = new Set(['loading', 'ready']);
const AUTOMATIC_REASONS = new Set(['lru', 'group', 'idle', 'memory', 'busy-timeout']);
const RECENT_EVENTS = 40;

/**
 * Watches a loader through its events, `list()`, its eviction policy, its launcher and the
 * watchdog's view of it, and records every breach of the eight invariants of the loader
 * spec. Listeners must not throw into loader code, so breaches are collected and a test
 * raises them with `assertNoViolation` between steps.
 *
 * Checks run at three kinds of moment. They run on each loader event (synchronously), when
 * admission calls the eviction policy (in the synchronous step in which it plans and claims
 * its victims), and in `check()`, which tests call whenever no microtask is pending.
 */
export class InvariantObserver {
  readonly violations: string[] = [];
  private loader: ModelLoader | undefined;
  private readonly recent: string[] = [];
  private readonly launchCount = new Map<string, number>();
  private readonly loadStartedCount = new Map<string, number>();
  private readonly openAttempts = new Set<string>();
  private readonly coalescedCount = new Map<string, number>();
  private readonly failures = new Map<string, Array<{ timeMs: number; cooldownMs: number }>>();
  private readonly consecutiveFailures = new Map<string, number>();
  private pendingPlan: PlanSnapshot | undefined;
  private readonly admissions = new Map<string, Admission>();
  private readonly overflows = new Map<string, { group?: OverflowRecord; lru?: OverflowRecord }>();
  /** `rule:loadedModel:blocker` of every overflow seen, for evictions that follow one up. */
  private readonly overflowBlockers = new Set<string>();
  private readonly waitedMs = new Map<string, number>();
  /** Models loaded past a limit while a pinned or busy model was in the way. */
  private readonly overflowAllowance = new Set<string>();
  private readonly addressOf = new Map<string, string>();
  private lastWatchdogView: ResidentModelInfo[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly backends: InMemoryBackendLauncher,
    private readonly settings: ObservedSettings,
    private readonly calls: CallLedger,
  ) {
    if (settings.lruLimit <= 0) throw new Error('the invariant observer needs a positive LRU limit');
  }

  /** Starts observing `loader`, which must have been built with `spyLauncher` and `spyPolicy`. */
  attach(loader: ModelLoader): void {
    this.loader = loader;
    loader.events.on((event) => this.onEvent(event));
  }

  /** Wraps the launcher given to the loader, to count spawns and check the cooldown (invariants 6 and 7). */
  spyLauncher(inner: BackendLauncher): BackendLauncher {
    return { launch: (request: LaunchRequest): Promise<BackendProcess> => this.onLaunch(inner, request) };
  }

  /**
   * Wraps the eviction policy given to the loader. Admission calls it in the same synchronous
   * step in which it reserves the new model's slot and claims its victims, so a snapshot
   * taken here is exactly what that admission saw (invariants 2 to 5).
   */
  spyPolicy(inner: EvictionPolicy): EvictionPolicy {
    return {
      name: inner.name,
      order: <T extends EvictionCandidate>(candidates: readonly T[]): T[] => {
        this.finalizePlan();
        this.pendingPlan = { timeMs: this.clock.now(), models: this.requireLoader().list() };
        // Runs after the synchronous step, so the admitted model's new record is visible.
        queueMicrotask(() => this.finalizePlan());
        return inner.order(candidates);
      },
    };
  }

  /** Returns the loader as the watchdog should see it, to check the memory reclaimer's choice (invariant 5). */
  watchedLoader(): WatchedLoader {
    const loader = this.requireLoader();
    return {
      list: () => {
        this.lastWatchdogView = loader.list();
        return this.lastWatchdogView;
      },
      evict: (modelId, options) => {
        if (options.reason === 'memory') this.checkMemoryVictim(modelId);
        return loader.evict(modelId, options);
      },
      settings: loader.settings,
    };
  }

  /** True between a model's `load-started` and its `load-succeeded` or `load-failed`. */
  isLoading(modelId: string): boolean {
    return this.openAttempts.has(modelId);
  }

  /** Number of `load-coalesced` events of a model so far. */
  coalescedLoads(modelId: string): number {
    return this.coalescedCount.get(modelId) ?? 0;
  }

  /** Records a breach found by the test itself rather than by the observer. */
  report(invariant: number, message: string): void {
    this.violate(invariant, message);
  }

  /** Checks the invariants that hold at every quiet moment (1, 6 and 8). Call it when no microtask is pending. */
  check(): void {
    this.finalizePlan();
    const models = this.requireLoader().list();
    this.checkSlots(models);
    this.checkSpawnCounts();
    this.checkRunningProcesses(models);
  }

  /** Checks, after `loader.shutdown()` has resolved, that no process outlived it (invariant 8). */
  checkAfterShutdown(): void {
    this.check();
    const running = this.backends.running();
    if (running.length > 0) {
      const names = running.map((l) => `${l.modelId} (pid ${l.process.pid})`).join(', ');
      this.violate(8, `processes still running after loader.shutdown(): ${names}`);
    }
    const leftover = this.requireLoader().list();
    if (leftover.length > 0) {
      this.violate(8, `loader still holds ${leftover.map((m) => `${m.modelId}:${m.state}`).join(', ')} after shutdown()`);
    }
  }

  /** Throws an error listing every breach so far, with the most recent loader events. */
  assertNoViolation(): void {
    if (this.violations.length === 0) return;
    throw new Error(
      `${this.violations.join('\n')}\nlatest loader events (virtual ms):\n  ${this.recent.join('\n  ')}`,
    );
  }

  // ---- Events ----

  private onEvent(event: LoaderEvent): void {
    this.recent.push(describeEvent(event));
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();

    switch (event.type) {
      case 'load-started':
        this.onLoadStarted(event.modelId);
        break;
      case 'load-succeeded':
        this.openAttempts.delete(event.modelId);
        this.addressOf.set(event.modelId, event.address);
        this.consecutiveFailures.set(event.modelId, 0);
        this.checkGroupsAfterLoad(event.modelId);
        this.overflows.delete(event.modelId);
        this.waitedMs.delete(event.modelId);
        break;
      case 'load-failed':
        this.openAttempts.delete(event.modelId);
        this.onLoadFailed(event);
        this.overflows.delete(event.modelId);
        this.waitedMs.delete(event.modelId);
        break;
      case 'load-coalesced':
        this.coalescedCount.set(event.modelId, (this.coalescedCount.get(event.modelId) ?? 0) + 1);
        break;
      case 'admission-waited':
        this.waitedMs.set(event.modelId, event.waitedMs);
        break;
      case 'overflow':
        this.onOverflow(event.modelId, event.kind, event.blockers);
        break;
      case 'evicted':
        this.onEvicted(event);
        break;
      default:
        break;
    }
  }

  private onLoadStarted(modelId: string): void {
    this.finalizePlan();
    if (this.openAttempts.has(modelId)) {
      this.violate(6, `a second cold load of ${modelId} started while one was in progress`);
    }
    this.openAttempts.add(modelId);
    this.loadStartedCount.set(modelId, (this.loadStartedCount.get(modelId) ?? 0) + 1);

    // Every victim is stopped before the load starts its backend.
    const admission = this.admissions.get(modelId);
    if (!admission) {
      this.violate(1, `${modelId} started loading, but no planning step reserved its slot`);
      return;
    }
    this.admissions.delete(modelId);
    const missingGroup = admission.expectedGroup.filter((id) => !admission.evictedGroup.has(id));
    if (missingGroup.length > 0) {
      this.violate(2, `${modelId} started loading but its evictable group conflicts ${missingGroup.join(', ')} were not evicted`);
    }
    const missingLru = admission.expectedLru.filter((id) => !admission.evictedLru.has(id));
    if (missingLru.length > 0) {
      this.violate(
        5,
        `${modelId} started loading but did not evict ${missingLru.join(', ')}; ` +
          `expected LRU victims [${admission.expectedLru.join(', ')}] from policy order [${admission.policyOrder.join(', ')}]`,
      );
    }
  }

  private onLoadFailed(event: Extract<LoaderEvent, { type: 'load-failed' }>): void {
    const { modelId, cooldownMs } = event;
    if (event.code === 'LOADER_CLOSED') {
      if (cooldownMs !== 0) this.violate(7, `a load of ${modelId} aborted by shutdown set a cooldown of ${cooldownMs} ms`);
      return;
    }
    const failures = (this.consecutiveFailures.get(modelId) ?? 0) + 1;
    this.consecutiveFailures.set(modelId, failures);
    const expectedMs = Math.min(this.settings.cooldownMaxMs, this.settings.cooldownInitialMs * 2 ** (failures - 1));
    if (cooldownMs !== expectedMs) {
      this.violate(7, `failure ${failures} in a row of ${modelId} set a cooldown of ${cooldownMs} ms, expected ${expectedMs} ms`);
    }
    const history = this.failures.get(modelId) ?? [];
    history.push({ timeMs: event.timeMs, cooldownMs });
    this.failures.set(modelId, history);
  }

  private onOverflow(modelId: string, kind: 'lru' | 'group', blockers: string[]): void {
    const models = this.requireLoader().list();
    const pinnedOrBusy = new Set(
      blockers.filter((id) => {
        const model = models.find((m) => m.modelId === id);
        return model !== undefined && this.isInTheWay(model);
      }),
    );
    const record = this.overflows.get(modelId) ?? {};
    record[kind] = { blockers, pinnedOrBusy };
    this.overflows.set(modelId, record);
    for (const blocker of blockers) this.overflowBlockers.add(`${kind}:${modelId}:${blocker}`);
    // The spec lets a load pass a limit only when a pinned or busy model is in the way.
    if (pinnedOrBusy.size > 0) this.overflowAllowance.add(modelId);
  }

  private onEvicted(event: Extract<LoaderEvent, { type: 'evicted' }>): void {
    this.finalizePlan();
    const { modelId, reason } = event;
    if ((reason === 'lru' || reason === 'group') && event.afterOverflow) {
      this.checkOverflowFollowUp(modelId, reason, event.forModelId);
    } else if (reason === 'lru' || reason === 'group') {
      this.checkAdmissionVictim(modelId, reason, event.forModelId);
    } else if (AUTOMATIC_REASONS.has(reason) && this.requireLoader().isPinned(modelId)) {
      // Pins change only between test steps, and watchdog evictions claim and stop in one step.
      this.violate(3, `pinned model ${modelId} was evicted for ${reason}`);
    }
    this.checkBusyAtStop(modelId, reason);
  }

  // ---- Invariant 1: the LRU limit ----

  private checkSlots(models: ResidentModelInfo[]): void {
    const holders = models.filter((m) => HOLDS_SLOT.has(m.state));
    const holderIds = new Set(holders.map((m) => m.modelId));
    for (const id of this.overflowAllowance) {
      if (!holderIds.has(id)) this.overflowAllowance.delete(id);
    }
    const allowed = this.settings.lruLimit + this.overflowAllowance.size;
    if (holders.length > allowed) {
      const holderStates = holders.map((m) => `${m.modelId}:${m.state}${m.pinned ? ':pinned' : ''}${m.inFlight > 0 ? ':busy' : ''}`);
      const excused = [...this.overflowAllowance];
      this.violate(
        1,
        `${holders.length} models hold a slot [${holderStates.join(', ')}] at LRU limit ${this.settings.lruLimit}, ` +
          `but only [${excused.join(', ')}] were loaded past it with a pinned or busy model in the way`,
      );
    }
  }

  // ---- Invariant 2: concurrency groups ----

  private checkGroupsAfterLoad(modelId: string): void {
    const groups = this.settings.groupsOf(modelId);
    if (groups.length === 0) return;
    const conflicts = this.requireLoader()
      .list()
      .filter((m) => m.modelId !== modelId && m.state === 'ready')
      .filter((m) => this.settings.groupsOf(m.modelId).some((g) => groups.includes(g)));
    const overflow = this.overflows.get(modelId)?.group;
    const windowMs = this.settings.evictionRetries * this.settings.evictionRetryIntervalMs;
    const waitedMs = this.waitedMs.get(modelId) ?? 0;
    for (const conflict of conflicts) {
      const shared = this.settings.groupsOf(conflict.modelId).filter((g) => groups.includes(g));
      const conflictText = `${modelId} finished loading while ${conflict.modelId} (group ${shared.join(', ')}) is resident`;
      if (!overflow || !overflow.blockers.includes(conflict.modelId)) {
        this.violate(2, `${conflictText}, and no group overflow event named it`);
      } else if (!overflow.pinnedOrBusy.has(conflict.modelId)) {
        this.violate(2, `${conflictText}, though it was neither pinned nor busy when the load gave up waiting`);
      } else if (waitedMs < windowMs) {
        this.violate(2, `${conflictText} after waiting ${waitedMs} ms of a ${windowMs} ms retry window`);
      }
    }
  }

  // ---- Invariants 3, 4 and 5: which model an admission evicts ----

  /**
   * Resolves the pending plan: if a new model started loading since, that plan admitted it.
   * A `loading` record appears only in the synchronous step right after its own plan, so
   * whatever new record is seen before the next plan belongs to the pending one.
   */
  private finalizePlan(): void {
    const plan = this.pendingPlan;
    if (!plan || !this.loader) return;
    this.pendingPlan = undefined;
    const before = new Map(plan.models.map((m) => [m.modelId, m.state]));
    const admitted = this.loader.list().filter((m) => m.state === 'loading' && before.get(m.modelId) !== 'loading');
    if (admitted.length === 0) return;
    if (admitted.length > 1) {
      this.violate(1, `one admission step admitted ${admitted.map((m) => m.modelId).join(' and ')} together`);
    }
    const modelId = admitted[0]!.modelId;
    this.admissions.set(modelId, this.expectedAdmission(modelId, plan));
  }

  /** Works out from the spec which models an admission of `modelId` must evict, given what it saw. */
  private expectedAdmission(modelId: string, snapshot: PlanSnapshot): Admission {
    const groups = this.settings.groupsOf(modelId);
    const holders = snapshot.models.filter((m) => m.modelId !== modelId && HOLDS_SLOT.has(m.state));
    const sharesGroup = (m: ResidentModelInfo): boolean => this.settings.groupsOf(m.modelId).some((g) => groups.includes(g));
    const conflicts = referenceOrder('lru', holders.filter(sharesGroup));
    const expectedGroup = conflicts.filter((m) => this.isEvictable(m)).map((m) => m.modelId);

    // Conflicts that stay still hold their slot.
    const others = referenceOrder(this.settings.policy, holders.filter((m) => !sharesGroup(m)));
    let excess = others.length + (conflicts.length - expectedGroup.length) + 1 - this.settings.lruLimit;
    const expectedLru: string[] = [];
    for (const model of others) {
      if (excess <= 0) break;
      if (!this.isEvictable(model)) continue;
      expectedLru.push(model.modelId);
      excess -= 1;
    }
    return {
      modelId,
      snapshot,
      expectedGroup,
      expectedLru,
      policyOrder: others.map((m) => `${m.modelId}${this.isEvictable(m) ? '' : '(kept)'}`),
      evictedGroup: new Set(),
      evictedLru: new Set(),
    };
  }

  private checkAdmissionVictim(modelId: string, reason: 'lru' | 'group', forModelId: string | undefined): void {
    const admission = forModelId === undefined ? undefined : this.admissions.get(forModelId);
    if (!admission) {
      this.violate(
        5,
        `${modelId} was evicted (${reason}) for ${forModelId ?? 'no model'}, but no planning step admitted that model; ` +
          'admission must plan, reserve the slot and claim its victims in one synchronous step',
      );
      return;
    }
    const seen = admission.snapshot.models.find((m) => m.modelId === modelId);
    const context = `${modelId} was evicted (${reason}) for ${admission.modelId}`;
    if (!seen || seen.state !== 'ready') {
      this.violate(5, `${context} though it was ${seen?.state ?? 'not held'} when that load was admitted`);
    } else if (seen.pinned) {
      this.violate(3, `${context} though it was pinned when that load was admitted`);
    } else if (seen.inFlight > 0 && !this.settings.forceEvictionWhenBusy) {
      this.violate(4, `${context} though it had ${seen.inFlight} call(s) in flight and force-when-busy is off`);
    } else if (reason === 'group' && !admission.expectedGroup.includes(modelId)) {
      this.violate(2, `${context} though it shares no group with it`);
    } else if (reason === 'lru' && !admission.expectedLru.includes(modelId)) {
      this.violate(
        5,
        `${context}; expected LRU victims [${admission.expectedLru.join(', ')}] ` +
          `from policy order [${admission.policyOrder.join(', ')}] at LRU limit ${this.settings.lruLimit}`,
      );
    }
    (reason === 'lru' ? admission.evictedLru : admission.evictedGroup).add(modelId);
  }

  /**
   * An eviction that finishes an overflowed load's evictions: the victim must have blocked
   * that load, be unpinned (invariant 3), and, for the LRU rule, leave no more slots taken
   * than the limit needs. Busy victims are caught by `checkBusyAtStop`.
   */
  private checkOverflowFollowUp(modelId: string, reason: 'lru' | 'group', forModelId: string | undefined): void {
    const context = `${modelId} was evicted (${reason}) after the overflow of ${forModelId ?? 'no model'}`;
    if (!this.overflowBlockers.has(`${reason}:${forModelId}:${modelId}`)) {
      this.violate(5, `${context}, but it did not block that load`);
      return;
    }
    if (this.requireLoader().isPinned(modelId)) this.violate(3, `${context} though it is pinned`);
    if (reason === 'lru') {
      const holders = this.requireLoader().list().filter((m) => HOLDS_SLOT.has(m.state) && m.modelId !== modelId);
      if (holders.length < this.settings.lruLimit) {
        this.violate(5, `${context}, leaving ${holders.length} slot(s) taken at LRU limit ${this.settings.lruLimit}: more than the limit needs`);
      }
    }
  }

  private checkMemoryVictim(modelId: string): void {
    const eligible = this.lastWatchdogView.filter((m) => this.isEvictable(m));
    const expected = referenceOrder(this.settings.policy, eligible)[0];
    if (expected?.modelId !== modelId) {
      const order = referenceOrder(this.settings.policy, eligible).map((m) => m.modelId);
      this.violate(5, `the memory reclaimer chose ${modelId}; the ${this.settings.policy} order of eligible models is [${order.join(', ')}]`);
    }
  }

  /**
   * Invariant 4 at the moment of the stop: a backend with calls in flight may be stopped
   * for an explicit shutdown, for the busy timeout once its oldest call passed it, or with
   * force-when-busy on, and never for idleness.
   */
  private checkBusyAtStop(modelId: string, reason: string): void {
    const address = this.addressOf.get(modelId);
    const inFlight = address === undefined ? [] : this.calls.inFlightOn(address);
    if (inFlight.length === 0 || reason === 'explicit' || reason === 'connection-error') return;
    const nowMs = this.clock.now();
    const oldestMs = Math.min(...inFlight.map((c) => c.startMs));
    const stopText = `${modelId} was stopped (${reason}) with ${inFlight.length} call(s) in flight, the oldest from ${oldestMs} ms`;
    if (reason === 'busy-timeout') {
      const timeoutMs = this.settings.busyTimeoutMs;
      if (timeoutMs === undefined || !(nowMs - oldestMs > timeoutMs)) {
        this.violate(4, `${stopText}, before the busy timeout of ${timeoutMs ?? '(no watchdog)'} ms passed`);
      }
    } else if (reason === 'idle' || !this.settings.forceEvictionWhenBusy) {
      this.violate(4, `${stopText}, and force-when-busy is ${this.settings.forceEvictionWhenBusy ? 'on' : 'off'}`);
    }
  }

  // ---- Invariants 6 and 7: spawns ----

  private onLaunch(inner: BackendLauncher, request: LaunchRequest): Promise<BackendProcess> {
    const { modelId } = request;
    this.launchCount.set(modelId, (this.launchCount.get(modelId) ?? 0) + 1);
    const nowMs = this.clock.now();
    for (const failure of this.failures.get(modelId) ?? []) {
      if (nowMs < failure.timeMs + failure.cooldownMs) {
        this.violate(
          7,
          `${modelId} was spawned at ${nowMs} ms, inside the cooldown of the failure at ${failure.timeMs} ms ` +
            `(${failure.cooldownMs} ms)`,
        );
      }
    }
    return inner.launch(request);
  }

  private checkSpawnCounts(): void {
    const ids = new Set([...this.launchCount.keys(), ...this.loadStartedCount.keys()]);
    for (const id of ids) {
      const launches = this.launchCount.get(id) ?? 0;
      const attempts = this.loadStartedCount.get(id) ?? 0;
      if (launches !== attempts) this.violate(6, `${id} was spawned ${launches} time(s) for ${attempts} cold load(s)`);
    }
    for (const launch of this.backends.launches) {
      if (launch.process.loadModelCalls > 1) {
        this.violate(6, `process ${launch.process.pid} of ${launch.modelId} got ${launch.process.loadModelCalls} LoadModel calls`);
      }
    }
  }

  // ---- Invariant 8: no leaked process ----

  private checkRunningProcesses(models: ResidentModelInfo[]): void {
    const byModel = new Map<string, number[]>();
    for (const launch of this.backends.running()) {
      byModel.set(launch.modelId, [...(byModel.get(launch.modelId) ?? []), launch.process.pid]);
    }
    for (const [modelId, pids] of byModel) {
      if (pids.length > 1) this.violate(8, `${modelId} has ${pids.length} running processes (pids ${pids.join(', ')})`);
      const record = models.find((m) => m.modelId === modelId);
      const state = record?.state ?? 'not held';
      if (!record || !['loading', 'ready', 'stopping'].includes(record.state)) {
        this.violate(8, `process ${pids.join(', ')} of ${modelId} runs while the loader holds the model as ${state}`);
      } else if (record.pid !== undefined && !pids.includes(record.pid)) {
        this.violate(8, `process ${pids.join(', ')} of ${modelId} runs but the loader's record names pid ${record.pid}`);
      }
    }
  }

  // ---- Helpers ----

  /** True when automatic eviction may take the model: resident, not pinned, and idle unless force-when-busy. */
  private isEvictable(model: ResidentModelInfo): boolean {
    return model.state === 'ready' && !model.pinned && (model.inFlight === 0 || this.settings.forceEvictionWhenBusy);
  }

  /** True when a blocker is one the spec lets a load wait for and then pass: pinned, or busy without force. */
  private isInTheWay(model: ResidentModelInfo): boolean {
    return model.pinned || (model.inFlight > 0 && !this.settings.forceEvictionWhenBusy);
  }

  private violate(invariant: number, message: string): void {
    this.violations.push(`invariant ${invariant} at ${this.clock.now()} ms: ${message}`);
  }

  private requireLoader(): ModelLoader {
    if (!this.loader) throw new Error('InvariantObserver.attach(loader) was not called');
    return this.loader;
  }
}

function describeEvent(event: LoaderEvent): string {
  const base = `${event.timeMs} ${event.type} ${event.modelId}`;
  switch (event.type) {
    case 'evicted':
      return `${base} reason=${event.reason}${event.forced ? ' forced' : ''}${event.forModelId ? ` for=${event.forModelId}` : ''}`;
    case 'eviction-skipped':
      return `${base} reason=${event.reason} for=${event.forModelId}`;
    case 'overflow':
      return `${base} kind=${event.kind} blockers=${event.blockers.join(',')}`;
    case 'load-failed':
      return `${base} code=${event.code} cooldownMs=${event.cooldownMs}`;
    case 'admission-waited':
      return `${base} waitedMs=${event.waitedMs}`;
    case 'cooldown-rejected':
      return `${base} retryAfterMs=${event.retryAfterMs}`;
    case 'backend-exited':
      return `${base} exitCode=${event.exitCode} intentional=${event.intentional}`;
    default:
      return base;
  }
}
