import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BackendConfig } from '../../src/backend/backend-catalog.js';
import type { BackendDefinition } from '../../src/backend/backend-launcher.js';

/** The compiled CLI, built by the tests' global setup (and by `npm install`). */
export function compiledCliPath(): string {
  const path = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
  if (!existsSync(path)) {
    throw new Error(`compiled CLI not found at ${path}; run "npm run build" first`);
  }
  return path;
}

/**
 * Configuration of the fake backend as a real executable: this Node binary running
 * `main.js backend FLAGS...`, to which the launcher appends `--addr 127.0.0.1:PORT`.
 */
export function fakeBackendConfig(flags: readonly string[] = []): BackendConfig & { executable: string; args: string[] } {
  return { executable: process.execPath, args: [compiledCliPath(), 'backend', ...flags] };
}

/** The same, as a resolved definition for calling a launcher directly. */
export function fakeBackendDefinition(flags: readonly string[] = [], name = 'loaderlab-fake'): BackendDefinition {
  return { name, ...fakeBackendConfig(flags), fileTypes: [] };
}
