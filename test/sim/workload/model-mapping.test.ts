import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../src/util/random.js';
import { ModelMapper, type MappedModel } from '../../../sim/workload/model-mapping.js';

const models = ['a', 'b', 'c'];

function idsOf(results: MappedModel[]): string[] {
  return results.map((result) => (result.kind === 'model' ? result.modelId : `!${result.reason}`));
}

describe('ModelMapper', () => {
  it('assigns first-seen keys in model order, cycling', () => {
    const mapper = new ModelMapper({ kind: 'first-seen' }, models, createRandom(1));
    const keys = ['x', 'y', 'x', 'z', 'w', 'y'];

    expect(idsOf(keys.map((key) => mapper.map(key)))).toEqual(['a', 'b', 'a', 'c', 'a', 'b']);
  });

  it('cycles per request in round-robin', () => {
    const mapper = new ModelMapper({ kind: 'round-robin' }, models, createRandom(1));

    expect(idsOf(['x', 'x', 'x', 'x'].map((key) => mapper.map(key)))).toEqual(['a', 'b', 'c', 'a']);
  });

  it('keeps and renames trace keys', () => {
    const mapper = new ModelMapper({ kind: 'trace', rename: { conv: 'b' } }, models, createRandom(1));

    expect(idsOf([mapper.map('a'), mapper.map('conv')])).toEqual(['a', 'b']);
    expect(mapper.map('other')).toMatchObject({ kind: 'unmapped' });
    expect(mapper.map(undefined)).toMatchObject({ kind: 'unmapped' });
  });

  it('draws the same Zipf sequence for one seed', () => {
    const draw = (seed: number): string[] => {
      const mapper = new ModelMapper({ kind: 'zipf', alpha: 1.2 }, models, createRandom(seed, 'workload/model-mapping'));
      return idsOf(Array.from({ length: 50 }, () => mapper.map(undefined)));
    };

    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });
});
