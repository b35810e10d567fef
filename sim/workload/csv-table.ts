import type { TraceFile } from '../scenario/types.js';
import { indexColumns, splitCsvLine } from './csv.js';
import { InvalidTraceHeaderError } from './errors.js';
import { readLines } from './line-reader.js';
import { badRow, type RowResult } from './trace-row.js';

/** A CSV data line split into the fields a reader asked for, by column name. */
export interface CsvRecord {
  fields: Readonly<Record<string, string>>;
  line: number;
}

/**
 * Streams the data lines of a CSV file with a header line. `required` columns must be in
 * the header (else `InvalidTraceHeaderError`); `optional` ones are read when present.
 * Blank lines are ignored; a line with fewer fields than the header is a bad row.
 */
export async function* readCsvRecords(
  file: TraceFile,
  required: readonly string[],
  optional: readonly string[] = [],
): AsyncGenerator<{ kind: 'record'; record: CsvRecord } | Extract<RowResult, { kind: 'bad' }>> {
  let columns: Map<string, number> | undefined;
  let wanted: [string, number][] = [];
  for await (const { text, line } of readLines(file.path)) {
    if (text.trim() === '') {
      continue;
    }
    const values = splitCsvLine(text);
    if (columns === undefined) {
      columns = indexColumns(values ?? []);
      wanted = resolveWanted(file.path, columns, required, optional);
      continue;
    }
    if (values === undefined) {
      yield badRow(file.path, line, 'unterminated quoted field') as Extract<RowResult, { kind: 'bad' }>;
      continue;
    }
    const fields: Record<string, string> = {};
    let missing: string | undefined;
    for (const [name, index] of wanted) {
      const value = values[index];
      if (value === undefined) {
        missing = name;
        break;
      }
      fields[name] = value;
    }
    if (missing !== undefined) {
      const reason = `has ${values.length} field(s), so column ${missing} is missing`;
      yield badRow(file.path, line, reason) as Extract<RowResult, { kind: 'bad' }>;
      continue;
    }
    yield { kind: 'record', record: { fields, line } };
  }
  if (columns === undefined) {
    throw new InvalidTraceHeaderError(file.path, 'the file is empty; expected a header line with the columns ' + required.join(', '));
  }
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
