import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowHeader, RouteTable, type Route } from '../../../src/http/routes.js';
import { StaticFiles } from '../../../src/http/static-files.js';
import { wscamRoutes, type RouteDependencies } from '../../../src/http/wscam-routes.js';

// Deciding never calls a handler, so the parts the handlers use are not needed here.
const table = wscamRoutes({ staticFiles: new StaticFiles('/nonexistent-web-root') } as unknown as RouteDependencies);

function decide(path: string, method: string): { auth: string } | { allow: string } {
  const decision = table.decide(path, method);
  return decision.ok ? { auth: decision.route.auth } : { allow: decision.allow };
}

test('each path of the HTTP API needs what the contract says', () => {
  assert.deepEqual(decide('/', 'GET'), { auth: 'public' });
  assert.deepEqual(decide('/index.html', 'GET'), { auth: 'public' });
  assert.deepEqual(decide('/healthz', 'GET'), { auth: 'public' });
  assert.deepEqual(decide('/api/login', 'POST'), { auth: 'public' });
  assert.deepEqual(decide('/api/session', 'GET'), { auth: 'public' });
  assert.deepEqual(decide('/metrics', 'GET'), { auth: 'credentials' });
  assert.deepEqual(decide('/snapshot.jpg', 'GET'), { auth: 'credentials' });
  assert.deepEqual(decide('/stream.mjpg', 'GET'), { auth: 'credentials' });
  assert.deepEqual(decide('/api/logout', 'POST'), { auth: 'credentials' });
  assert.deepEqual(decide('/ws', 'GET'), { auth: 'upgrade' });
});

test('HEAD goes wherever GET does', () => {
  for (const path of ['/', '/healthz', '/metrics', '/snapshot.jpg', '/stream.mjpg', '/api/session', '/app.js']) {
    assert.deepEqual(decide(path, 'HEAD'), decide(path, 'GET'), path);
  }
});

test('a method a path does not take is refused with the Allow the table gives, before any credential', () => {
  assert.deepEqual(decide('/api/login', 'GET'), { allow: 'POST' });
  assert.deepEqual(decide('/api/logout', 'GET'), { allow: 'POST' });
  assert.deepEqual(decide('/snapshot.jpg', 'POST'), { allow: 'GET, HEAD' });
  assert.deepEqual(decide('/metrics', 'DELETE'), { allow: 'GET, HEAD' });
  assert.deepEqual(decide('/', 'POST'), { allow: 'GET, HEAD' });
  assert.deepEqual(decide('/no/such/file', 'PUT'), { allow: 'GET, HEAD' });
  assert.deepEqual(decide('/api/login', 'HEAD'), { allow: 'POST' }, 'HEAD only where GET is taken');
});

test('only the WebSocket endpoint takes an upgrade', () => {
  assert.equal(table.acceptsUpgrade('/ws'), true);
  for (const path of ['/', '/ws/', '/stream.mjpg', '/api/login', '/index.html']) assert.equal(table.acceptsUpgrade(path), false, path);
});

test('paths are matched exactly; anything else is the fallback', () => {
  const handler = () => {};
  const fallback: Route = { path: '*', methods: ['GET'], auth: 'public', handler };
  const small = new RouteTable([{ path: '/a', methods: ['POST', 'GET'], auth: 'credentials', handler }], fallback);
  assert.deepEqual(small.decide('/a', 'POST'), small.decide('/a', 'GET'));
  const other = small.decide('/a/', 'GET');
  assert.ok(other.ok && other.route === fallback);
  assert.equal(allowHeader(['POST', 'GET']), 'POST, GET, HEAD');
});
