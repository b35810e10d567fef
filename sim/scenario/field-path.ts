/** A path into a parsed document: object keys and array indexes. */
export type FieldPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a path the way a user reads it: `models[2].sizeBytes`, `weights["llama-8b"]`. */
export function formatFieldPath(path: FieldPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
    } else if (IDENTIFIER.test(segment)) {
      text += text === '' ? segment : `.${segment}`;
    } else {
      text += `[${JSON.stringify(segment)}]`;
    }
  }
  return text;
}

/**
 * Converts an Ajv instance path (`/models/2/sizeBytes`, JSON Pointer) to segments. A segment
 * becomes an index only where the document has an array, because object keys may be digits.
 */
export function parseJsonPointer(pointer: string, document: unknown): (string | number)[] {
  if (pointer === '') {
    return [];
  }
  const segments: (string | number)[] = [];
  let current: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(current) && /^\d+$/.test(key)) {
      const index = Number(key);
      segments.push(index);
      current = current[index];
    } else {
      segments.push(key);
      current = isRecord(current) ? current[key] : undefined;
    }
  }
  return segments;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
