import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { InvalidScenarioError, ScenarioReadError, type ScenarioIssue } from './errors.js';
import { formatFieldPath, type FieldPath } from './field-path.js';
import type { RawScenario } from './raw-scenario.js';
import { resolveScenario } from './resolve-scenario.js';
import { validateScenarioSchema } from './schema-validation.js';
import type { Scenario } from './types.js';

/**
 * Loads a scenario file (YAML or JSON) into a `Scenario` with every default filled in.
 *
 * Steps:
 * 1. read and parse the file;
 * 2. check it against scenarios/scenario.schema.json;
 * 3. check what the schema cannot (references, ranges, alternatives), fill in defaults;
 * 4. check that every trace file exists.
 * Each step reports all of its problems at once in an `InvalidScenarioError`, with field
 * paths and line numbers.
 */
export async function loadScenario(file: string): Promise<Scenario> {
  const sourcePath = path.resolve(file);
  let text: string;
  try {
    text = await readFile(sourcePath, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ScenarioReadError(file, reason, { cause: error });
  }
  const parsed = parseScenarioDocument(text, sourcePath);
  await checkTraceFilesExist(parsed);
  return parsed.scenario;
}

/** Parses and resolves scenario text; `sourcePath` names the file and anchors relative paths. */
export function parseScenario(text: string, sourcePath: string): Scenario {
  return parseScenarioDocument(text, sourcePath).scenario;
}

interface ParsedScenario {
  scenario: Scenario;
  raw: RawScenario;
  locate: (at: FieldPath, message: string) => ScenarioIssue;
}

function parseScenarioDocument(text: string, sourcePath: string): ParsedScenario {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => ({
      path: '',
      message: `not valid YAML or JSON: ${error.message.split('\n')[0]}`,
      line: lineCounter.linePos(error.pos[0]).line,
    }));
    throw new InvalidScenarioError(sourcePath, issues);
  }
  const data: unknown = document.toJS();
  const located = (at: FieldPath, message: string): ScenarioIssue => locateIssue(document, lineCounter, at, message);

  const schemaIssues = validateScenarioSchema(data);
  if (schemaIssues.length > 0) {
    throw new InvalidScenarioError(sourcePath, schemaIssues.map((issue) => located(issue.path, issue.message)));
  }
  const result = resolveScenario(data as RawScenario, sourcePath);
  if (result.kind === 'invalid') {
    throw new InvalidScenarioError(sourcePath, result.issues.map((issue) => located(issue.path, issue.message)));
  }
  return { scenario: result.scenario, raw: data as RawScenario, locate: located };
}

/** Finds the line of the deepest node on `at` that the document has. */
function locateIssue(document: Document, lineCounter: LineCounter, at: FieldPath, message: string): ScenarioIssue {
  const issue: ScenarioIssue = { path: formatFieldPath(at), message };
  for (let depth = at.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? document.contents : document.getIn(at.slice(0, depth), true);
    if (isNode(node) && node.range) {
      issue.line = lineCounter.linePos(node.range[0]).line;
      return issue;
    }
  }
  return issue;
}

async function checkTraceFilesExist({ scenario, raw, locate }: ParsedScenario): Promise<void> {
  const source = scenario.workload.source;
  if (source.kind !== 'trace') {
    return;
  }
  const issues: ScenarioIssue[] = [];
  for (const [index, file] of source.files.entries()) {
    const problem = await describeMissingFile(file.path);
    if (problem !== undefined) {
      const at: FieldPath = raw.workload.trace?.file !== undefined ? ['workload', 'trace', 'file'] : ['workload', 'trace', 'files', index];
      issues.push(locate(at, `${problem}: ${file.path} (relative paths start at the scenario's folder)`));
    }
  }
  if (issues.length > 0) {
    throw new InvalidScenarioError(scenario.sourcePath, issues);
  }
}

async function describeMissingFile(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? undefined : 'is not a file';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'trace file not found' : `cannot read trace file (${(error as Error).message})`;
  }
}
