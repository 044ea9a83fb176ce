import type { IncomingMessage } from 'node:http';

/** Largest request body the daemon reads (login form). */
const MAX_JSON_BODY_BYTES = 4096;

export type JsonBodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; message: string };

/** Reads a small JSON body; anything too big, not JSON, or of another content type is an error value. */
export function readJsonBody(req: IncomingMessage): Promise<JsonBodyResult> {
  return new Promise((resolve) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      resolve({ ok: false, status: 415, message: 'expected Content-Type: application/json' });
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_JSON_BODY_BYTES) {
      req.resume();
      resolve({ ok: false, status: 413, message: 'request body too large' });
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (result: JsonBodyResult) => {
      if (finished) return;
      finished = true;
      resolve(result);
    };
    req.on('data', (part: Buffer) => {
      size += part.length;
      if (size > MAX_JSON_BODY_BYTES) {
        finish({ ok: false, status: 413, message: 'request body too large' });
        req.destroy();
        return;
      }
      parts.push(part);
    });
    req.on('error', () => finish({ ok: false, status: 400, message: 'request body could not be read' }));
    req.on('close', () => finish({ ok: false, status: 400, message: 'request body incomplete' }));
    req.on('end', () => {
      try {
        finish({ ok: true, value: JSON.parse(Buffer.concat(parts).toString('utf8')) });
      } catch {
        finish({ ok: false, status: 400, message: 'body is not valid JSON' });
      }
    });
  });
}
