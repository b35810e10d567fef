export type OutputStream = 'stdout' | 'stderr';

/**
 * The most recent lines a backend wrote to stdout and stderr, kept for diagnostics. Both
 * the number of lines and the length of each line are bounded, so a chatty or binary
 * output cannot grow the loader's memory.
 */
export class OutputBuffer {
  private readonly lines: string[] = [];
  /** Text after the last newline of each stream, waiting for the rest of its line. */
  private readonly partial: Record<OutputStream, string> = { stdout: '', stderr: '' };
  private lastStderr = '';

  constructor(
    private readonly maxLines = 200,
    private readonly maxLineChars = 2_000,
  ) {}

  /** Adds a chunk of a stream; complete lines are kept, the rest waits for its newline. */
  append(stream: OutputStream, chunk: string | Buffer): void {
    const text = this.partial[stream] + chunk.toString();
    const parts = text.split(/\r?\n/);
    this.partial[stream] = this.truncate(parts.pop() ?? '');
    for (const line of parts) this.push(stream, line);
  }

  /** Keeps the unfinished last line of each stream, once the streams have ended. */
  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.push(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  /** The kept lines of both streams, oldest first. */
  recentLines(): string[] {
    return [...this.lines];
  }

  /** The last non-empty line written to stderr, or '' when there is none. */
  lastStderrLine(): string {
    const pending = this.partial.stderr.trim();
    return pending !== '' ? pending : this.lastStderr;
  }

  private push(stream: OutputStream, rawLine: string): void {
    const line = this.truncate(rawLine);
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.shift();
    if (stream === 'stderr' && line.trim() !== '') this.lastStderr = line.trim();
  }

  private truncate(line: string): string {
    return line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line;
  }
}
