#!/usr/bin/env node
import { Command } from 'commander';
import { runCli } from './run-cli.js';

/**
 * The `loaderlab` command. Each subcommand lives in `commands/` and registers itself on the
 * program; this file only assembles them.
 */
const program = new Command('loaderlab')
  .description('Model loader for multi-model inference servers, and a simulator to replay traces against it')
  .showHelpAfterError();

const registrations = await Promise.all([
  import('./commands/backend.js'),
  import('./commands/replay.js'),
  import('./commands/agent.js'),
  import('./commands/compare-routing.js'),
  import('./commands/sweep.js'),
]);
for (const { register } of registrations) {
  register(program);
}

await runCli(program, process.argv);
