import fc from 'fast-check';
import { describe, it } from 'vitest';
import { LoaderWorld, worldConfigArbitrary } from './support/loader-world.js';
import { propertyRuns, propertyTimeoutMs } from './support/property-runs.js';

/**
 * Model-based tests of the local-mode loader. Each case builds a world (a few models with
 * random groups, sizes and load times, and random loader and watchdog settings) and runs a
 * random sequence of loads, calls, pins, shutdowns, crashes and clock advances on virtual
 * time. The invariant observer checks the eight invariants of the loader spec after every
 * clock event and on every loader event, and the case ends with `loader.shutdown()`.
 */

/** The commands keep no model of their own, because the invariant observer checks the loader against the spec. */
type NoModel = Record<string, never>;
type LoaderCommand = fc.AsyncCommand<NoModel, LoaderWorld>;

const MODEL_COUNT = 4;
const MODEL_IDS = Array.from({ length: MODEL_COUNT }, (_, i) => `m${i}`);
const modelId = fc.constantFrom(...MODEL_IDS);

/** Base of the commands: always applicable, and each ends by running the events due at the current time. */
abstract class WorldCommand implements LoaderCommand {
  check(): boolean {
    return true;
  }

  async run(_model: NoModel, world: LoaderWorld): Promise<void> {
    this.apply(world);
    world.verify();
    await world.drive(0);
  }

  protected abstract apply(world: LoaderWorld): void;
  abstract toString(): string;
}

class Load extends WorldCommand {
  constructor(
    readonly modelId: string,
    readonly callOnArrival: boolean,
  ) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    void world.startLoad(this.modelId, this.callOnArrival);
  }
  toString(): string {
    return `load(${this.modelId}${this.callOnArrival ? ', then call' : ''})`;
  }
}

/** Starts a call on the latest client of the model, which may belong to a backend stopped since. */
class StartCall extends WorldCommand {
  constructor(readonly modelId: string) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    const client = world.clients.get(this.modelId);
    if (client) world.calls.start(this.modelId, client);
  }
  toString(): string {
    return `call(${this.modelId})`;
  }
}

class EndCall extends WorldCommand {
  constructor(readonly index: number) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    world.calls.cancel(this.index);
  }
  toString(): string {
    return `endCall(#${this.index})`;
  }
}

class Pin extends WorldCommand {
  constructor(
    readonly modelId: string,
    readonly pinned: boolean,
  ) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    world.loader.pin(this.modelId, this.pinned);
  }
  toString(): string {
    return `${this.pinned ? 'pin' : 'unpin'}(${this.modelId})`;
  }
}

class ShutdownModel extends WorldCommand {
  constructor(
    readonly modelId: string,
    readonly force: boolean,
  ) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    void world.startShutdown(this.modelId, this.force);
  }
  toString(): string {
    return `shutdownModel(${this.modelId}${this.force ? ', force' : ''})`;
  }
}

class Crash extends WorldCommand {
  constructor(readonly modelId: string) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    world.crash(this.modelId);
  }
  toString(): string {
    return `crash(${this.modelId})`;
  }
}

class SetFailing extends WorldCommand {
  constructor(
    readonly modelId: string,
    readonly failing: boolean,
  ) {
    super();
  }
  protected apply(world: LoaderWorld): void {
    if (this.failing) world.failing.add(this.modelId);
    else world.failing.delete(this.modelId);
  }
  toString(): string {
    return `${this.failing ? 'breakLoads' : 'fixLoads'}(${this.modelId})`;
  }
}

/** Moves virtual time forward, running the watchdog checks, load completions and retry polls that fall due. */
class Advance implements LoaderCommand {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  async run(_model: NoModel, world: LoaderWorld): Promise<void> {
    await world.drive(this.ms);
  }
  toString(): string {
    return `advance(${this.ms} ms)`;
  }
}

const advanceMs = fc.oneof(fc.constantFrom(1, 100, 500, 1_000), fc.integer({ min: 1_000, max: 25_000 }));

/** One weighted choice, so loads, calls and time steps dominate and rarer events still happen. */
const commandArbitrary: fc.Arbitrary<LoaderCommand> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(modelId, fc.boolean()).map(([id, call]) => new Load(id, call)) },
  { weight: 3, arbitrary: modelId.map((id) => new StartCall(id)) },
  { weight: 3, arbitrary: fc.nat(7).map((index) => new EndCall(index)) },
  { weight: 1, arbitrary: fc.tuple(modelId, fc.boolean()).map(([id, pinned]) => new Pin(id, pinned)) },
  { weight: 1, arbitrary: fc.tuple(modelId, fc.boolean()).map(([id, force]) => new ShutdownModel(id, force)) },
  { weight: 1, arbitrary: modelId.map((id) => new Crash(id)) },
  { weight: 1, arbitrary: fc.tuple(modelId, fc.boolean()).map(([id, failing]) => new SetFailing(id, failing)) },
  { weight: 4, arbitrary: advanceMs.map((ms) => new Advance(ms)) },
);

const runs = propertyRuns();

describe('ModelLoader under random command sequences', () => {
  it(
    'keeps the eight loader invariants',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          worldConfigArbitrary({ minModels: MODEL_COUNT, maxModels: MODEL_COUNT }),
          fc.commands([commandArbitrary], { size: 'large', maxCommands: 60 }),
          async (config, commands) => {
            const world = new LoaderWorld(config);
            try {
              await fc.asyncModelRun(() => ({ model: {}, real: world }), commands);
              await world.finish();
            } finally {
              world.watchdog?.stop();
            }
          },
        ),
        { numRuns: runs },
      );
    },
    propertyTimeoutMs(runs, 100),
  );
});
