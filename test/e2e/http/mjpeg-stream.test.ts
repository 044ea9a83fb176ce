import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { Waits } from '../../helpers/wait.js';
import { isWholeJpeg } from '../../helpers/ws-viewer.js';

const PARTS = 3;
const HEAD_END = '\r\n\r\n';

/** A raw-socket /stream.mjpg reader: every byte as sent, so the framing of the body is visible. */
class RawStream {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  closed = false;
  private readonly waits = new Waits();

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (data: Buffer) => {
      this.received = Buffer.concat([this.received, data]);
      this.waits.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.waits.wake();
    });
    this.socket.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  }

  until(probe: () => boolean, what: string): Promise<true> {
    return this.waits.until(() => probe() || undefined, {
      timeoutMs: 30_000,
      what,
      abandon: () => (this.closed && !probe() ? 'the stream closed' : undefined),
    });
  }

  head(): string {
    const text = this.received.toString('latin1');
    return text.slice(0, text.indexOf(HEAD_END));
  }

  /** The body after the response head, parsed as multipart parts back to back; stops at the first incomplete one. */
  parts(): Buffer[] {
    const text = this.received.toString('latin1');
    let offset = text.indexOf(HEAD_END);
    if (offset < 0) return [];
    offset += HEAD_END.length;
    const parts: Buffer[] = [];
    for (;;) {
      const headEnd = text.indexOf(HEAD_END, offset);
      if (headEnd < 0) return parts;
      const partHead = text.slice(offset, headEnd);
      assert.match(
        partHead,
        /^--wscamframe\r\nContent-Type: image\/jpeg\r\nContent-Length: \d+\r\n/,
        'a boundary right where the previous part ended',
      );
      const length = Number(/Content-Length: (\d+)/.exec(partHead)![1]);
      const bodyStart = headEnd + HEAD_END.length;
      if (this.received.length < bodyStart + length + 2) return parts;
      parts.push(this.received.subarray(bodyStart, bodyStart + length));
      assert.equal(text.slice(bodyStart + length, bodyStart + length + 2), '\r\n');
      offset = bodyStart + length + 2;
    }
  }
}

describe('/stream.mjpg on the raw socket', () => {
  let daemon: RunningDaemon;
  before(async () => {
    daemon = await startDaemon({ config: { video: { width: 320, height: 240, fps: 15 } } });
  });
  after(async () => {
    await daemon.stop();
  });

  test('the parts follow the head back to back, with no chunked coding, each a whole JPEG', async () => {
    const stream = new RawStream(daemon.port);
    try {
      await stream.until(() => stream.parts().length >= PARTS, `${PARTS} parts`);
      const head = stream.head();
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(head, /\r\nContent-Type: multipart\/x-mixed-replace; boundary=wscamframe\r\n/i);
      assert.match(head, /\r\nConnection: close(\r\n|$)/i);
      assert.doesNotMatch(head, /Transfer-Encoding/i);
      assert.doesNotMatch(head, /Content-Length/i);
      for (const part of stream.parts()) assert.ok(isWholeJpeg(part));
    } finally {
      stream.socket.destroy();
    }
  });

  test('HEAD answers the head alone and closes', async () => {
    const socket = connect({ host: '127.0.0.1', port: daemon.port });
    let text = '';
    socket.setEncoding('latin1').on('data', (data: string) => {
      text += data;
    });
    socket.write('HEAD /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(text.endsWith(HEAD_END), 'nothing after the head');
    assert.doesNotMatch(text, /Transfer-Encoding/i);
  });
});

describe('/stream.mjpg at shutdown', () => {
  test('SIGTERM ends the stream after whole parts and the daemon exits 0', { timeout: 60_000 }, async () => {
    const daemon = await startDaemon({ config: { video: { width: 320, height: 240, fps: 15 } } });
    const stream = new RawStream(daemon.port);
    try {
      await stream.until(() => stream.parts().length >= PARTS, `${PARTS} parts`);
      const exit = await daemon.stop();
      assert.equal(exit.code, 0);
      await stream.until(() => stream.closed, 'the stream closed');
      const parts = stream.parts();
      assert.ok(parts.length >= PARTS);
      for (const part of parts) assert.ok(isWholeJpeg(part));
    } finally {
      stream.socket.destroy();
      await daemon.stop();
    }
  });
});
