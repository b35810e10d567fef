import { describe, expect, it } from 'vitest';
import { createWorkload } from '../../../sim/workload/create-workload.js';
import type { TraceRequest } from '../../../sim/workload/trace-request.js';
import { collect, modelsYaml, scenarioFromYaml } from './helpers.js';

function generatorScenario(generator: string, seed: number | string = 7, models = ['a', 'b', 'c']): string {
  return `name: generated\nseed: ${seed}\n${modelsYaml(models)}workload:\n  generator: ${generator}\n`;
}

async function generate(generator: string, seed?: number | string): Promise<TraceRequest[]> {
  return collect(createWorkload(scenarioFromYaml(generatorScenario(generator, seed))));
}

function fractionOf(requests: readonly TraceRequest[], modelId: string): number {
  return requests.filter((request) => request.modelId === modelId).length / requests.length;
}

describe('workload generators', () => {
  const poisson = '{ kind: poisson, ratePerSecond: 50, durationMs: 200000 }';

  it('repeat exactly for one seed', async () => {
    const first = await generate(poisson, 7);
    const second = await generate(poisson, 7);

    expect(second).toEqual(first);
  });

  it('differ between seeds', async () => {
    const first = await generate(poisson, 7);
    const other = await generate(poisson, 8);

    expect(other.slice(0, 10)).not.toEqual(first.slice(0, 10));
  });

  it('match the Poisson rate', async () => {
    const requests = await generate(poisson);

    // 10,000 expected; one standard deviation is 100.
    expect(requests.length).toBeGreaterThan(9_600);
    expect(requests.length).toBeLessThan(10_400);
    expect(requests.every((request, index) => index === 0 || request.timeMs >= requests[index - 1]!.timeMs)).toBe(true);
    expect(requests.at(-1)!.timeMs).toBeLessThan(200_000);
  });

  it('keep bursts inside their on periods', async () => {
    const requests = await generate('{ kind: bursty, ratePerSecond: 100, onMs: 1000, offMs: 1000, durationMs: 100000 }');

    expect(requests.every((request) => request.timeMs % 2000 < 1000)).toBe(true);
    // 50 on-seconds at 100 per second.
    expect(requests.length).toBeGreaterThan(4_700);
    expect(requests.length).toBeLessThan(5_300);
  });

  it('follow the diurnal curve', async () => {
    const requests = await generate('{ kind: diurnal, ratePerSecond: 100, amplitude: 1, periodMs: 10000, durationMs: 100000 }');
    const rising = requests.filter((request) => request.timeMs % 10_000 < 5_000).length;
    const falling = requests.length - rising;

    // Mean rate over the period is the given rate.
    expect(requests.length).toBeGreaterThan(9_600);
    expect(requests.length).toBeLessThan(10_400);
    // The positive half of sin has (1 + 2/π) / (1 - 2/π) ≈ 4.5 times the requests of the negative half.
    expect(rising / falling).toBeGreaterThan(3.8);
    expect(rising / falling).toBeLessThan(5.3);
  });

  it('choose models by Zipf popularity', async () => {
    const requests = await generate('{ kind: poisson, ratePerSecond: 100, durationMs: 200000, popularity: { kind: zipf, alpha: 1 } }');

    // Weights 1, 1/2, 1/3 over 11/6.
    expect(fractionOf(requests, 'a')).toBeCloseTo(6 / 11, 1);
    expect(fractionOf(requests, 'b')).toBeCloseTo(3 / 11, 1);
    expect(fractionOf(requests, 'c')).toBeCloseTo(2 / 11, 1);
  });

  it('choose models by explicit weights', async () => {
    const requests = await generate('{ kind: poisson, ratePerSecond: 100, durationMs: 100000, popularity: { kind: weights, weights: { b: 3, c: 1 } } }');

    expect(fractionOf(requests, 'a')).toBe(0);
    expect(fractionOf(requests, 'b')).toBeCloseTo(0.75, 1);
  });

  it('draw tokens without shifting arrivals or models', async () => {
    const plain = await generate(poisson);
    const withTokens = await generate('{ kind: poisson, ratePerSecond: 50, durationMs: 200000, promptTokens: { kind: lognormal, median: 1000, sigma: 1, max: 14000 }, outputTokens: { kind: uniform, min: 5, max: 9 } }');

    expect(withTokens.map((request) => [request.timeMs, request.modelId])).toEqual(plain.map((request) => [request.timeMs, request.modelId]));
    expect(withTokens.every((request) => request.outputTokens >= 5 && request.outputTokens <= 9)).toBe(true);
    expect(withTokens.every((request) => request.promptTokens >= 1 && request.promptTokens <= 14_000)).toBe(true);
    const sorted = withTokens.map((request) => request.promptTokens).sort((a, b) => a - b);
    expect(sorted[sorted.length >> 1]! / 1000).toBeCloseTo(1, 0);
  });
});
