import type { Random } from '../../src/util/random.js';
import type { ModelPopularity, TokenDistribution } from '../scenario/types.js';

/** Draws an index with probability proportional to its weight (cumulative sums and binary search). */
export class WeightedChoice {
  private readonly cumulative: number[];

  constructor(weights: readonly number[]) {
    let total = 0;
    this.cumulative = weights.map((weight) => (total += weight));
    if (!(total > 0)) {
      throw new RangeError('weighted choice needs at least one weight above 0');
    }
  }

  pick(random: Random): number {
    const total = this.cumulative[this.cumulative.length - 1]!;
    const target = random() * total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle]! > target) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return low;
  }
}

/** Weights of `modelIds` (in scenario order) under a popularity. Zipf gives rank i the weight 1 / i^alpha. */
export function popularityWeights(popularity: ModelPopularity, modelIds: readonly string[]): number[] {
  switch (popularity.kind) {
    case 'uniform':
      return modelIds.map(() => 1);
    case 'zipf':
      return modelIds.map((_, index) => 1 / (index + 1) ** popularity.alpha);
    case 'weights':
      return modelIds.map((id) => popularity.weights[id] ?? 0);
  }
}

/** Draws models by popularity from one random stream. */
export class ModelChooser {
  private readonly choice: WeightedChoice;

  constructor(
    private readonly modelIds: readonly string[],
    popularity: ModelPopularity,
    private readonly random: Random,
  ) {
    this.choice = new WeightedChoice(popularityWeights(popularity, modelIds));
  }

  next(): string {
    return this.modelIds[this.choice.pick(this.random)]!;
  }
}

/** Draws token counts (integers >= 0) from a distribution and its own random stream. */
export function createTokenSampler(distribution: TokenDistribution, random: Random): () => number {
  switch (distribution.kind) {
    case 'constant':
      return () => distribution.value;
    case 'uniform': {
      const span = distribution.max - distribution.min + 1;
      return () => distribution.min + Math.floor(random() * span);
    }
    case 'lognormal': {
      const mu = Math.log(distribution.median);
      return () => {
        const value = Math.round(Math.exp(mu + distribution.sigma * standardNormal(random)));
        return Math.min(distribution.max, Math.max(1, value));
      };
    }
  }
}

/** Box-Muller transform; two uniform draws per normal draw, so each call's use is fixed. */
function standardNormal(random: Random): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
