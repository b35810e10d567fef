/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * Serialises a value as JSON that is safe inside `<script type="application/json">`: `<`,
 * `>` and `&` become \u escapes, so no text can close the script element or open a comment,
 * and U+2028 and U+2029 are escaped for older JavaScript parsers. JSON.parse reads it back
 * unchanged.
 */
export function jsonForScript(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** A piece of HTML that is already escaped. */
export class SafeHtml {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/**
 * Template tag that escapes every interpolated value unless it is `SafeHtml`; arrays are
 * joined after escaping each item. Report code builds all markup through it.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, index) => {
    out += renderValue(value) + strings[index + 1]!;
  });
  return new SafeHtml(out);
}

function renderValue(value: unknown): string {
  if (value instanceof SafeHtml) {
    return value.html;
  }
  if (Array.isArray(value)) {
    return value.map(renderValue).join('');
  }
  if (value === undefined || value === null || value === false) {
    return '';
  }
  return escapeHtml(String(value));
}
