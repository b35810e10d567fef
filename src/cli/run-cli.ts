import type { Command } from 'commander';
import { CommanderError } from 'commander';
import { LoaderLabError } from '../errors.js';

/** Exit code for bad input: a scenario, a trace row, an option. */
export const EXIT_BAD_INPUT = 2;

/**
 * Parses and runs the program. A `LoaderLabError` (a user mistake or an expected failure)
 * prints its message without a stack trace; anything else is a bug and keeps its stack.
 */
export async function runCli(program: Command, argv: readonly string[]): Promise<void> {
  // Subcommands keep their own exit handling, so each needs the override for usage errors to exit 2.
  const commands: Command[] = [program];
  while (commands.length > 0) {
    const command = commands.pop()!;
    command.exitOverride();
    commands.push(...command.commands);
  }
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
      return;
    }
    if (error instanceof LoaderLabError) {
      process.stderr.write(`loaderlab: ${error.message}\n`);
      process.exitCode = error.code === 'INVALID_INPUT' || error.code === 'INVALID_OPTION' ? EXIT_BAD_INPUT : 1;
      return;
    }
    throw error;
  }
}
