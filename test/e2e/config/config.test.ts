import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configJsonSchema } from '../../../src/config/json-schema.js';
import { chooseConfigPath, DEFAULT_CONFIG_PATH, loadConfig, validateConfig } from '../../../src/config/load.js';
import { MAIN_JS } from '../../helpers/daemon.js';
import { CONFIG_SCHEMA_PATH } from '../../../src/package-root.js';

const SCHEMA_PATH = CONFIG_SCHEMA_PATH;

function errorsOf(value: unknown): string[] {
  const result = validateConfig(value);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.errors;
}

test('an empty config gets every default of the contract', () => {
  const result = validateConfig({});
  assert.ok(result.ok);
  const { config } = result;
  assert.equal(config.server.port, 8080);
  assert.equal(config.server.host, '0.0.0.0');
  assert.equal(config.server.tls, null);
  assert.equal(config.video.source, 'test');
  assert.equal(config.video.idleSeconds, 30);
  assert.equal(config.audio.codec, 'pcm');
  assert.equal(config.clients.max, 32);
  assert.equal(config.ffmpeg.path, null);
  assert.equal(config.log.level, 'info');
});

test('the shipped default config is valid', () => {
  assert.ok(loadConfig(DEFAULT_CONFIG_PATH).ok);
});

test('unknown keys are errors at every level, named by path', () => {
  assert.deepEqual(errorsOf({ colour: 'red' }), ['colour: unknown key']);
  assert.deepEqual(errorsOf({ video: { widht: 100 } }), ['video.widht: unknown key']);
});

test('wrong types and out-of-range values name the key', () => {
  const errors = errorsOf({ server: { port: '8080' }, video: { fps: 0, quality: 101 }, audio: { codec: 'mp3' } });
  assert.equal(errors.length, 4);
  assert.ok(errors.some((line) => line.startsWith('server.port: ')));
  assert.ok(errors.some((line) => line.startsWith('video.fps: ')));
  assert.ok(errors.some((line) => line.startsWith('video.quality: ')));
  assert.ok(errors.some((line) => line.startsWith('audio.codec: ')));
  assert.deepEqual(errorsOf({ server: { port: 70000 } }).length, 1);
  assert.ok(errorsOf({ auth: { users: [{ username: 'a', passwordHash: 'plain' }] } })[0]!.startsWith('auth.users.0.passwordHash: '));
});

test('flags override the file and are validated too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ server: { port: 9000 }, log: { level: 'warn' } }));
  const result = loadConfig(file, { port: 1234, host: '127.0.0.1', logLevel: 'debug' });
  assert.ok(result.ok);
  assert.equal(result.config.server.port, 1234);
  assert.equal(result.config.server.host, '127.0.0.1');
  assert.equal(result.config.log.level, 'debug');
  assert.equal(loadConfig(file, { port: -1 }).ok, false);
});

test('config path precedence: flag, then $WSCAM_CONFIG, then the default', () => {
  assert.equal(chooseConfigPath('/a.json', { WSCAM_CONFIG: '/b.json' }), '/a.json');
  assert.equal(chooseConfigPath(undefined, { WSCAM_CONFIG: '/b.json' }), '/b.json');
  assert.equal(chooseConfigPath(undefined, {}), DEFAULT_CONFIG_PATH);
});

test('unreadable and malformed files are errors, not exceptions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-config-'));
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{ "server": ');
  const broken = loadConfig(file);
  assert.equal(broken.ok, false);
  assert.match(broken.ok ? '' : broken.errors[0]!, /not valid JSON/);
  const missing = loadConfig(join(dir, 'missing.json'));
  assert.match(missing.ok ? '' : missing.errors[0]!, /cannot read: ENOENT/);
});

test('wscam check-config prints ok or path: message lines and exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-config-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ video: { fps: 500, bogus: true } }));
  const failed = spawnSync(process.execPath, [MAIN_JS, 'check-config', bad], { encoding: 'utf8' });
  assert.equal(failed.status, 2);
  assert.deepEqual(failed.stdout.trim().split('\n').sort(), [
    'video.bogus: unknown key',
    'video.fps: Too big: expected number to be <=120',
  ]);
  const good = spawnSync(process.execPath, [MAIN_JS, 'check-config', DEFAULT_CONFIG_PATH], { encoding: 'utf8' });
  assert.equal(good.status, 0);
  assert.equal(good.stdout, 'ok\n');
});

