import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ChildRegistry, type ProcessHooks } from '../../../src/backend/process/child-registry.js';
import { VirtualClock } from '../../../sim/clock/virtual-clock.js';
import { compiledCliPath } from '../../helpers/fake-backend-executable.js';
import { isProcessAlive, waitForProcessGone } from '../../helpers/processes.js';

/** A stand-in for `process`: records hooks and the signals it is sent. */
class FakeHost extends EventEmitter {
  readonly pid = 4242;
  readonly kills: Array<[number, NodeJS.Signals]> = [];
  kill(pid: number, signal: NodeJS.Signals): boolean {
    this.kills.push([pid, signal]);
    return true;
  }
}

/** A stand-in child that exits when it receives any signal listed in `diesOn`. */
function fakeChild(pid: number, diesOn: NodeJS.Signals[] = ['SIGTERM', 'SIGKILL']): ChildProcess & { signals: string[] } {
  const child = new EventEmitter() as ChildProcess & { signals: string[] };
  Object.assign(child, { pid, exitCode: null, signalCode: null, signals: [] });
  child.kill = (signal?: NodeJS.Signals | number): boolean => {
    child.signals.push(String(signal));
    if (diesOn.includes(signal as NodeJS.Signals)) {
      Object.assign(child, { signalCode: signal });
      child.emit('exit', null, signal);
    }
    return true;
  };
  return child;
}

function registryWith(host: FakeHost, clock = new VirtualClock()): ChildRegistry {
  return new ChildRegistry(host as unknown as ProcessHooks, clock, 100);
}

describe('ChildRegistry', () => {
  it('hooks the parent only while it tracks children', () => {
    const host = new FakeHost();
    const registry = registryWith(host);
    const child = fakeChild(1);
    registry.add(child);
    expect(host.listenerCount('exit')).toBe(1);
    expect(host.listenerCount('SIGTERM')).toBe(1);
    expect(host.listenerCount('SIGINT')).toBe(1);

    child.emit('exit', 0, null);
    expect(registry.size).toBe(0);
    expect(host.listenerCount('exit')).toBe(0);
    expect(host.listenerCount('SIGTERM')).toBe(0);
  });

  it('kills live children when the parent exits', () => {
    const host = new FakeHost();
    const registry = registryWith(host);
    const children = [fakeChild(1), fakeChild(2)];
    for (const child of children) registry.add(child);
    host.emit('exit');
    expect(children.map((c) => c.signals)).toEqual([['SIGKILL'], ['SIGKILL']]);
  });

  it('stops children and raises the signal again when alone', async () => {
    const host = new FakeHost();
    const clock = new VirtualClock();
    const registry = registryWith(host, clock);
    const polite = fakeChild(1);
    const stubborn = fakeChild(2, ['SIGKILL']);
    registry.add(polite);
    registry.add(stubborn);

    host.emit('SIGTERM', 'SIGTERM');
    await clock.run();
    expect(polite.signals).toEqual(['SIGTERM']);
    expect(stubborn.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(host.kills).toEqual([[4242, 'SIGTERM']]);
    expect(host.listenerCount('SIGTERM')).toBe(0);
  });

  it('leaves a signal to another handler', async () => {
    const host = new FakeHost();
    const clock = new VirtualClock();
    const registry = registryWith(host, clock);
    const child = fakeChild(1);
    registry.add(child);
    host.on('SIGINT', () => {});

    host.emit('SIGINT', 'SIGINT');
    await clock.run();
    expect(child.signals).toEqual([]);
    expect(host.kills).toEqual([]);
  });
});

describe('ChildRegistry in a real parent process', () => {
  const fixture = fileURLToPath(new URL('./fixtures/parent-with-backend.mjs', import.meta.url));

  async function startParent(mode: 'wait' | 'exit'): Promise<{ parent: ChildProcess; backendPid: number }> {
    const parent = spawn(process.execPath, [fixture, mode, compiledCliPath()], { stdio: ['ignore', 'pipe', 'inherit'] });
    const backendPid = await new Promise<number>((resolve, reject) => {
      parent.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { pid: number }).pid));
      parent.once('exit', (code) => reject(new Error(`parent exited with ${code} before printing the backend pid`)));
    });
    return { parent, backendPid };
  }

  function exitOf(parent: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
    if (parent.exitCode !== null || parent.signalCode !== null) {
      return Promise.resolve({ code: parent.exitCode, signal: parent.signalCode });
    }
    return new Promise((resolve) => parent.once('exit', (code, signal) => resolve({ code, signal })));
  }

  it.each(['SIGTERM', 'SIGINT'] as const)('stops the backend when the parent gets %s', async (signal) => {
    const { parent, backendPid } = await startParent('wait');
    expect(isProcessAlive(backendPid)).toBe(true);
    parent.kill(signal);
    expect(await exitOf(parent)).toEqual({ code: null, signal });
    expect(await waitForProcessGone(backendPid)).toBe(true);
  });

  it('kills the backend when the parent exits', async () => {
    const { parent, backendPid } = await startParent('exit');
    expect(await exitOf(parent)).toEqual({ code: 0, signal: null });
    expect(await waitForProcessGone(backendPid)).toBe(true);
  });
});
