import { execFile } from 'node:child_process';
import type { MemoryProbe, MemoryReading } from './memory-probe.js';

const MIB = 1024 * 1024;

/** The query the probe runs; the parser expects its two columns in this order. */
export const NVIDIA_SMI_ARGS = [
  '--query-gpu=memory.used,memory.total',
  '--format=csv,noheader,nounits',
] as const;

/**
 * Parses `nvidia-smi --query-gpu=memory.used,memory.total --format=csv` output, with or
 * without the header and units, and sums the GPUs of the host. Values are MiB as
 * nvidia-smi reports them. Returns undefined when no line has two numbers (for example
 * `[N/A]` on a GPU that does not report memory).
 */
export function parseNvidiaSmiMemoryCsv(text: string): MemoryReading | undefined {
  let usedMiB = 0;
  let totalMiB = 0;
  let gpus = 0;
  for (const line of text.split(/\r?\n/)) {
    const columns = line.split(',').map((c) => c.trim().replace(/\s*MiB$/i, ''));
    if (columns.length < 2) continue;
    const used = Number(columns[0]);
    const total = Number(columns[1]);
    if (columns[0] === '' || columns[1] === '' || !Number.isFinite(used) || !Number.isFinite(total)) continue;
    usedMiB += used;
    totalMiB += total;
    gpus += 1;
  }
  if (gpus === 0) return undefined;
  return { usedBytes: usedMiB * MIB, totalBytes: totalMiB * MIB, source: 'gpu' };
}

/** Runs a command and resolves with its stdout. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 5_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });

/** GPU memory from `nvidia-smi`, summed over the host's GPUs. */
export class NvidiaSmiProbe implements MemoryProbe {
  constructor(
    private readonly command = 'nvidia-smi',
    private readonly run: CommandRunner = runCommand,
  ) {}

  async read(): Promise<MemoryReading | undefined> {
    try {
      return parseNvidiaSmiMemoryCsv(await this.run(this.command, NVIDIA_SMI_ARGS));
    } catch {
      // No GPU tool on this host, or it failed: the caller falls back to system memory.
      return undefined;
    }
  }
}

/** GPU memory where `nvidia-smi` gives a reading, else the fallback (system memory). */
export class GpuOrSystemProbe implements MemoryProbe {
  constructor(
    private readonly gpu: MemoryProbe,
    private readonly system: MemoryProbe,
  ) {}

  async read(): Promise<MemoryReading | undefined> {
    return (await this.gpu.read()) ?? (await this.system.read());
  }
}
