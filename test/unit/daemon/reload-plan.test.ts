import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword } from '../../../src/auth/password.js';
import { validateConfig } from '../../../src/config/load.js';
import type { Config, ConfigInput } from '../../../src/config/schema.js';
import { planReload } from '../../../src/daemon/reload.js';

function config(input: ConfigInput): Config {
  const result = validateConfig(input);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.config;
}

test('capture sections and credentials are live; everything else is named as needing a restart', () => {
  const running = config({ auth: { tokens: ['a-token-of-16-chars'] } });
  const next = config({
    $schema: './schema.json',
    server: { port: 9000, allowedOrigins: ['https://a.test'] },
    auth: { tokens: ['another-16-char-token'], sessionIdleHours: 1 },
    video: { width: 320 },
    ffmpeg: { path: '/usr/bin/ffmpeg' },
    clients: { max: 3 },
    log: { level: 'debug' },
  });
  const plan = planReload(running, next);
  assert.equal(plan.capture, true);
  assert.equal(plan.credentials, true);
  assert.deepEqual(plan.changed.sort(), [
    'auth.sessionIdleHours',
    'auth.tokens',
    'clients.max',
    'ffmpeg.path',
    'log.level',
    'server.allowedOrigins',
    'server.port',
    'video.width',
  ]);
  assert.deepEqual(plan.needsRestart.sort(), ['auth.sessionIdleHours', 'clients.max', 'log.level', 'server.allowedOrigins', 'server.port']);
});

test('an equal config plans nothing; a users change alone is credentials only', async () => {
  const passwordHash = await hashPassword('correct horse battery');
  const running = config({ video: { fps: 10 } });
  assert.deepEqual(planReload(running, config({ video: { fps: 10 } })), {
    changed: [],
    capture: false,
    credentials: false,
    needsRestart: [],
  });
  const users = planReload(running, config({ video: { fps: 10 }, auth: { users: [{ username: 'owner', passwordHash }] } }));
  assert.deepEqual(users, { changed: ['auth.users'], capture: false, credentials: true, needsRestart: [] });
});

test('server.tls appearing is a restart, named by its key', () => {
  const plan = planReload(config({}), config({ server: { tls: { cert: '/c.pem', key: '/k.pem' } } }));
  assert.deepEqual(plan.needsRestart, ['server.tls']);
});
