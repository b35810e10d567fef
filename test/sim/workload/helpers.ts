import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario } from '../../../sim/scenario/load-scenario.js';
import type { Scenario } from '../../../sim/scenario/types.js';
import type { TraceRequest, Workload } from '../../../sim/workload/trace-request.js';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const fixtureTraces = path.join(repoRoot, 'test/fixtures/traces');
/** The shared public traces, read in place and never copied into the repository. */
export const sharedTraces = path.resolve(repoRoot, '../shared/traces');

/** Parses scenario YAML as if it were a file in test/fixtures/traces, so paths are relative to the fixtures. */
export function scenarioFromYaml(text: string): Scenario {
  return parseScenario(text, path.join(fixtureTraces, 'scenario.yaml'));
}

export async function collect(workload: Workload | AsyncIterable<TraceRequest>): Promise<TraceRequest[]> {
  const requests: TraceRequest[] = [];
  for await (const request of workload) {
    requests.push(request);
  }
  return requests;
}

/** Models block with the given ids, each a small fixed-time model. */
export function modelsYaml(ids: readonly string[]): string {
  return `models:\n${ids.map((id) => `  - { id: ${JSON.stringify(id)}, sizeBytes: 1000, serviceMs: 5 }`).join('\n')}\n`;
}
