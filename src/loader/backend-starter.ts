import type { BackendDefinition, BackendLauncher, BackendProcess } from '../backend/backend-launcher.js';
import type { BackendCatalog } from '../backend/backend-catalog.js';
import type { ModelOptions } from '../backend/protocol.js';
import { AllBackendsFailedError, LoadFailedError, type BackendFailure } from '../errors.js';
import type { Logger } from '../util/logger.js';
import type { LoadRequest } from './load-request.js';

export interface BackendStartContext {
  launcher: BackendLauncher;
  catalog: BackendCatalog;
  logger: Logger;
  modelsDir: string;
  loadModelDeadlineMs: number;
  signal: AbortSignal;
}

/**
 * Starts a backend for the request and loads the model into it. A named backend (after alias
 * resolution) is the only one tried. Without a name, every installed backend that can serve
 * the file type is tried in configuration order, and the first that loads wins.
 */
export async function startBackend(
  context: BackendStartContext,
  request: LoadRequest,
  modelFilePath: string,
): Promise<BackendProcess> {
  if (request.backend !== undefined) {
    const definition = context.catalog.resolve(request.backend);
    try {
      return await startOne(context, request, modelFilePath, definition);
    } catch (error) {
      throw asLoadFailure(request.modelId, definition.name, error);
    }
  }

  const failures: BackendFailure[] = [];
  for (const definition of context.catalog.candidatesFor(request.modelFile)) {
    if (context.signal.aborted) break;
    try {
      return await startOne(context, request, modelFilePath, definition);
    } catch (error) {
      const failure = asLoadFailure(request.modelId, definition.name, error);
      context.logger.warn('backend could not load model; trying the next one', {
        modelId: request.modelId,
        backend: definition.name,
        error: failure.reason,
      });
      failures.push({ backend: definition.name, message: failure.reason });
    }
  }
  throw new AllBackendsFailedError(request.modelId, failures);
}

async function startOne(
  context: BackendStartContext,
  request: LoadRequest,
  modelFilePath: string,
  definition: BackendDefinition,
): Promise<BackendProcess> {
  const process = await context.launcher.launch({
    modelId: request.modelId,
    backend: definition,
    signal: context.signal,
  });
  try {
    const result = await process.client.loadModel(buildModelOptions(request, modelFilePath, context.modelsDir), {
      deadlineMs: context.loadModelDeadlineMs,
      signal: context.signal,
    });
    if (!result.success) {
      throw new LoadFailedError(request.modelId, definition.name, result.message || 'LoadModel returned success=false');
    }
    return process;
  } catch (error) {
    // A backend that did not load its model is of no use and must not outlive the attempt.
    await process.stop({ force: true }).catch(() => {});
    throw error;
  }
}

/** Builds the `LoadModel` request for a load request whose model file resolved to `modelFilePath`. */
export function buildModelOptions(request: LoadRequest, modelFilePath: string, modelsDir: string): ModelOptions {
  return {
    Model: request.modelFile,
    ModelFile: modelFilePath,
    ModelPath: modelsDir,
    Options: [...(request.options ?? [])],
    ...(request.contextSize !== undefined && { ContextSize: request.contextSize }),
    ...(request.gpuLayers !== undefined && { NGPULayers: request.gpuLayers }),
    ...(request.threads !== undefined && { Threads: request.threads }),
  };
}

function asLoadFailure(modelId: string, backend: string, error: unknown): LoadFailedError {
  if (error instanceof LoadFailedError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new LoadFailedError(modelId, backend, reason, { cause: error });
}
