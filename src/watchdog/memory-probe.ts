/** One reading of memory in use. */
export interface MemoryReading {
  usedBytes: number;
  totalBytes: number;
  /** GPU memory (summed over the host's GPUs) or system memory. */
  source: 'gpu' | 'system';
}

/**
 * Reads memory use for the memory reclaimer. Real probes read `nvidia-smi` or
 * `/proc/meminfo`; the simulator supplies its own. Resolves undefined when no reading
 * is available, and the reclaimer then does nothing for that check.
 */
export interface MemoryProbe {
  read(): Promise<MemoryReading | undefined>;
}

/** Fraction of memory in use, in [0, 1]; 0 for an empty total. */
export function usedFraction(reading: MemoryReading): number {
  return reading.totalBytes > 0 ? reading.usedBytes / reading.totalBytes : 0;
}
