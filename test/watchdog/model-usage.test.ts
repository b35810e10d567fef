import { describe, expect, it } from 'vitest';
import { ModelUsage } from '../../src/watchdog/model-usage.js';

describe('ModelUsage', () => {
  it('reports idle once the last call ends', () => {
    let now = 0;
    let idleNotices = 0;
    const usage = new ModelUsage(0, () => idleNotices++);
    now = 10;
    const endFirst = usage.startCall(() => now);
    now = 20;
    const endSecond = usage.startCall(() => now);
    now = 30;
    endFirst();
    expect(usage).toMatchObject({ inFlight: 1, busySinceMs: 20 });
    expect(idleNotices).toBe(0);
    now = 45;
    endSecond();
    expect(usage).toMatchObject({ inFlight: 0, busySinceMs: undefined, idleSinceMs: 45, lastUsedMs: 45 });
    expect(idleNotices).toBe(1);
  });

  it('ignores a second end of the same call', () => {
    const usage = new ModelUsage(0);
    const end = usage.startCall(() => 1);
    usage.startCall(() => 2);
    end();
    end();
    expect(usage.inFlight).toBe(1);
  });
});
