/** Cases per property in an ordinary test run; `npm run test:deep` raises it to 10,000. */
export const DEFAULT_PROPERTY_RUNS = 200;

/** Environment variable that overrides the number of cases of every loader property. */
export const PROPERTY_RUNS_VARIABLE = 'LOADERLAB_PROPERTY_RUNS';

/**
 * Returns the number of cases a property runs: the value of LOADERLAB_PROPERTY_RUNS when it
 * is set, else `defaultRuns`. Throws on a value that is not a positive integer, so a typo in
 * a CI script fails loudly instead of running the default.
 */
export function propertyRuns(defaultRuns = DEFAULT_PROPERTY_RUNS): number {
  const raw = process.env[PROPERTY_RUNS_VARIABLE];
  if (raw === undefined || raw === '') return defaultRuns;
  const runs = Number(raw);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`${PROPERTY_RUNS_VARIABLE} must be a positive integer, got "${raw}"`);
  }
  return runs;
}

/**
 * Returns a vitest timeout for a property of `runs` cases that each take up to `msPerRun`,
 * and never less than the 30 s the project's vitest config gives every test. A deep run
 * of 10,000 cases needs far more than that.
 */
export function propertyTimeoutMs(runs: number, msPerRun: number): number {
  return Math.max(30_000, runs * msPerRun);
}
