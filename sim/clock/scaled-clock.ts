import type { Clock, Timer } from '../../src/clock/clock.js';
import { RealClock } from '../../src/clock/real-clock.js';
import { InvalidOptionError } from '../../src/errors.js';

/**
 * A real clock running `speed` times faster than wall time: at speed 4, a scenario's 1 s
 * passes in 250 ms of wall time. Process-mode replays use it so a trace of minutes runs in
 * seconds against real backend processes. `now()` counts scenario milliseconds from the
 * moment the clock was created.
 */
export class ScaledClock implements Clock {
  private readonly originMs: number;

  constructor(
    readonly speed: number,
    private readonly real: Clock = new RealClock(),
  ) {
    if (!Number.isFinite(speed) || speed <= 0) {
      throw new InvalidOptionError('speed', 'a positive number (1 = real time)', speed);
    }
    this.originMs = real.now();
  }

  now(): number {
    return (this.real.now() - this.originMs) * this.speed;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.real.sleep(ms / this.speed, signal);
  }

  setTimer(ms: number, callback: () => void): Timer {
    return this.real.setTimer(ms / this.speed, callback);
  }

  setRepeatingTimer(ms: number, callback: () => void): Timer {
    return this.real.setRepeatingTimer(ms / this.speed, callback);
  }

  /** Converts a scenario duration to wall-clock milliseconds. */
  toWallMs(ms: number): number {
    return ms / this.speed;
  }
}
