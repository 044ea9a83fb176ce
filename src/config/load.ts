import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigSchema, type Config } from './schema.js';

export const SYSTEM_CONFIG_PATH = '/etc/wscam/config.json';
export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL('../../../config/default.json', import.meta.url));

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Turns zod issues into `path.to.key: message` lines. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, errors: [`${path}: not valid JSON: ${(error as Error).message}`] };
  }
  return validateConfig(value);
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
