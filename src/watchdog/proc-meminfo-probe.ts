import { readFile } from 'node:fs/promises';
import type { MemoryProbe, MemoryReading } from './memory-probe.js';

const KIB = 1024;

/**
 * Parses `/proc/meminfo`. Used memory is `MemTotal - MemAvailable`, because free memory
 * alone counts the page cache as used and would make the reclaimer evict for nothing.
 * Returns undefined when either field is missing.
 */
export function parseProcMeminfo(text: string): MemoryReading | undefined {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+):\s+(\d+)\s*kB/.exec(line);
    if (match) fields.set(match[1]!, Number(match[2]) * KIB);
  }
  const totalBytes = fields.get('MemTotal');
  const availableBytes = fields.get('MemAvailable');
  if (totalBytes === undefined || availableBytes === undefined) return undefined;
  return { usedBytes: totalBytes - availableBytes, totalBytes, source: 'system' };
}

/** System memory from `/proc/meminfo` (Linux). */
export class ProcMeminfoProbe implements MemoryProbe {
  constructor(private readonly path = '/proc/meminfo') {}

  async read(): Promise<MemoryReading | undefined> {
    try {
      return parseProcMeminfo(await readFile(this.path, 'utf8'));
    } catch {
      // Not Linux, or /proc is not mounted: no reading rather than a crash of the watchdog.
      return undefined;
    }
  }
}
