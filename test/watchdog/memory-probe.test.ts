import { describe, expect, it } from 'vitest';
import { GpuOrSystemProbe, NvidiaSmiProbe, parseNvidiaSmiMemoryCsv } from '../../src/watchdog/nvidia-smi-probe.js';
import { parseProcMeminfo, ProcMeminfoProbe } from '../../src/watchdog/proc-meminfo-probe.js';

const MIB = 1024 * 1024;

describe('parseNvidiaSmiMemoryCsv', () => {
  it('reads one GPU without header or units', () => {
    expect(parseNvidiaSmiMemoryCsv('1024, 81559\n')).toEqual({ usedBytes: 1024 * MIB, totalBytes: 81559 * MIB, source: 'gpu' });
  });

  it('sums several GPUs', () => {
    expect(parseNvidiaSmiMemoryCsv('100, 1000\n300, 1000\n')).toMatchObject({ usedBytes: 400 * MIB, totalBytes: 2000 * MIB });
  });

  it('skips the header and strips units', () => {
    const text = 'memory.used [MiB], memory.total [MiB]\n40536 MiB, 81920 MiB\r\n';
    expect(parseNvidiaSmiMemoryCsv(text)).toMatchObject({ usedBytes: 40536 * MIB, totalBytes: 81920 * MIB });
  });

  it('ignores GPUs that report N/A', () => {
    expect(parseNvidiaSmiMemoryCsv('[N/A], [N/A]\n10, 20\n')).toMatchObject({ usedBytes: 10 * MIB, totalBytes: 20 * MIB });
  });

  it('returns undefined for output without readings', () => {
    expect(parseNvidiaSmiMemoryCsv('')).toBeUndefined();
    expect(parseNvidiaSmiMemoryCsv('No devices were found\n')).toBeUndefined();
  });
});

describe('parseProcMeminfo', () => {
  it('counts available memory as free', () => {
    const text = 'MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    4000000 kB\n';
    expect(parseProcMeminfo(text)).toEqual({ usedBytes: 12_000_000 * 1024, totalBytes: 16_000_000 * 1024, source: 'system' });
  });

  it('returns undefined without MemAvailable', () => {
    expect(parseProcMeminfo('MemTotal: 100 kB\n')).toBeUndefined();
  });
});

describe('memory probes', () => {
  it('reads this machine’s /proc/meminfo', async () => {
    const reading = await new ProcMeminfoProbe().read();
    if (process.platform !== 'linux') return;
    expect(reading?.totalBytes).toBeGreaterThan(0);
    expect(reading!.usedBytes).toBeLessThanOrEqual(reading!.totalBytes);
  });

  it('passes nvidia-smi the CSV query', async () => {
    const calls: string[][] = [];
    const probe = new NvidiaSmiProbe('nvidia-smi', async (command, args) => {
      calls.push([command, ...args]);
      return '5, 10\n';
    });
    expect(await probe.read()).toMatchObject({ usedBytes: 5 * MIB });
    expect(calls).toEqual([['nvidia-smi', '--query-gpu=memory.used,memory.total', '--format=csv,noheader,nounits']]);
  });

  it('falls back to system memory without a GPU tool', async () => {
    const gpu = new NvidiaSmiProbe('/nonexistent/nvidia-smi');
    const system = { read: async () => ({ usedBytes: 1, totalBytes: 2, source: 'system' as const }) };
    expect(await new GpuOrSystemProbe(gpu, system).read()).toMatchObject({ source: 'system' });
  });
});
