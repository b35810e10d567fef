import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The metadata key that carries the cluster token, as `Bearer <token>`. */
export const TOKEN_METADATA_KEY = 'authorization';

/** The `loaderlab.agent.Agent` service of `proto/agent.proto`. */
export interface AgentService {
  readonly Client: grpc.ServiceClientConstructor;
  readonly definition: grpc.ServiceDefinition;
}

/** Messages as `proto-loader` decodes them with the options below (snake_case kept). */
export interface WireBackendInfo {
  model_id: string;
  replica_index: number;
  address: string;
  pid: number;
  backend: string;
}

export interface WireMemory {
  total_bytes: number;
  available_bytes: number;
}

let cached: AgentService | undefined;

/** Loads the service once per process. 64-bit byte counts become numbers, which stay exact up to 8 PiB. */
export function loadAgentService(): AgentService {
  if (cached === undefined) {
    const definition = protoLoader.loadSync(findAgentProto(), {
      keepCase: true,
      longs: Number,
      enums: String,
      defaults: true,
      arrays: true,
    });
    const root = grpc.loadPackageDefinition(definition) as unknown as {
      loaderlab: { agent: { Agent: grpc.ServiceClientConstructor } };
    };
    const Client = root.loaderlab.agent.Agent;
    cached = { Client, definition: Client.service };
  }
  return cached;
}

/**
 * Finds `proto/agent.proto` by walking up from this module, which runs from `src/`
 * (tests) and from `dist/src/` (the compiled CLI) at different depths.
 */
export function findAgentProto(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'proto', 'agent.proto');
    if (existsSync(candidate)) {
      return candidate;
    }
    const parent = dirname(directory);
    if (parent === directory) {
      throw new Error(`proto/agent.proto not found in any folder above ${fileURLToPath(import.meta.url)}`);
    }
    directory = parent;
  }
}
