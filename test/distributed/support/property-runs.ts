/**
 * Returns the number of runs for a property: `LOADERLAB_PROPERTY_RUNS` when set, else
 * `defaultRuns`. `scale` shrinks it for slow properties (interleavings of whole routes).
 */
export function propertyRuns(defaultRuns: number, scale = 1): number {
  const fromEnv = Number(process.env.LOADERLAB_PROPERTY_RUNS);
  const runs = Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : defaultRuns;
  return Math.max(1, Math.round(runs * scale));
}
