import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, Socket, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { capSendBuffer, VIEWER_SEND_BUFFER_BYTES } from '../../../src/http/send-buffer.js';

/** Caps a socket, then writes to its peer that never reads until Node starts buffering; returns what the kernel took by then. */
async function kernelTakesBeforeBackpressure(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const peer = connect((server.address() as AddressInfo).port, '127.0.0.1');
  peer.pause();
  const [socket] = (await once(server, 'connection')) as [Socket];
  try {
    assert.deepEqual(capSendBuffer(socket), { ok: true });
    const block = Buffer.alloc(16 * 1024);
    let written = 0;
    // Bounded: 64 MiB is far beyond any autotuned buffer.
    while (socket.writableLength === 0 && written < 64 * 1024 * 1024) {
      socket.write(block);
      written += block.length;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return written - socket.writableLength;
  } finally {
    peer.destroy();
    socket.destroy();
    server.close();
  }
}

test('a capped socket shows backpressure after a few hundred KiB, not after the autotuned megabytes', async () => {
  const taken = await kernelTakesBeforeBackpressure();
  // Linux doubles the value set; the paused peer's receive buffer holds some more.
  assert.ok(taken <= 6 * VIEWER_SEND_BUFFER_BYTES, `the kernel took ${taken} bytes`);
});

test('a socket without a descriptor gets an error value, not an exception', () => {
  assert.deepEqual(capSendBuffer(new Socket()), { ok: false, error: 'socket has no file descriptor' });
});
