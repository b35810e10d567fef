import type { Random } from '../../src/util/random.js';
import type { ModelMapping } from '../scenario/types.js';
import { ModelChooser } from './sampling.js';

/** The model a trace row maps to, or why it maps to none. */
export type MappedModel = { kind: 'model'; modelId: string } | { kind: 'unmapped'; reason: string };

/**
 * Gives each trace row a scenario model id (see `ModelMapping`). Draws come from one random
 * stream that only this mapping uses, so other purposes never shift its choices.
 */
export class ModelMapper {
  private readonly known: ReadonlySet<string>;
  private readonly firstSeen = new Map<string, string>();
  private nextIndex = 0;
  private readonly chooser: ModelChooser | undefined;

  constructor(
    private readonly mapping: ModelMapping,
    private readonly modelIds: readonly string[],
    random: Random,
  ) {
    this.known = new Set(modelIds);
    const drawsPerRequest = mapping.kind === 'uniform' || mapping.kind === 'zipf' || mapping.kind === 'weights';
    this.chooser = drawsPerRequest ? new ModelChooser(modelIds, mapping, random) : undefined;
  }

  map(modelKey: string | undefined): MappedModel {
    switch (this.mapping.kind) {
      case 'trace':
        return this.mapTraceKey(modelKey, this.mapping.rename);
      case 'first-seen':
        return { kind: 'model', modelId: this.mapFirstSeen(modelKey ?? '') };
      case 'round-robin':
        return { kind: 'model', modelId: this.takeNext() };
      default:
        return { kind: 'model', modelId: this.chooser!.next() };
    }
  }

  private mapTraceKey(modelKey: string | undefined, rename: Readonly<Record<string, string>>): MappedModel {
    if (modelKey === undefined) {
      return { kind: 'unmapped', reason: 'the row names no model, and modelMapping is trace' };
    }
    const modelId = rename[modelKey] ?? modelKey;
    if (!this.known.has(modelId)) {
      return { kind: 'unmapped', reason: `model ${JSON.stringify(modelId)} is not in the scenario's models; add it or map it with modelMapping.rename` };
    }
    return { kind: 'model', modelId };
  }

  private mapFirstSeen(modelKey: string): string {
    let modelId = this.firstSeen.get(modelKey);
    if (modelId === undefined) {
      modelId = this.takeNext();
      this.firstSeen.set(modelKey, modelId);
    }
    return modelId;
  }

  private takeNext(): string {
    const modelId = this.modelIds[this.nextIndex % this.modelIds.length]!;
    this.nextIndex += 1;
    return modelId;
  }
}
