#!/usr/bin/env node
import { checkConfigCommand, parseCommandLine, USAGE } from './cli.js';
import { chooseConfigPath } from './config/load.js';
import { runDaemon } from './daemon/daemon.js';
import { tuneJit } from './daemon/jit-tuning.js';
import { EXIT_BAD_CONFIG, EXIT_FATAL, EXIT_OK } from './exit-codes.js';
import { describeBug } from './describe-error.js';

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${USAGE}\n`);
    return EXIT_BAD_CONFIG;
  }
  const { command } = parsed;
  switch (command.name) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    case 'check-config':
      return checkConfigCommand(command.file, process.stdout);
    case 'hash-password': {
      const { runHashPasswordCommand } = await import('./auth/hash-password-command.js');
      return runHashPasswordCommand(process.stdin, process.stdout, process.stderr);
    }
    case 'daemon':
      tuneJit();
      return runDaemon({ configPath: chooseConfigPath(command.configFlag, process.env), overrides: command.overrides }, process.env);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Flush pino's async stdout before leaving; timers and sockets are already closed.
    setImmediate(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`wscam: fatal: ${describeBug(error)}\n`);
    process.exit(EXIT_FATAL);
  },
);
