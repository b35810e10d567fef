import type { TraceFile } from '../scenario/types.js';
import { indexColumns, splitCsvLine } from './csv.js';
import { InvalidTraceHeaderError } from './errors.js';
import { readLineBatches } from './line-reader.js';
import { badRow, type BadRow } from './trace-row.js';

/** A CSV data line split into the fields a reader asked for, by column name. */
export interface CsvRecord {
  fields: Readonly<Record<string, string>>;
  line: number;
}

export type CsvResult = { kind: 'record'; record: CsvRecord } | BadRow;

/**
 * Streams the data lines of a CSV file with a header line, in batches (one per chunk read).
 * `required` columns must be in the header, else `InvalidTraceHeaderError`; `optional`
 * ones are read when present. Blank lines are ignored, and a line with fewer fields than
 * a wanted column needs is a bad row.
 */
export async function* readCsvBatches(
  file: TraceFile,
  required: readonly string[],
  optional: readonly string[] = [],
): AsyncGenerator<CsvResult[]> {
  let wanted: [string, number][] | undefined;
  for await (const lines of readLineBatches(file.path)) {
    const batch: CsvResult[] = [];
    for (const { text, line } of lines) {
      if (text.trim() === '') {
        continue;
      }
      const values = splitCsvLine(text);
      if (wanted === undefined) {
        wanted = resolveWanted(file.path, indexColumns(values ?? []), required, optional);
        continue;
      }
      batch.push(toRecord(file.path, values, line, wanted));
    }
    if (batch.length > 0) {
      yield batch;
    }
  }
  if (wanted === undefined) {
    throw new InvalidTraceHeaderError(file.path, `the file is empty; expected a header line with the columns ${required.join(', ')}`);
  }
}

function toRecord(file: string, values: string[] | undefined, line: number, wanted: readonly [string, number][]): CsvResult {
  if (values === undefined) {
    return badRow(file, line, 'unterminated quoted field');
  }
  const fields: Record<string, string> = {};
  for (const [name, index] of wanted) {
    const value = values[index];
    if (value === undefined) {
      return badRow(file, line, `has ${values.length} field(s), so column ${name} is missing`);
    }
    fields[name] = value;
  }
  return { kind: 'record', record: { fields, line } };
}

function resolveWanted(
  file: string,
  columns: ReadonlyMap<string, number>,
  required: readonly string[],
  optional: readonly string[],
): [string, number][] {
  const absent = required.filter((name) => !columns.has(name));
  if (absent.length > 0) {
    const found = [...columns.keys()].join(', ');
    throw new InvalidTraceHeaderError(
      file,
      `missing column(s) ${absent.join(', ')} (found: ${found}); map them with workload.trace.columns`,
    );
  }
  const wanted: [string, number][] = required.map((name) => [name, columns.get(name)!]);
  for (const name of optional) {
    const index = columns.get(name);
    if (index !== undefined && !required.includes(name)) {
      wanted.push([name, index]);
    }
  }
  return wanted;
}
