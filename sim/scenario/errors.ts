import { LoaderLabError } from '../../src/errors.js';

/** One problem found in a scenario file. */
export interface ScenarioIssue {
  /** Field path in the file, e.g. `models[2].sizeBytes`; empty for the whole document. */
  path: string;
  /** The expected value, and the value found when there is one. */
  message: string;
  /** 1-based line of the field in the file, when it is known. */
  line?: number;
}

/**
 * The scenario file is not valid YAML or JSON, breaks the schema, or refers to something
 * that does not exist. The message lists every issue so a user can fix them in one pass.
 */
export class InvalidScenarioError extends LoaderLabError {
  readonly code = 'INVALID_SCENARIO';
  constructor(
    readonly file: string,
    readonly issues: readonly ScenarioIssue[],
  ) {
    super(formatIssues(file, issues));
  }
}

/** The scenario file could not be read (missing, a directory, no permission). */
export class ScenarioReadError extends LoaderLabError {
  readonly code = 'SCENARIO_READ_FAILED';
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot read scenario file ${file}: ${reason}`, options);
  }
}

function formatIssues(file: string, issues: readonly ScenarioIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = issues.map((issue) => {
    const where = issue.line !== undefined ? `line ${issue.line}: ` : '';
    const field = issue.path === '' ? '' : `${issue.path}: `;
    return `  ${where}${field}${issue.message}`;
  });
  return `invalid scenario ${file} (${count}):\n${lines.join('\n')}`;
}
