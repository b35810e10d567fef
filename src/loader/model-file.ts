import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PathOutsideModelsDirError } from '../errors.js';

/**
 * Resolves a request's model file inside the models directory. A path that escapes it
 * (`../`, an absolute path elsewhere) is rejected, because the file name may come from an
 * API caller and the backend would open whatever it is given.
 */
export function resolveModelFile(modelsDir: string, modelFile: string): string {
  const resolved = resolve(modelsDir, modelFile);
  const fromDir = relative(modelsDir, resolved);
  // `..weights.gguf` is a file inside; only a leading `..` path segment escapes.
  const escapes = fromDir === '..' || fromDir.startsWith(`..${sep}`);
  if (fromDir === '' || escapes || isAbsolute(fromDir)) {
    throw new PathOutsideModelsDirError(modelFile, modelsDir);
  }
  return resolved;
}
