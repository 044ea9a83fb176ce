import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticLookup = { ok: true; file: string; contentType: string; size: number } | { ok: false; status: 400 | 404 };

/**
 * Maps a URL path onto a file under `root`; anything that decodes to a path outside root,
 * contains a NUL, or is not a regular file is refused.
 */
export async function findStaticFile(root: string, urlPath: string): Promise<StaticLookup> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '..')) return { ok: false, status: 404 };
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const file = resolve(root, `.${relative}`);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return { ok: false, status: 404 };
  const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!contentType) return { ok: false, status: 404 };
  try {
    const info = await stat(file);
    if (!info.isFile()) return { ok: false, status: 404 };
    return { ok: true, file, contentType, size: info.size };
  } catch {
    return { ok: false, status: 404 };
  }
}

/** Streams a found file; HEAD gets the headers only. */
export function sendStaticFile(
  req: IncomingMessage,
  res: ServerResponse,
  found: { file: string; contentType: string; size: number },
  headers: Record<string, string>,
): void {
  res.writeHead(200, {
    ...headers,
    'Content-Type': found.contentType,
    'Content-Length': String(found.size),
    'Cache-Control': found.file.endsWith('.html') ? 'no-cache' : 'public, max-age=300',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(found.file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
