import { describe, expect, it } from 'vitest';
import { BackendCatalog } from '../../src/backend/backend-catalog.js';

describe('BackendCatalog', () => {
  const catalog = new BackendCatalog({
    'llama-cpp': { executable: '/opt/llama', fileTypes: ['.gguf'] },
    'whisper-cpp': { executable: '/opt/whisper', fileTypes: ['.bin'] },
    remote: { address: '127.0.0.1:50051' },
  });

  it('resolves canonical names and aliases', () => {
    expect(catalog.resolve('llama-cpp').executable).toBe('/opt/llama');
    expect(catalog.resolve('llama').name).toBe('llama-cpp');
    expect(catalog.resolve('whisper').name).toBe('whisper-cpp');
  });

  it('rejects an unknown backend listing the known ones', () => {
    expect(() => catalog.resolve('vllm')).toThrow('backend "vllm" is not configured; known backends: llama-cpp, whisper-cpp, remote');
  });

  it('lists candidates by file type in configuration order', () => {
    expect(catalog.candidatesFor('m/llama.GGUF').map((b) => b.name)).toEqual(['llama-cpp', 'remote']);
    expect(catalog.candidatesFor('speech.bin').map((b) => b.name)).toEqual(['whisper-cpp', 'remote']);
  });

  it('requires exactly one of executable or address', () => {
    expect(() => new BackendCatalog({ bad: {} })).toThrow(/backends.bad must be an object with exactly one/);
    expect(() => new BackendCatalog({ bad: { executable: '/x', address: '127.0.0.1:1' } })).toThrow(/exactly one/);
  });
});
