import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import scenarioSchema from '../../scenarios/scenario.schema.json' with { type: 'json' };
import { formatFieldPath, isRecord, parseJsonPointer, type FieldPath } from './field-path.js';

/** One schema violation, with the path as segments so the caller can find its line. */
export interface SchemaIssue {
  path: FieldPath;
  message: string;
}

let compiled: ValidateFunction | undefined;

/** Returns the compiled validator of scenarios/scenario.schema.json, compiling it once. */
function scenarioValidator(): ValidateFunction {
  if (compiled === undefined) {
    // `verbose` keeps each error's schema and data, which the messages below quote.
    const ajv = new Ajv2020({ allErrors: true, discriminator: true, verbose: true, allowUnionTypes: true });
    compiled = ajv.compile(scenarioSchema);
  }
  return compiled;
}

/** Validates a parsed scenario document against the published schema. */
export function validateScenarioSchema(document: unknown): SchemaIssue[] {
  const validate = scenarioValidator();
  if (validate(document)) {
    return [];
  }
  const errors = pruneOneOfNoise(validate.errors ?? []);
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const issue = describeError(error, document);
    const key = `${formatFieldPath(issue.path)}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      issues.push(issue);
    }
  }
  return issues;
}

/**
 * Drops the type errors of `oneOf` branches, because "must be string" and "must be object"
 * side by side do not help. Deeper errors of
 * a branch (an unknown field inside the object form) stay, and then the `oneOf` error goes.
 */
function pruneOneOfNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((error) => error.keyword === 'oneOf');
  const isBranchTypeError = (error: ErrorObject): boolean =>
    oneOfs.some(
      (oneOf) =>
        error.keyword === 'type' &&
        error.instancePath === oneOf.instancePath &&
        error.schemaPath.startsWith(`${oneOf.schemaPath}/`),
    );
  const kept = errors.filter((error) => !isBranchTypeError(error));
  return kept.filter(
    (error) =>
      error.keyword !== 'oneOf' ||
      !kept.some((other) => other !== error && other.schemaPath.startsWith(`${error.schemaPath}/`)),
  );
}

function describeError(error: ErrorObject, document: unknown): SchemaIssue {
  const path = parseJsonPointer(error.instancePath, document);
  const params = error.params as Record<string, unknown>;
  const found = describeValue(error.data);

  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required' };
    case 'additionalProperties':
      return describeUnknownField(path, String(params.additionalProperty), error.parentSchema);
    case 'type':
      return { path, message: `must be ${describeType(params.type)}, got ${found}` };
    case 'enum':
    case 'const': {
      const allowed = error.keyword === 'enum' ? (params.allowedValues as unknown[]) : [params.allowedValue];
      return { path, message: `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}, got ${found}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${params.comparison} ${String(params.limit)}, got ${found}` };
    case 'minLength':
      return { path, message: Number(params.limit) === 1 ? 'must not be empty' : `must have at least ${String(params.limit)} characters` };
    case 'maxLength':
      return { path, message: `must have at most ${String(params.limit)} characters` };
    case 'minItems':
      return { path, message: `must list at least ${String(params.limit)} item(s)` };
    case 'minProperties':
      return { path, message: `must have at least ${String(params.limit)} entry(ies)` };
    case 'uniqueItems':
      return { path, message: `must not repeat items (items ${String(params.j)} and ${String(params.i)} are equal)` };
    case 'discriminator':
      return describeDiscriminator(path, params, error.parentSchema);
    case 'oneOf':
      return { path, message: `must be ${describeOneOf(error.schema)}, got ${found}` };
    default:
      return { path, message: `${error.message ?? 'is invalid'}` };
  }
}

function describeUnknownField(path: FieldPath, field: string, parentSchema: unknown): SchemaIssue {
  const known = isRecord(parentSchema) && isRecord(parentSchema.properties) ? Object.keys(parentSchema.properties) : [];
  const suggestion = closestName(field, known);
  let hint = '';
  if (suggestion !== undefined) {
    hint = `; did you mean "${suggestion}"?`;
  } else if (known.length > 0) {
    hint = `; known fields: ${known.join(', ')}`;
  }
  return { path: [...path, field], message: `is not a known field${hint}` };
}

function describeDiscriminator(path: FieldPath, params: Record<string, unknown>, parentSchema: unknown): SchemaIssue {
  const tag = String(params.tag);
  const kinds = discriminatorValues(parentSchema, tag);
  const allowed = kinds.map((kind) => JSON.stringify(kind)).join(', ');
  if (params.error === 'tag' && params.tagValue === undefined) {
    return { path: [...path, tag], message: `is required; one of ${allowed}` };
  }
  return { path: [...path, tag], message: `must be one of ${allowed}, got ${describeValue(params.tagValue)}` };
}

/** Collects the `const` values of the tag property over a discriminated `oneOf`. */
function discriminatorValues(schema: unknown, tag: string): string[] {
  if (!isRecord(schema) || !Array.isArray(schema.oneOf)) {
    return [];
  }
  const values: string[] = [];
  for (const branch of schema.oneOf) {
    const property = isRecord(branch) && isRecord(branch.properties) ? branch.properties[tag] : undefined;
    if (isRecord(property) && typeof property.const === 'string') {
      values.push(property.const);
    }
  }
  return values;
}

function describeOneOf(branches: unknown): string {
  if (!Array.isArray(branches)) {
    return 'one of the allowed forms';
  }
  const forms = branches.map((branch) => {
    if (isRecord(branch) && branch.type === 'object' && Array.isArray(branch.required)) {
      return `an object with ${branch.required.join(', ')}`;
    }
    return isRecord(branch) ? describeType(branch.type) : 'another form';
  });
  return forms.join(' or ');
}

function describeType(type: unknown): string {
  const names = Array.isArray(type) ? type : String(type).split(',');
  const withArticle = names.map((name) => {
    const text = String(name);
    return /^[aeiou]/.test(text) ? `an ${text}` : `a ${text}`;
  });
  return withArticle.join(' or ');
}

/** Renders a found value for a message, short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (isRecord(value)) {
    return 'an object';
  }
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Returns the known name within edit distance 2 of `name`, ignoring case, if any. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
