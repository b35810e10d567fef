import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The gRPC service of `proto/backend.proto`, shared by the client and the fake backend. */
export interface BackendService {
  /** Client constructor with one method per RPC, named as in the proto (`Health`, `LoadModel`). */
  readonly Client: grpc.ServiceClientConstructor;
  readonly definition: grpc.ServiceDefinition;
}

/**
 * How messages are decoded. `keepCase` keeps the proto's field names (`ModelFile`,
 * `prompt_tokens`), which `src/backend/protocol.ts` uses as they are; 64-bit integers
 * become numbers and enums their names; absent fields get their defaults.
 */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: false,
  oneofs: true,
};

let cached: BackendService | undefined;

/** Loads the `backend.Backend` service once per process. */
export function loadBackendService(): BackendService {
  if (cached === undefined) {
    const packageDefinition = protoLoader.loadSync(findBackendProto(), LOADER_OPTIONS);
    const root = grpc.loadPackageDefinition(packageDefinition) as unknown as {
      backend: { Backend: grpc.ServiceClientConstructor };
    };
    cached = { Client: root.backend.Backend, definition: root.backend.Backend.service };
  }
  return cached;
}

/**
 * Finds `proto/backend.proto` by walking up from this module, because the module runs
 * both from `src/` (tests) and from `dist/src/` (the compiled CLI), at different depths.
 */
export function findBackendProto(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'proto', 'backend.proto');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(`proto/backend.proto not found in any folder above ${fileURLToPath(import.meta.url)}`);
    }
    directory = parent;
  }
}
