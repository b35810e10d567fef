import { fileURLToPath } from 'node:url';
import { runScenario } from '../../sim/run/run-scenario.js';
import { loadScenario } from '../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../sim/scenario/types.js';
import { createWorkload } from '../../sim/workload/create-workload.js';
import type { Workload } from '../../sim/workload/trace-request.js';
import type { BenchSuite, Comparison } from '../comparison.js';

const SCENARIO = fileURLToPath(new URL('../../../scenarios/quickstart.yaml', import.meta.url));
/** Requests replayed per measured run: a slice of the quickstart traffic. */
const REQUESTS = 1_000;

async function firstRequests(scenario: Scenario, count: number): Promise<string[]> {
  const models: string[] = [];
  for await (const request of createWorkload(scenario)) {
    models.push(request.modelId);
    if (models.length === count) break;
  }
  return models;
}

/**
 * A replay of the quickstart's first requests through the real loader on virtual time,
 * against a plain synchronous LRU over the same model sequence. Requests per second is
 * the count divided by either mean.
 */
async function simulatorThroughput(): Promise<Comparison> {
  const scenario = await loadScenario(SCENARIO);
  const sequence = await firstRequests(scenario, REQUESTS);
  const limit = scenario.loader.lruLimit;
  const firstSlice = (): Workload => ({
    source: `first ${REQUESTS} requests of ${scenario.name}`,
    skippedRows: 0,
    skippedRowSamples: [],
    async *[Symbol.asyncIterator]() {
      let count = 0;
      for await (const request of createWorkload(scenario)) {
        yield request;
        if (++count === REQUESTS) return;
      }
    },
  });
  let sink: unknown;
  return {
    id: 'simulator/throughput',
    params: { requests: REQUESTS, lruLimit: limit },
    baseline: {
      name: 'synchronous LRU loop',
      fn: () => {
        const resident = new Map<string, true>();
        let loads = 0;
        for (const model of sequence) {
          if (resident.delete(model)) {
            resident.set(model, true);
            continue;
          }
          loads += 1;
          if (limit > 0 && resident.size >= limit) resident.delete(resident.keys().next().value as string);
          resident.set(model, true);
        }
        sink = loads;
      },
    },
    subject: {
      name: 'runScenario (sim backends)',
      fn: async () => {
        sink = await runScenario(scenario, { workload: firstSlice() });
      },
    },
  };
}

export const simulatorSuite: BenchSuite = {
  name: 'simulator',
  async setup() {
    return [await simulatorThroughput()];
  },
};
