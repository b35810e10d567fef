import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GrpcBackendClient } from '../../src/backend/grpc/grpc-backend-client.js';
import type { ProcessLauncherOptions } from '../../src/backend/process/launcher-options.js';
import { ProcessLauncher } from '../../src/backend/process/process-launcher.js';
import type { BackendClient } from '../../src/backend/backend-client.js';
import { ModelLoader } from '../../src/loader/model-loader.js';
import { MemoryLogger } from '../../src/util/logger.js';
import type { BenchSuite, Comparison, DurationSamples } from '../comparison.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const LISTENING = /^listening on \S+ after (\d+) ms$/;
const SPAWN_RUNS = 5;

/**
 * Launches the fake backend `runs` times; for each, the launcher's spawn-to-ready time
 * (subject) and the start-up time the backend itself reports (baseline).
 */
async function sampleSpawnToReady(runs: number, options: ProcessLauncherOptions): Promise<DurationSamples> {
  const samples: DurationSamples = { baselineMs: [], subjectMs: [] };
  for (let run = 0; run < runs; run++) {
    const logger = new MemoryLogger();
    const launcher = new ProcessLauncher({ ...options, logger });
    const backend = await launcher.launch({
      modelId: `bench-${run}`,
      backend: { name: 'fake', executable: process.execPath, args: [CLI, 'backend'] },
    });
    const ready = logger.records.find((record) => record.message === 'backend ready');
    const listening = backend.recentOutput().map((line) => LISTENING.exec(line)).find((match) => match !== null);
    await backend.stop({ force: true });
    if (!ready || !listening) throw new Error(`spawn run ${run}: missing the ready record or the listening line`);
    samples.subjectMs.push(ready.fields['readyAfterMs'] as number);
    samples.baselineMs.push(Number(listening[1]));
  }
  return samples;
}

let loader: ModelLoader | undefined;
let direct: BackendClient | undefined;

/**
 * A `Predict` through the loader's client against a direct gRPC call to the same fake
 * backend process. Generation is instant, so the figure is the loader's per-call cost.
 */
async function perCallOverhead(): Promise<Comparison> {
  loader = new ModelLoader({
    launcher: new ProcessLauncher(),
    backends: { fake: { executable: process.execPath, args: [CLI, 'backend', '--parallel', '8'] } },
    modelsDir: '/models',
  });
  const throughLoader = await loader.load({ modelId: 'bench', modelFile: 'bench.gguf', backend: 'fake' });
  direct = new GrpcBackendClient(throughLoader.address);
  const request = { Prompt: 'benchmark', Tokens: 4 };
  return {
    id: 'process/per-call-overhead',
    baseline: { name: 'direct gRPC Predict', fn: () => direct!.predict(request) },
    subject: { name: 'Predict through ModelLoader', fn: () => throughLoader.predict(request) },
  };
}

export const processSuite: BenchSuite = {
  name: 'process',
  async setup() {
    if (!existsSync(CLI)) throw new Error(`compiled CLI not found at ${CLI}; run "npm run build" first`);
    return [
      {
        kind: 'sampled',
        id: 'process/spawn-to-ready',
        params: { polling: 'backoff from 5 ms' },
        baselineName: 'backend-reported start-up',
        subjectName: 'launcher spawn to ready',
        sample: () => sampleSpawnToReady(SPAWN_RUNS, {}),
      },
      {
        kind: 'sampled',
        id: 'process/spawn-to-ready-polling-1s',
        params: { polling: 'fixed 1000 ms' },
        baselineName: 'backend-reported start-up',
        subjectName: 'launcher spawn to ready',
        // A loader that polls once a second, as the original design does.
        sample: () => sampleSpawnToReady(SPAWN_RUNS, { readyPollInitialMs: 1_000, readyPollMaxMs: 1_000 }),
      },
      await perCallOverhead(),
    ];
  },
  async teardown() {
    direct?.close();
    await loader?.shutdown();
  },
};
