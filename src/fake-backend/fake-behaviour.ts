import { InvalidOptionError } from '../errors.js';

/** How the fake backend answers `Free`: release the model, answer UNIMPLEMENTED, or report failure. */
export type FreeMode = 'ok' | 'unimplemented' | 'fail';

/**
 * What the fake backend simulates for one loaded model. Each field has a `key:value`
 * entry in `ModelOptions.Options` and a command-line flag with the same name in kebab case.
 */
export interface FakeBehaviour {
  /** `load_ms`: time `LoadModel` takes, in ms. */
  loadMs: number;
  /** `tokens_per_s`: generation speed; 0 generates instantly. */
  tokensPerS: number;
  /** `prompt_tokens_per_s`: prompt processing speed; 0 processes instantly. */
  promptTokensPerS: number;
  /** `parallel`: inference calls served at once; further calls wait for a free slot. */
  parallel: number;
  /** `memory_bytes`: memory `Status` reports while a model is loaded. */
  memoryBytes: number;
  /** `fail_load`: when set, `LoadModel` answers success=false with this message. */
  failLoad: string | undefined;
  /** `crash_after_calls`: the process exits when inference call number N+1 arrives. */
  crashAfterCalls: number | undefined;
  /** `hang_after_calls`: inference calls after the first N never answer. */
  hangAfterCalls: number | undefined;
  /** `free`: how `Free` is answered. */
  free: FreeMode;
  /** `embedding_dims`: length of the vectors `Embedding` returns. */
  embeddingDims: number;
  /** `max_tokens`: tokens generated when a request leaves `Tokens` at 0. */
  maxTokens: number;
}

export const DEFAULT_FAKE_BEHAVIOUR: Readonly<FakeBehaviour> = Object.freeze({
  loadMs: 0,
  tokensPerS: 0,
  promptTokensPerS: 0,
  parallel: 1,
  memoryBytes: 0,
  failLoad: undefined,
  crashAfterCalls: undefined,
  hangAfterCalls: undefined,
  free: 'ok',
  embeddingDims: 16,
  maxTokens: 16,
});

type Setter = (behaviour: FakeBehaviour, value: string, key: string) => void;

/** The recognised `key:value` keys. */
const SETTERS: Readonly<Record<string, Setter>> = {
  load_ms: (b, v, k) => (b.loadMs = parseCount(k, v)),
  tokens_per_s: (b, v, k) => (b.tokensPerS = parseRate(k, v)),
  prompt_tokens_per_s: (b, v, k) => (b.promptTokensPerS = parseRate(k, v)),
  parallel: (b, v, k) => (b.parallel = parsePositive(k, v)),
  memory_bytes: (b, v, k) => (b.memoryBytes = parseCount(k, v)),
  fail_load: (b, v) => (b.failLoad = v || 'simulated load failure'),
  crash_after_calls: (b, v, k) => (b.crashAfterCalls = parseCount(k, v)),
  hang_after_calls: (b, v, k) => (b.hangAfterCalls = parseCount(k, v)),
  free: (b, v, k) => (b.free = parseFreeMode(k, v)),
  embedding_dims: (b, v, k) => (b.embeddingDims = parsePositive(k, v)),
  max_tokens: (b, v, k) => (b.maxTokens = parsePositive(k, v)),
};

/** The keys `applyBehaviourEntries` recognises, for help text. */
export const FAKE_BEHAVIOUR_KEYS: readonly string[] = Object.keys(SETTERS);

/** A behaviour after applying `key:value` entries, with the keys it did not recognise. */
export interface AppliedBehaviour {
  behaviour: FakeBehaviour;
  unknownKeys: string[];
}

/**
 * Applies `key:value` entries on top of `base`. The value is everything after the first
 * colon, so messages may contain colons. Unknown keys are returned, not rejected, because
 * real backends ignore options meant for others. Throws `InvalidOptionError` for a
 * malformed entry or value.
 */
export function applyBehaviourEntries(base: Readonly<FakeBehaviour>, entries: readonly string[]): AppliedBehaviour {
  const behaviour: FakeBehaviour = { ...base };
  const unknownKeys: string[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      throw new InvalidOptionError(`Options entry "${entry}"`, 'a "key:value" pair', entry);
    }
    const key = entry.slice(0, colon).trim();
    const value = entry.slice(colon + 1).trim();
    const setter = SETTERS[key];
    if (setter) setter(behaviour, value, key);
    else unknownKeys.push(key);
  }
  return { behaviour, unknownKeys };
}

function parseCount(key: string, value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw new InvalidOptionError(key, 'a non-negative integer', value);
  }
  return parsed;
}

function parsePositive(key: string, value: string): number {
  const parsed = parseCount(key, value);
  if (parsed === 0) throw new InvalidOptionError(key, 'a positive integer', value);
  return parsed;
}

function parseRate(key: string, value: string): number {
  const parsed = Number(value);
  if (value === '' || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidOptionError(key, 'a non-negative number', value);
  }
  return parsed;
}

function parseFreeMode(key: string, value: string): FreeMode {
  if (value === 'ok' || value === 'unimplemented' || value === 'fail') return value;
  throw new InvalidOptionError(key, 'one of ok, unimplemented, fail', value);
}
