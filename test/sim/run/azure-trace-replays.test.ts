import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../../sim/scenario/load-scenario.js';
import { runScenario } from '../../../sim/run/run-scenario.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const traces = path.resolve(root, '../shared/traces');

/** Data rows of a CSV trace: its non-empty lines after the header. */
async function rowCount(file: string): Promise<number> {
  const text = await readFile(path.join(traces, file), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '').length - 1;
}

const replays = [
  { scenario: 'azure-llm-conv.yaml', trace: 'azure_llm_2023_conv.csv', rows: 19_366 },
  { scenario: 'azure-llm-code.yaml', trace: 'azure_llm_2023_code.csv', rows: 8_819 },
  { scenario: 'azure-functions.yaml', trace: 'azure_functions_2021_sample200.csv', rows: 199 },
];

describe('Azure trace replays', () => {
  for (const { scenario, trace, rows } of replays) {
    it(
      `accounts for every request of ${trace}`,
      async () => {
        expect(await rowCount(trace)).toBe(rows);
        const { summary } = await runScenario(await loadScenario(path.join(root, 'scenarios', scenario)));
        const failed = Object.values(summary.requests.failedByReason).reduce((sum, count) => sum + count, 0);
        expect(summary.requests.total).toBe(rows);
        expect(summary.requests.succeeded + failed).toBe(rows);
        expect(summary.workload.skippedRows).toBe(0);
        expect(summary.invariants.unexplained).toBe(0);
        expect(summary.expectations.passed).toBe(true);
      },
      180_000,
    );
  }
});
