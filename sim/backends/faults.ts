import type { Clock, Timer } from '../../src/clock/clock.js';
import type { ScenarioFault } from '../scenario/types.js';
import type { FaultRecord } from '../metrics/summary.js';

/** Operations the injector needs from the backends it disturbs. */
export interface FaultTarget {
  /** Makes the model's running backend exit as if it crashed; returns false when none ran. */
  crash(modelId: string): boolean;
  /** Freezes (true) or resumes (false) the work of the model's running backend. */
  setHung(modelId: string, hung: boolean): boolean;
}

/**
 * Applies a scenario's faults at their times on the clock and answers the simulated
 * backends' questions about the faults active now. Faults at one time apply in file order.
 *
 * - crash: the model's running backend exits at `atMs` (nothing happens when none runs);
 * - hang: from `atMs` for `durationMs`, the model's backend completes nothing, so calls wait
 *   and time out; backends started inside the window hang too;
 * - slow-load: loads started inside the window take `loadTimeFactor` times as long;
 * - fail-load: the next `count` loads of the model started at or after `atMs` fail;
 * - refuse-connection: inside the window, new calls and starts of the model's backend fail
 *   with a connection error;
 * - node-down and node-up belong to distributed mode and do nothing here.
 */
export class FaultInjector {
  private readonly records: FaultRecord[];
  private readonly timers: Timer[] = [];
  /** Faults whose window is open now, by model: hang, refuse-connection and slow-load. */
  private readonly activeHangs = new Map<string, FaultRecord[]>();
  private readonly activeRefusals = new Map<string, FaultRecord[]>();
  private readonly activeSlowLoads = new Map<string, Array<{ record: FaultRecord; factor: number }>>();
  private readonly pendingLoadFailures = new Map<string, Array<{ record: FaultRecord; left: number }>>();

  constructor(
    private readonly clock: Clock,
    private readonly faults: readonly ScenarioFault[],
  ) {
    this.records = faults.map(toRecord);
  }

  /** Schedules every fault, counting `atMs` from the clock's time now. */
  start(target: FaultTarget): void {
    this.faults.forEach((fault, index) => {
      const record = this.records[index]!;
      this.timers.push(this.clock.setTimer(fault.atMs, () => this.begin(fault, record, target)));
    });
  }

  /** Cancels faults that have not started or ended yet. */
  stop(): void {
    for (const timer of this.timers) timer.cancel();
    this.timers.length = 0;
  }

  /** Returns one record per fault, in scenario order. */
  faultRecords(): FaultRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  /** Returns whether the model's backends hang now, and marks the hang as having met one. */
  checkHung(modelId: string): boolean {
    return markHit(this.activeHangs.get(modelId));
  }

  /** Returns whether the model's backends refuse connections now, and marks the fault as having met one. */
  checkRefusing(modelId: string): boolean {
    return markHit(this.activeRefusals.get(modelId));
  }

  /** Factor on the duration of a load starting now: the product of the active slow-load faults. */
  loadTimeFactor(modelId: string): number {
    let factor = 1;
    for (const active of this.activeSlowLoads.get(modelId) ?? []) {
      active.record.hit = true;
      factor *= active.factor;
    }
    return factor;
  }

  /** Returns true, and uses one up, when a pending fail-load fault makes this load fail. */
  takeLoadFailure(modelId: string): boolean {
    const pending = this.pendingLoadFailures.get(modelId);
    const next = pending?.[0];
    if (!pending || !next) return false;
    next.record.hit = true;
    next.left -= 1;
    if (next.left <= 0) pending.shift();
    return true;
  }

  private begin(fault: ScenarioFault, record: FaultRecord, target: FaultTarget): void {
    switch (fault.kind) {
      case 'crash':
        record.hit = target.crash(fault.modelId);
        return;
      case 'hang':
        pushTo(this.activeHangs, fault.modelId, record);
        if (target.setHung(fault.modelId, true)) record.hit = true;
        this.later(fault.durationMs, () => {
          removeFrom(this.activeHangs, fault.modelId, record);
          if (!this.activeHangs.get(fault.modelId)?.length) target.setHung(fault.modelId, false);
        });
        return;
      case 'slow-load': {
        const active = { record, factor: fault.loadTimeFactor };
        pushTo(this.activeSlowLoads, fault.modelId, active);
        this.later(fault.durationMs, () => removeFrom(this.activeSlowLoads, fault.modelId, active));
        return;
      }
      case 'fail-load':
        if (fault.count > 0) pushTo(this.pendingLoadFailures, fault.modelId, { record, left: fault.count });
        return;
      case 'refuse-connection':
        pushTo(this.activeRefusals, fault.modelId, record);
        this.later(fault.durationMs, () => removeFrom(this.activeRefusals, fault.modelId, record));
        return;
      case 'node-down':
      case 'node-up':
        return;
    }
  }

  private later(ms: number, callback: () => void): void {
    this.timers.push(this.clock.setTimer(ms, callback));
  }
}

function markHit(active: FaultRecord[] | undefined): boolean {
  if (!active?.length) return false;
  for (const record of active) record.hit = true;
  return true;
}

function toRecord(fault: ScenarioFault): FaultRecord {
  return {
    timeMs: fault.atMs,
    kind: fault.kind,
    modelId: 'modelId' in fault ? fault.modelId : null,
    nodeId: fault.nodeId ?? null,
    durationMs: 'durationMs' in fault ? fault.durationMs : 0,
    hit: false,
  };
}

/** Appends `value` to the list at `key`, creating the list. */
export function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Removes one `value` from the list at `key`, if present. */
export function removeFrom<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  const index = list?.indexOf(value) ?? -1;
  if (list && index >= 0) list.splice(index, 1);
}
