import { parseArgs } from 'node:util';
import type { ConfigOverrides } from './config/load.js';
import { readConfigFile } from './config/load.js';
import { LOG_LEVELS } from './config/schema.js';
import { EXIT_BAD_CONFIG, EXIT_OK } from './exit-codes.js';
import { describeError } from './describe-error.js';

export const USAGE = `usage:
  wscam [--config FILE] [--host ADDR] [--port N] [--log-level LEVEL]
  wscam check-config FILE
  wscam hash-password            (password on stdin)`;

/** What the command line asks for. */
export type Command =
  | { name: 'daemon'; configFlag: string | undefined; overrides: ConfigOverrides }
  | { name: 'check-config'; file: string }
  | { name: 'hash-password' }
  | { name: 'help' };

/** Parses argv (without node and the script); an error is one line for stderr, shown above USAGE. */
export function parseCommandLine(argv: readonly string[]): { ok: true; command: Command } | { ok: false; error: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, command: { name: 'help' } };
  const [name, ...rest] = positionals;
  if (name === 'check-config') {
    return rest.length === 1 ? { ok: true, command: { name, file: rest[0]! } } : { ok: false, error: 'check-config takes one FILE' };
  }
  if (name === 'hash-password') return { ok: true, command: { name } };
  if (name !== undefined) return { ok: false, error: `unknown command "${name}"` };

  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    return { ok: false, error: '--port: must be an integer 0..65535' };
  }
  const logLevel = values['log-level'];
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    return { ok: false, error: `--log-level: must be one of ${LOG_LEVELS.join(', ')}` };
  }
  const overrides: ConfigOverrides = {
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(logLevel !== undefined ? { logLevel } : {}),
  };
  return { ok: true, command: { name: 'daemon', configFlag: values.config, overrides } };
}

/** `wscam check-config FILE`: prints `ok`, or one `path: message` line per problem; returns the exit code. */
export function checkConfigCommand(file: string, stdout: NodeJS.WritableStream): number {
  const result = readConfigFile(file);
  if (result.ok) {
    stdout.write('ok\n');
    return EXIT_OK;
  }
  stdout.write(`${result.errors.join('\n')}\n`);
  return EXIT_BAD_CONFIG;
}
