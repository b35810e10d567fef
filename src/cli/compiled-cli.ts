import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';

/**
 * Finds the compiled CLI (`dist/src/cli/main.js`) from this module, whether it runs from
 * the sources (tests, tsx) or from `dist/`, so the simulator can start `loaderlab backend`
 * and `loaderlab agent` as real child processes. `purpose` names the caller in errors.
 */
export function findCompiledCli(purpose: string): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(directory, 'package.json'))) {
    const parent = path.dirname(directory);
    if (parent === directory) throw new InvalidOptionError(purpose, 'a package root above this module', undefined);
    directory = parent;
  }
  const main = path.join(directory, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) {
    throw new InvalidOptionError(purpose, `the compiled CLI at ${main}; run "npm run build" first`, undefined);
  }
  return main;
}
