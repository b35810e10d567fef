import { createRandom, type Random } from '../../src/util/random.js';
import type { ArrivalProcess, GeneratorSource } from '../scenario/types.js';
import { createTokenSampler, ModelChooser } from './sampling.js';
import type { TraceRequest } from './trace-request.js';

/** Random stream names of generated workloads, one per purpose. */
export const GENERATOR_STREAMS = {
  arrivals: 'workload/arrivals',
  modelChoice: 'workload/model-choice',
  promptTokens: 'workload/prompt-tokens',
  outputTokens: 'workload/output-tokens',
} as const;

/** Instantaneous arrival rate in requests per ms at time `timeMs`. */
export function arrivalRatePerMs(arrival: ArrivalProcess, timeMs: number): number {
  switch (arrival.kind) {
    case 'poisson':
      return arrival.ratePerSecond / 1000;
    case 'bursty': {
      const cycleMs = arrival.onMs + arrival.offMs;
      const on = arrival.offMs === 0 || timeMs % cycleMs < arrival.onMs;
      return (on ? arrival.ratePerSecond : arrival.offRatePerSecond) / 1000;
    }
    case 'diurnal': {
      const angle = (2 * Math.PI * (timeMs + arrival.phaseMs)) / arrival.periodMs;
      return (arrival.ratePerSecond * (1 + arrival.amplitude * Math.sin(angle))) / 1000;
    }
  }
}

function peakRatePerMs(arrival: ArrivalProcess): number {
  switch (arrival.kind) {
    case 'poisson':
      return arrival.ratePerSecond / 1000;
    case 'bursty':
      return Math.max(arrival.ratePerSecond, arrival.offRatePerSecond) / 1000;
    case 'diurnal':
      return (arrival.ratePerSecond * (1 + arrival.amplitude)) / 1000;
  }
}

/**
 * Yields arrival times in [0, durationMs). A time-varying rate uses thinning (Lewis and
 * Shedler): candidates come at the peak rate and each is kept with probability
 * rate(t) / peak, which gives an exact non-homogeneous Poisson process.
 */
export function* generateArrivalTimes(arrival: ArrivalProcess, durationMs: number, random: Random): Generator<number> {
  const peak = peakRatePerMs(arrival);
  if (!(peak > 0)) {
    return;
  }
  const constantRate = arrival.kind === 'poisson';
  let timeMs = 0;
  for (;;) {
    timeMs += -Math.log(1 - random()) / peak;
    if (timeMs >= durationMs) {
      return;
    }
    if (constantRate || random() * peak < arrivalRatePerMs(arrival, timeMs)) {
      yield timeMs;
    }
  }
}

/** Generates requests from a generator source; each purpose draws from its own stream of `seed`. */
export function* generateRequests(
  source: GeneratorSource,
  modelIds: readonly string[],
  seed: number | string,
): Generator<TraceRequest> {
  const chooser = new ModelChooser(modelIds, source.popularity, createRandom(seed, GENERATOR_STREAMS.modelChoice));
  const promptTokens = createTokenSampler(source.promptTokens, createRandom(seed, GENERATOR_STREAMS.promptTokens));
  const outputTokens = createTokenSampler(source.outputTokens, createRandom(seed, GENERATOR_STREAMS.outputTokens));
  for (const timeMs of generateArrivalTimes(source.arrival, source.durationMs, createRandom(seed, GENERATOR_STREAMS.arrivals))) {
    yield { timeMs, modelId: chooser.next(), promptTokens: promptTokens(), outputTokens: outputTokens() };
  }
}