test('the daemon refuses a bad config with exit 2 and the error lines', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wscam-config-'));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ clients: { max: 0 } }));
  const run = spawnSync(process.execPath, [MAIN_JS, '--config', bad], { encoding: 'utf8', timeout: 10000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /clients\.max: /);
  const badFlag = spawnSync(process.execPath, [MAIN_JS, '--config', DEFAULT_CONFIG_PATH, '--port', 'x'], {
    encoding: 'utf8',
    timeout: 10000,
  });
  assert.equal(badFlag.status, 2);
});

test('config/schema.json is generated from the zod schema and up to date', () => {
  assert.equal(readFileSync(SCHEMA_PATH, 'utf8'), configJsonSchema(), 'run `npm run schema` to regenerate config/schema.json');
  const shipped = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as { $schema: string };
  assert.equal(shipped.$schema, './schema.json');
});

test('password hashes must be real scrypt hashes and usernames unique', async () => {
  const { hashPassword } = await import('../../../src/auth/password.js');
  const hash = await hashPassword('a good password');
  assert.ok(validateConfig({ auth: { users: [{ username: 'owner', passwordHash: hash }] } }).ok);
  assert.match(
    errorsOf({ auth: { users: [{ username: 'owner', passwordHash: 'scrypt$1$1$1$x$y' }] } })[0]!,
    /^auth\.users\.0\.passwordHash: /,
  );
  const duplicate = [
    { username: 'owner', passwordHash: hash },
    { username: 'owner', passwordHash: hash },
  ];
  assert.deepEqual(errorsOf({ auth: { users: duplicate } }), ['auth.users: usernames must be unique']);
});

test('a JSON syntax error is reported by line and column, never with the text around it', () => {
  const secret = 's3cr3t-t0ken-abcdef0123';
  const hash = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo';
  const cases: Array<[string, string]> = [
    [`{\n  "auth": {\n    "tokens": ["${secret}" "${secret}x"]\n  }\n}`, 'line 3, column 42: expected ","'],
    [`{\n  "auth": { "tokens": [${secret}] }\n}`, 'line 2, column 24: unexpected character'],
    [`{"auth": {"users": [{"username": "owner", "passwordHash": "${hash}"}}]}}`, `line 1, column ${62 + hash.length}: expected ","`],
    [`{\n"auth": {"tokens": ["${secret}\n]}}`, 'line 2, column 21: string not closed on its line'],
    [`{"auth": {"tokens": ["${secret}",]}}`, `line 1, column ${25 + secret.length}: expected a value`],
    [`{"auth": {"tokens": ["${secret}"]} // ${secret}\n}`, `line 1, column ${27 + secret.length}: comments are not allowed`],
    [`{"auth": {"tokens": ["${secret}\\x"]}}`, 'line 1, column 22: bad escape'],
  ];
  const dir = mkdtempSync(join(tmpdir(), 'wscam-config-'));
  for (const [index, [text, where]] of cases.entries()) {
    const file = join(dir, `broken-${index}.json`);
    writeFileSync(file, text);
    const result = loadConfig(file);
    assert.ok(!result.ok);
    assert.deepEqual(result.errors, [`${file}: not valid JSON at ${where}`], text);
    const checked = spawnSync(process.execPath, [MAIN_JS, 'check-config', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(checked.status, 2);
    const started = spawnSync(process.execPath, [MAIN_JS, '--config', file, '--port', '0'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(started.status, 2);
    for (const output of [checked.stdout + checked.stderr, started.stdout + started.stderr]) {
      assert.match(output, new RegExp(`not valid JSON at ${where.replace(/[$"\]]/g, '\\$&')}`));
      // not even a few characters of the secret or the hash
      for (const shown of [secret.slice(0, 6), secret.slice(-6), hash.slice(17, 23), hash.slice(-6)])
        assert.ok(!output.includes(shown), `${shown} in ${output}`);
    }
  }
  writeFileSync(join(dir, 'bom.json'), '\uFEFF{"log": {"level": "warn"}}');
  const withBom = loadConfig(join(dir, 'bom.json'));
  assert.ok(withBom.ok && withBom.config.log.level === 'warn', 'a byte order mark is allowed');
});
