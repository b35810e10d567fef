import { describe, expect, it } from 'vitest';
import { resolveModelFile } from '../../src/loader/model-file.js';

describe('resolveModelFile', () => {
  it('resolves a relative file inside the models directory', () => {
    expect(resolveModelFile('/models', 'llama/8b.gguf')).toBe('/models/llama/8b.gguf');
  });

  it('accepts an absolute path inside the directory', () => {
    expect(resolveModelFile('/models', '/models/a.gguf')).toBe('/models/a.gguf');
  });

  it.each(['../secret', '/etc/passwd', 'a/../../x', '', '.', '/models-other/a.gguf'])('rejects "%s"', (file) => {
    expect(() => resolveModelFile('/models', file)).toThrow(expect.objectContaining({ code: 'PATH_OUTSIDE_MODELS_DIR' }));
  });

  it('accepts a name that merely starts with two dots', () => {
    expect(resolveModelFile('/models', '..weights.gguf')).toBe('/models/..weights.gguf');
  });
});
