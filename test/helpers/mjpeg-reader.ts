import assert from 'node:assert/strict';

/** Reads the first `count` parts of /stream.mjpg (bounded in time) and returns their bodies, each cut to its Content-Length. */
export async function readMjpegParts(baseUrl: string, count: number, timeoutMs = 20_000): Promise<Buffer[]> {
  const controller = new AbortController();
  const stream = await fetch(`${baseUrl}/stream.mjpg`, { signal: controller.signal });
  assert.match(stream.headers.get('content-type') ?? '', /^multipart\/x-mixed-replace; boundary=wscamframe/);
  const reader = stream.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let received = Buffer.alloc(0);
  const deadline = Date.now() + timeoutMs;
  while ((received.toString('latin1').match(/--wscamframe\r\n/g)?.length ?? 0) <= count && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    received = Buffer.concat([received, value]);
  }
  controller.abort();
  return received
    .toString('latin1')
    .split('--wscamframe\r\n')
    .slice(1, count + 1)
    .map((part) => {
      const head = part.slice(0, part.indexOf('\r\n\r\n'));
      const body = Buffer.from(part.slice(part.indexOf('\r\n\r\n') + 4), 'latin1');
      return body.subarray(0, Number(/Content-Length: (\d+)/.exec(head)?.[1]));
    });
}
