import type { RowBatch } from './trace-row.js';

interface Cursor {
  iterator: AsyncIterator<RowBatch>;
  batch: RowBatch;
  index: number;
  done: boolean;
}

/**
 * Merges batch streams whose rows are each in time order into one stream in time order.
 * Rows at the same time come in source order, so the merge is deterministic. Bad rows pass
 * through as soon as they are read, since they have no time. Each source keeps at most
 * one batch in memory.
 */
export async function* mergeRowBatches(sources: readonly AsyncIterable<RowBatch>[]): AsyncGenerator<RowBatch> {
  if (sources.length === 1) {
    yield* sources[0]!;
    return;
  }
  const cursors: Cursor[] = sources.map((source) => ({ iterator: source[Symbol.asyncIterator](), batch: [], index: 0, done: false }));
  try {
    for (;;) {
      const out: RowBatch = [];
      for (const cursor of cursors) {
        await fillCursor(cursor, out);
      }
      const exhausted = takeInOrder(cursors, out);
      if (out.length > 0) {
        yield out;
      }
      if (exhausted) {
        return;
      }
    }
  } finally {
    // Closing the sources closes their files when the consumer stops early.
    await Promise.all(cursors.map((cursor) => cursor.iterator.return?.()));
  }
}

/** Reads batches until the cursor's head is a row or the source ends; bad rows go to `out`. */
async function fillCursor(cursor: Cursor, out: RowBatch): Promise<void> {
  while (!cursor.done) {
    if (cursor.index < cursor.batch.length) {
      const head = cursor.batch[cursor.index]!;
      if (head.kind === 'row') {
        return;
      }
      out.push(head);
      cursor.index += 1;
      continue;
    }
    const next = await cursor.iterator.next();
    if (next.done === true) {
      cursor.done = true;
    } else {
      cursor.batch = next.value;
      cursor.index = 0;
    }
  }
}

/**
 * Moves rows to `out` in time order while every open source has a row in memory. Returns
 * true when every source has ended, false when one needs its next batch read first.
 */
function takeInOrder(cursors: readonly Cursor[], out: RowBatch): boolean {
  for (;;) {
    let earliest: Cursor | undefined;
    let earliestMs = Infinity;
    for (const cursor of cursors) {
      const head = cursor.done ? undefined : cursor.batch[cursor.index];
      if (head?.kind === 'row' && head.row.timeMs < earliestMs) {
        earliest = cursor;
        earliestMs = head.row.timeMs;
      }
    }
    if (earliest === undefined) {
      return true;
    }
    out.push(earliest.batch[earliest.index]!);
    earliest.index += 1;
    while (earliest.index < earliest.batch.length && earliest.batch[earliest.index]!.kind === 'bad') {
      out.push(earliest.batch[earliest.index]!);
      earliest.index += 1;
    }
    if (earliest.index >= earliest.batch.length) {
      return false;
    }
  }
}
