#!/usr/bin/env node
/**
 * The `tenantgate` command line.
 * @packageDocumentation
 */
import { runDemo } from './demo.js';

const USAGE = `Usage: tenantgate <command>

Commands:
  demo       walk through the main job against a local issuer
  inspect    explain why a token is accepted or rejected (coming in a later release)
  help       show this text
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'demo': {
      const good = await runDemo((line) => process.stdout.write(`${line}\n`), process.stdout.isTTY === true);
      process.stdout.write(good ? '\nEvery step behaved as expected.\n' : '\nSome steps did not behave as expected.\n');
      return good ? 0 : 1;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(command === undefined ? USAGE : `tenantgate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tenantgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
