import { describe, expect, it } from 'vitest';
import { planAdmission, type AdmissionModel } from '../../src/loader/admission.js';
import { lruPolicy, sizeAwarePolicy } from '../../src/watchdog/eviction-policy.js';

function model(modelId: string, lastUsedMs: number, extra: Partial<AdmissionModel> = {}): AdmissionModel {
  return { modelId, state: 'ready', groups: [], pinned: false, busy: false, lastUsedMs, sizeBytes: undefined, ...extra };
}

interface Case {
  name: string;
  models: AdmissionModel[];
  groups?: string[];
  lruLimit: number;
  forceWhenBusy?: boolean;
  policy?: typeof lruPolicy;
  victims: string[];
  blockers: string[];
}

// Golden table: each case is a resident set, a request, and the exact plan expected.
const cases: Case[] = [
  { name: 'room left', models: [model('a', 1)], lruLimit: 2, victims: [], blockers: [] },
  { name: 'unlimited', models: [model('a', 1), model('b', 2)], lruLimit: 0, victims: [], blockers: [] },
  { name: 'oldest goes first', models: [model('a', 5), model('b', 2), model('c', 9)], lruLimit: 3, victims: ['lru:b'], blockers: [] },
  { name: 'ties broken by id', models: [model('b', 1), model('a', 1)], lruLimit: 2, victims: ['lru:a'], blockers: [] },
  { name: 'two over the limit', models: [model('a', 5), model('b', 2), model('c', 9)], lruLimit: 2, victims: ['lru:b', 'lru:a'], blockers: [] },
  { name: 'pinned skipped', models: [model('a', 1, { pinned: true }), model('b', 2)], lruLimit: 2, victims: ['lru:b'], blockers: [] },
  { name: 'busy skipped', models: [model('a', 1, { busy: true }), model('b', 2)], lruLimit: 2, victims: ['lru:b'], blockers: [] },
  {
    name: 'busy taken with force',
    models: [model('a', 1, { busy: true }), model('b', 2)],
    lruLimit: 2,
    forceWhenBusy: true,
    victims: ['lru:a!'],
    blockers: [],
  },
  { name: 'all pinned blocks', models: [model('a', 1, { pinned: true })], lruLimit: 1, victims: [], blockers: ['lru:a:pinned'] },
  { name: 'loading blocks', models: [model('a', 1, { state: 'loading' })], lruLimit: 1, victims: [], blockers: ['lru:a:loading'] },
  {
    name: 'group conflicts oldest first',
    models: [model('x', 8, { groups: ['g'] }), model('y', 3, { groups: ['g', 'h'] }), model('z', 1)],
    groups: ['g'],
    lruLimit: 0,
    victims: ['group:y', 'group:x'],
    blockers: [],
  },
  {
    name: 'group eviction makes LRU room',
    models: [model('x', 8, { groups: ['g'] }), model('z', 1)],
    groups: ['g'],
    lruLimit: 2,
    victims: ['group:x'],
    blockers: [],
  },
  {
    name: 'busy group conflict blocks and holds its slot',
    models: [model('x', 8, { groups: ['g'], busy: true }), model('z', 1)],
    groups: ['g'],
    lruLimit: 2,
    victims: ['lru:z'],
    blockers: ['group:x:busy'],
  },
  {
    name: 'size-aware takes the largest',
    models: [model('a', 1, { sizeBytes: 2 }), model('b', 2, { sizeBytes: 9 }), model('c', 3, { sizeBytes: 9 })],
    lruLimit: 3,
    policy: sizeAwarePolicy,
    victims: ['lru:b'],
    blockers: [],
  },
];

describe('planAdmission', () => {
  it.each(cases)('plans "$name"', (c) => {
    const plan = planAdmission({
      modelId: 'new',
      groups: c.groups ?? [],
      models: c.models,
      lruLimit: c.lruLimit,
      policy: c.policy ?? lruPolicy,
      forceWhenBusy: c.forceWhenBusy ?? false,
    });
    expect(plan.victims.map((v) => `${v.reason}:${v.modelId}${v.forced ? '!' : ''}`)).toEqual(c.victims);
    expect(plan.blockers.map((b) => `${b.rule}:${b.modelId}:${b.reason}`)).toEqual(c.blockers);
  });
});
