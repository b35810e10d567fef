import type { RowResult } from './trace-row.js';

/**
 * Merges row streams that are each in time order into one in time order. Rows at the same
 * time come in source order, so the merge is deterministic. Bad rows pass through as soon
 * as they are read, since they have no time.
 */
export async function* mergeRowStreams(sources: readonly AsyncIterable<RowResult>[]): AsyncGenerator<RowResult> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const heads: (Extract<RowResult, { kind: 'row' }> | undefined)[] = [];
  const pending: RowResult[] = [];
  try {
    for (const iterator of iterators) {
      heads.push(await nextRow(iterator, pending));
      yield* drain(pending);
    }
    for (;;) {
      let earliest = -1;
      heads.forEach((head, index) => {
        if (head !== undefined && (earliest < 0 || head.row.timeMs < heads[earliest]!.row.timeMs)) {
          earliest = index;
        }
      });
      if (earliest < 0) {
        return;
      }
      yield heads[earliest]!;
      heads[earliest] = await nextRow(iterators[earliest]!, pending);
      yield* drain(pending);
    }
  } finally {
    // Closing the iterators closes their files when the consumer stops early.
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

async function nextRow(iterator: AsyncIterator<RowResult>, pending: RowResult[]): Promise<Extract<RowResult, { kind: 'row' }> | undefined> {
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) {
      return undefined;
    }
    if (next.value.kind === 'row') {
      return next.value;
    }
    pending.push(next.value);
  }
}

function* drain(pending: RowResult[]): Generator<RowResult> {
  while (pending.length > 0) {
    yield pending.shift()!;
  }
}
