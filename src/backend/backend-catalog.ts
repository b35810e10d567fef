import { extname } from 'node:path';
import { BackendNotFoundError, InvalidOptionError } from '../errors.js';
import type { BackendDefinition } from './backend-launcher.js';

/** A backend as configured by the operator: an executable to start or an address to attach. */
export interface BackendConfig {
  executable?: string;
  address?: string;
  args?: readonly string[];
  fileTypes?: readonly string[];
}

/**
 * Short names operators use for backends, mapped to their canonical names. A request may
 * name either; the catalog stores canonical names only.
 */
export const DEFAULT_BACKEND_ALIASES: Readonly<Record<string, string>> = {
  llama: 'llama-cpp',
  'llama.cpp': 'llama-cpp',
  llamacpp: 'llama-cpp',
  whisper: 'whisper-cpp',
  'whisper.cpp': 'whisper-cpp',
  transformers: 'huggingface',
  'sentence-transformers': 'huggingface',
  fake: 'loaderlab-fake',
};

/**
 * The installed backends and their aliases. Automatic selection tries backends in the
 * order they were configured, which keeps the choice deterministic.
 */
export class BackendCatalog {
  private readonly backends: ReadonlyMap<string, BackendDefinition>;
  private readonly aliases: Readonly<Record<string, string>>;

  constructor(
    backends: Readonly<Record<string, BackendConfig>> = {},
    aliases: Readonly<Record<string, string>> = DEFAULT_BACKEND_ALIASES,
  ) {
    const definitions = new Map<string, BackendDefinition>();
    for (const [name, config] of Object.entries(backends)) {
      definitions.set(name, toDefinition(name, config));
    }
    this.backends = definitions;
    this.aliases = aliases;
  }

  /** Canonical backend names, in configuration order. */
  names(): string[] {
    return [...this.backends.keys()];
  }

  /** Resolves `name` through the aliases; throws `BackendNotFoundError` when unknown. */
  resolve(name: string): BackendDefinition {
    const definition = this.backends.get(name) ?? this.backends.get(this.aliases[name] ?? '');
    if (!definition) {
      throw new BackendNotFoundError(name, this.names());
    }
    return definition;
  }

  /** Backends that can serve `modelFile`, judged by its extension, in configuration order. */
  candidatesFor(modelFile: string): BackendDefinition[] {
    const extension = extname(modelFile).toLowerCase();
    return [...this.backends.values()].filter(
      (b) => !b.fileTypes?.length || b.fileTypes.some((t) => t.toLowerCase() === extension),
    );
  }
}

function toDefinition(name: string, config: BackendConfig): BackendDefinition {
  const hasExecutable = typeof config.executable === 'string' && config.executable.length > 0;
  const hasAddress = typeof config.address === 'string' && config.address.length > 0;
  if (hasExecutable === hasAddress) {
    throw new InvalidOptionError(
      `backends.${name}`,
      'an object with exactly one of "executable" or "address"',
      config,
    );
  }
  return {
    name,
    ...(hasExecutable ? { executable: config.executable } : { address: config.address }),
    args: config.args ?? [],
    fileTypes: config.fileTypes ?? [],
  };
}
