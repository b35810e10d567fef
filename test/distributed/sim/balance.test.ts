import { describe, expect, it } from 'vitest';
import type { DistributedEvent } from '../../../src/distributed/events.js';
import { BalanceCollector, jainIndex } from '../../../sim/distributed/balance.js';

function event(type: 'replica-loaded' | 'replica-acquired' | 'replica-released', timeMs: number, nodeId: string): DistributedEvent {
  const key = { modelId: 'm', nodeId, replicaIndex: 0, timeMs };
  if (type === 'replica-loaded') return { type, ...key, frontendId: 'f', address: nodeId, durationMs: 0 };
  return { type, ...key, frontendId: 'f' };
}

describe('jainIndex', () => {
  const table: { values: number[]; expected: number }[] = [
    { values: [5, 5, 5, 5], expected: 1 },
    { values: [4, 0, 0, 0], expected: 0.25 },
    { values: [3, 1], expected: 0.8 },
    { values: [0, 0], expected: 1 },
  ];
  for (const { values, expected } of table) {
    it(`is ${expected} for [${values.join(', ')}]`, () => {
      expect(jainIndex(values)).toBeCloseTo(expected, 10);
    });
  }
});

describe('BalanceCollector', () => {
  it('counts requests and peak in-flight per replica', () => {
    const collector = new BalanceCollector(0, 1_000);
    collector.onEvent(event('replica-loaded', 0, 'a'));
    collector.onEvent(event('replica-loaded', 0, 'b'));
    collector.onEvent(event('replica-acquired', 10, 'a'));
    collector.onEvent(event('replica-acquired', 20, 'a'));
    collector.onEvent(event('replica-acquired', 30, 'b'));
    collector.onEvent(event('replica-released', 40, 'a'));
    collector.onEvent(event('replica-released', 50, 'a'));
    collector.onEvent(event('replica-released', 60, 'b'));
    const summary = collector.finish(100);

    expect(summary.replicas).toEqual([
      { modelId: 'm', nodeId: 'a', replicaIndex: 0, requests: 2, peakInFlight: 2 },
      { modelId: 'm', nodeId: 'b', replicaIndex: 0, requests: 1, peakInFlight: 1 },
    ]);
    const [model] = summary.perModel;
    expect(model?.jainIndex).toBeCloseTo(0.9, 6);
    expect(model?.maxOverMean).toBeCloseTo(4 / 3, 5);
    expect(model?.coefficientOfVariation).toBeCloseTo(1 / 3, 5);
  });

  it('rates one call on two replicas as balanced', () => {
    const collector = new BalanceCollector(0, 1_000);
    collector.onEvent(event('replica-loaded', 0, 'a'));
    collector.onEvent(event('replica-loaded', 0, 'b'));
    collector.onEvent(event('replica-acquired', 0, 'a'));
    collector.onEvent(event('replica-released', 100, 'a'));
    expect(collector.finish(100).perModel[0]?.inFlightJainIndex).toBe(1);
  });

  it('rates two calls on one of two replicas as herded', () => {
    const collector = new BalanceCollector(0, 1_000);
    collector.onEvent(event('replica-loaded', 0, 'a'));
    collector.onEvent(event('replica-loaded', 0, 'b'));
    collector.onEvent(event('replica-acquired', 0, 'a'));
    collector.onEvent(event('replica-acquired', 0, 'a'));
    collector.onEvent(event('replica-released', 100, 'a'));
    collector.onEvent(event('replica-released', 100, 'a'));
    expect(collector.finish(100).perModel[0]?.inFlightJainIndex).toBeCloseTo(0.5, 6);
  });

  it('samples fairness per window', () => {
    const collector = new BalanceCollector(0, 1_000);
    collector.onEvent(event('replica-loaded', 0, 'a'));
    collector.onEvent(event('replica-loaded', 0, 'b'));
    collector.onEvent(event('replica-acquired', 100, 'a'));
    collector.onEvent(event('replica-acquired', 1_100, 'a'));
    collector.onEvent(event('replica-acquired', 1_200, 'b'));
    const summary = collector.finish(2_000);
    expect(summary.fairnessOverTime).toEqual([
      { timeMs: 1_000, modelId: 'm', jainIndex: 0.5 },
      { timeMs: 2_000, modelId: 'm', jainIndex: 1 },
    ]);
  });
});
