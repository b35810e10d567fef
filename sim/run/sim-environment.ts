import { GpuMemoryPool, SimMemoryProbe } from '../backends/gpu-memory.js';
import type { RequestFacts, SimModel } from '../backends/sim-backend.js';
import { SimLauncher } from '../backends/sim-launcher.js';
import { VirtualClock } from '../clock/virtual-clock.js';
import type { Scenario } from '../scenario/types.js';
import type { ReplayEnvironment } from './replay-environment.js';

/** Options of the virtual-time environment. */
export interface SimEnvironmentOptions {
  seed: string | number;
  /** Load and service times vary by a uniform factor in [1 - j, 1 + j]. */
  jitterFraction: number;
  /** Facts about replayed requests (prompt tokens, recorded service time), by `CorrelationId`. */
  requestFacts: (correlationId: string) => RequestFacts | undefined;
}

/** Converts the scenario's models to what a simulated backend serves by. */
export function simModelsOf(scenario: Scenario): SimModel[] {
  return scenario.models.map((model) => ({
    modelId: model.id,
    sizeBytes: model.sizeBytes,
    loadMs: model.loadMs,
    service: model.service,
    parallelSlots: model.parallelSlots,
  }));
}

/**
 * Creates the `sim` environment: a virtual clock and in-process simulated backends, so a replay of
 * an hour of traffic takes seconds and gives the same numbers every time.
 */
export function createSimEnvironment(scenario: Scenario, options: SimEnvironmentOptions): ReplayEnvironment {
  const clock = new VirtualClock();
  const memory = new GpuMemoryPool(scenario.host.gpuMemoryBytes);
  const launcher = new SimLauncher({
    clock,
    memory,
    models: simModelsOf(scenario),
    seed: options.seed,
    jitterFraction: options.jitterFraction,
    faults: scenario.faults,
    requestFacts: options.requestFacts,
  });
  const backendNames = [...new Set(scenario.models.map((model) => model.backend))];
  return {
    mode: 'sim',
    clock,
    launcher,
    // The simulated launcher never runs these; the catalog only needs a definition per name.
    backends: Object.fromEntries(backendNames.map((name) => [name, { executable: `simulated-${name}` }])),
    memory,
    memoryProbe: new SimMemoryProbe(memory),
    loadOptions: () => [],
    attach: () => {},
    advanceTo: (timeMs) => clock.runUntil(timeMs),
    waitFor: (promise, what, limitMs) => clock.runUntilSettled(promise, what, limitMs),
    startFaults: () => launcher.startFaults(),
    stopFaults: () => launcher.faults.stop(),
    faultRecords: () => launcher.faults.faultRecords(),
    close: () => Promise.resolve(),
  };
}
