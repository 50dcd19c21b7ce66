// The `taskd` command.
import { Command } from 'commander';
import { serveCommand } from './serve.js';

const program = new Command('taskd').description('A self-hosted task service speaking the Cloud Foundry v3 Tasks API');
program.addCommand(serveCommand());
await program.parseAsync(process.argv);
