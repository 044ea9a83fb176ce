import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createRootLogger, moduleLogger } from '../../src/log.js';
import { redactSecrets, redactValue } from '../../src/redact.js';

test('URL userinfo is hidden whatever characters the password holds', () => {
  const cases: Array<[string, string]> = [
    ['rtsp://admin:s3cret@10.0.0.5:554/stream1: Connection refused', 'rtsp://[redacted]@10.0.0.5:554/stream1: Connection refused'],
    ['rtsp://admin:se@cret@10.0.0.5:554/stream1: Connection refused', 'rtsp://[redacted]@10.0.0.5:554/stream1: Connection refused'],
    ['rtsp://admin:pa/ss?w#d@cam/stream', 'rtsp://[redacted]@cam/stream'],
    ['http://adm in:p w@127.0.0.1:1/x: Connection refused', 'http://[redacted]@127.0.0.1:1/x: Connection refused'],
    ['RTSP://a:b@cam/1 and srt://c:d@cam:9000', 'RTSP://[redacted]@cam/1 and srt://[redacted]@cam:9000'],
    ['rtsp://admin:%40p@cam/x', 'rtsp://[redacted]@cam/x'],
  ];
  for (const [text, hidden] of cases) assert.equal(redactSecrets(text), hidden);
});

test('query parameters named like credentials are hidden, the rest of the URL kept', () => {
  const cases: Array<[string, string]> = [
    ['http://cam/snapshot.cgi?user=admin&pwd=s3cr3tq', 'http://cam/snapshot.cgi?user=[redacted]&pwd=[redacted]'],
    [
      '/a?channel=1&password=x&passwd=y&pass=z&username=u',
      '/a?channel=1&password=[redacted]&passwd=[redacted]&pass=[redacted]&username=[redacted]',
    ],
    [
      '/a?token=t&api_key=k&auth=a&secret=s&access_token=at&u=x&p=y',
      '/a?token=[redacted]&api_key=[redacted]&auth=[redacted]&secret=[redacted]&access_token=[redacted]&u=[redacted]&p=[redacted]',
    ],
    ['/a?PWD=s3&cr3t&x=1', '/a?PWD=[redacted]&x=1'],
    ['/a?x=1#pwd', '/a?x=1#pwd'],
  ];
  for (const [text, hidden] of cases) assert.equal(redactSecrets(text), hidden);
});

test('Authorization headers and bearer tokens are hidden; ordinary ffmpeg lines pass unchanged', () => {
  assert.equal(redactSecrets('-headers Authorization: Basic YWRtaW46c2VjcmV0'), '-headers Authorization: [redacted]');
  assert.equal(redactSecrets('sent Bearer abc.def-123 to it'), 'sent Bearer [redacted] to it');
  for (const line of [
    '[tcp @ 0x55e87a03a5c0] Connection to tcp://127.0.0.1:1?timeout=0 failed: Connection refused',
    '/dev/video0: No such file or directory',
    '[mjpeg @ 0x5600] unable to decode APP fields: Invalid data found when processing input',
  ]) {
    assert.equal(redactSecrets(line), line);
  }
});

test('in JSON text a match never runs past the end of a string', () => {
  const line = JSON.stringify({ msg: 'ffmpeg: rtsp://cam/x', remote: 'u@h', args: ['-i', 'rtsp://a:b"c@h/s', 'x?key=k"q'] });
  const hidden = redactSecrets(line);
  assert.deepEqual(JSON.parse(hidden), {
    msg: 'ffmpeg: rtsp://cam/x',
    remote: 'u@h',
    args: ['-i', 'rtsp://[redacted]@h/s', 'x?key=[redacted]'],
  });
});

test('redactValue hides strings at any depth, errors included, and bounds what it walks', () => {
  const error = Object.assign(new Error('cannot open rtsp://a:b@cam/x'), { code: 'ECONNREFUSED' });
  const copy = redactValue({ args: ['-i', 'rtsp://a:b@cam/x'], nested: { url: 'http://h/?pwd=1' }, err: error, n: 3 }) as Record<
    string,
    unknown
  >;
  assert.deepEqual(copy.args, ['-i', 'rtsp://[redacted]@cam/x']);
  assert.deepEqual(copy.nested, { url: 'http://h/?pwd=[redacted]' });
  const err = copy.err as Record<string, unknown>;
  assert.equal(err.type, 'Error');
  assert.equal(err.message, 'cannot open rtsp://[redacted]@cam/x');
  assert.ok(typeof err.stack === 'string' && !err.stack.includes('a:b@'));
  assert.equal(err.code, 'ECONNREFUSED');
  assert.equal(copy.n, 3);
  const cycle: Record<string, unknown> = { url: 'rtsp://a:b@c/' };
  cycle.self = cycle;
  assert.doesNotThrow(() => JSON.stringify(redactValue(cycle)));
});

test('every line of the logger and its children is redacted, but for the first-run viewer URL', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const root = createRootLogger('debug', sink);
  const child = moduleLogger(root, 'capture');
  child.warn('ffmpeg: rtsp://admin:se@cret@127.0.0.1:1/stream1: Connection refused');
  child.debug({ args: ['-i', 'http://cam/snapshot.cgi?user=admin&pwd=s3cr3tq'] }, 'ffmpeg spawned');
  child.warn({ err: new Error('rtsp://admin:se@cret@cam/') }, 'ffmpeg: process error %s', 'rtsp://x:y@cam/');
  root.info({ viewerUrl: 'http://192.168.1.5:8080/?token=first-run-token-abcdef' }, 'open the viewer');
  const text = lines.join('');
  for (const piece of ['se@cret', 's3cr3tq', 'x:y@', 'admin']) assert.ok(!text.includes(piece), `${piece} in ${text}`);
  assert.equal(lines.length, 4);
  for (const line of lines) JSON.parse(line);
  assert.ok(text.includes('?token=first-run-token-abcdef'), 'the first-run viewer URL keeps its token');
});
