import seedrandom from 'seedrandom';

/** A seeded source of uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Creates a seeded generator. Each purpose (arrivals, model choice, jitter, faults) gets its
 * own stream derived from the run seed, so adding draws to one purpose never shifts another.
 */
export function createRandom(seed: string | number, stream = 'main'): Random {
  const generator = seedrandom(`${seed}/${stream}`);
  return () => generator.quick();
}
