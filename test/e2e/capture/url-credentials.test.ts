import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hideUrlCredentials } from '../../../src/capture/process/child-supervisor.js';

test('URL credentials never reach the log', () => {
  assert.equal(
    hideUrlCredentials('rtsp://admin:s3cret@10.0.0.5:554/stream1: Connection refused'),
    'rtsp://[redacted]@10.0.0.5:554/stream1: Connection refused',
  );
  assert.equal(hideUrlCredentials('/dev/video0: No such file or directory'), '/dev/video0: No such file or directory');
});
