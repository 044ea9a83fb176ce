import { existsSync, readFileSync } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import * as z from 'zod';
import { DEFAULT_CONFIG_PATH } from '../package-root.js';
import { ConfigSchema, type Config } from './schema.js';

const SYSTEM_CONFIG_PATH = '/etc/wscam/config.json';
export { DEFAULT_CONFIG_PATH };

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Turns zod issues into `path.to.key: message` lines. */
function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${[...base, key].join('.')}: unknown key`);
    }
    return [`${base.join('.') || '(root)'}: ${issue.message}`];
  });
}

export function validateConfig(value: unknown): ConfigResult {
  const parsed = ConfigSchema.safeParse(value);
  return parsed.success ? { ok: true, config: parsed.data } : { ok: false, errors: formatIssues(parsed.error.issues) };
}

/** Reads and validates a config file; every failure is a list of lines naming the file or the key. */
export function readConfigFile(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, errors: [`${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`] };
  }
  // editors on some systems start UTF-8 files with a byte order mark
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, errors: [`${path}: ${describeJsonError(json)}`] };
  }
  return validateConfig(value);
}

const JSON_ERRORS: Partial<Record<ReturnType<typeof printParseErrorCode>, string>> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'bad number',
  PropertyNameExpected: 'expected a key in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":"',
  CommaExpected: 'expected ","',
  CloseBraceExpected: 'expected "}"',
  CloseBracketExpected: 'expected "]"',
  EndOfFileExpected: 'unexpected text after the end',
  InvalidCommentToken: 'comments are not allowed',
  UnexpectedEndOfComment: 'comments are not allowed',
  UnexpectedEndOfString: 'string not closed on its line',
  UnexpectedEndOfNumber: 'bad number',
  InvalidUnicode: 'bad \\u escape',
  InvalidEscapeCharacter: 'bad escape',
  InvalidCharacter: 'control character in a string',
};

/**
 * Where JSON text first breaks, as line and column and what was expected. JSON.parse's own message
 * quotes the text around the error, which in a config can be a token or a password hash.
 */
function describeJsonError(text: string): string {
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first === undefined) return 'not valid JSON';
  const before = text.slice(0, first.offset);
  const line = before.split('\n').length;
  const column = first.offset - (before.lastIndexOf('\n') + 1) + 1;
  const what = JSON_ERRORS[printParseErrorCode(first.error)] ?? 'syntax error';
  return `not valid JSON at line ${line}, column ${column}: ${what}`;
}

/** CLI flag, then $WSCAM_CONFIG, then /etc/wscam/config.json when it exists, then the shipped default. */
export function chooseConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return flag;
  if (env.WSCAM_CONFIG) return env.WSCAM_CONFIG;
  if (existsSync(SYSTEM_CONFIG_PATH)) return SYSTEM_CONFIG_PATH;
  return DEFAULT_CONFIG_PATH;
}

export interface ConfigOverrides {
  host?: string;
  port?: number;
  logLevel?: string;
}

/** Applies command-line overrides on top of the file and validates the result once more. */
export function loadConfig(path: string, overrides: ConfigOverrides = {}): ConfigResult {
  const fromFile = readConfigFile(path);
  if (!fromFile.ok) return fromFile;
  const merged = structuredClone(fromFile.config);
  if (overrides.host !== undefined) merged.server.host = overrides.host;
  if (overrides.port !== undefined) merged.server.port = overrides.port;
  if (overrides.logLevel !== undefined) (merged.log as { level: string }).level = overrides.logLevel;
  return validateConfig(merged);
}
