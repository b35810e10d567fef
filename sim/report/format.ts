/** Number formats of the reports. A fixed locale keeps reports byte-identical across machines. */
const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimalFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

export function formatCount(value: number): string {
  return integerFormat.format(value);
}

export function formatDecimal(value: number): string {
  return decimalFormat.format(value);
}

export function formatPercent(fraction: number): string {
  return `${decimalFormat.format(fraction * 100)}%`;
}

/** Formats a duration with a unit that keeps 1 to 3 significant digits before the point. */
export function formatDurationMs(ms: number): string {
  if (ms < 1) {
    return `${decimalFormat.format(ms)} ms`;
  }
  if (ms < 1_000) {
    return `${formatDecimal(ms)} ms`;
  }
  if (ms < 120_000) {
    return `${formatDecimal(ms / 1_000)} s`;
  }
  if (ms < 7_200_000) {
    return `${formatDecimal(ms / 60_000)} min`;
  }
  return `${formatDecimal(ms / 3_600_000)} h`;
}

/** Formats bytes in binary units (GiB, MiB, KiB). */
export function formatBytes(bytes: number): string {
  const units: [number, string][] = [
    [2 ** 40, 'TiB'],
    [2 ** 30, 'GiB'],
    [2 ** 20, 'MiB'],
    [2 ** 10, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      return `${formatDecimal(bytes / size)} ${unit}`;
    }
  }
  return `${formatCount(bytes)} B`;
}

/** The unit of a time axis: seconds, minutes or hours, chosen from the run's length. */
export interface TimeAxisUnit {
  label: string;
  divisorMs: number;
}

export function timeAxisUnit(spanMs: number): TimeAxisUnit {
  if (spanMs <= 180_000) {
    return { label: 's', divisorMs: 1_000 };
  }
  if (spanMs <= 10_800_000) {
    return { label: 'min', divisorMs: 60_000 };
  }
  return { label: 'h', divisorMs: 3_600_000 };
}
