/**
 * Splits one CSV line into fields (RFC 4180: fields may be quoted, `""` is a quote inside a
 * quoted field). Returns undefined for an unterminated quote.
 * NOTE: a quoted field that spans lines is not supported; the trace formats read here
 * have none.
 */
export function splitCsvLine(line: string): string[] | undefined {
  // Trace files rarely quote anything, and a plain split is several times faster.
  if (!line.includes('"')) {
    return line.split(',');
  }
  const fields: string[] = [];
  let field = '';
  let index = 0;
  let quoted = false;
  while (index < line.length) {
    const char = line[index]!;
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        field += '"';
        index += 2;
        continue;
      }
      if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
    index += 1;
  }
  if (quoted) {
    return undefined;
  }
  fields.push(field);
  return fields;
}

/** Maps column names of a CSV header to their indexes; names are trimmed. */
export function indexColumns(header: readonly string[]): Map<string, number> {
  const columns = new Map<string, number>();
  header.forEach((name, index) => {
    // A UTF-8 byte order mark may precede the first column name.
    const clean = (index === 0 ? name.replace(/^\uFEFF/, '') : name).trim();
    if (!columns.has(clean)) {
      columns.set(clean, index);
    }
  });
  return columns;
}
