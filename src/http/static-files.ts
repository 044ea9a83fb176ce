import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

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

/** The viewer is a few KiB; anything near this is not part of it and is left on disk. */
const MAX_STATIC_FILE_BYTES = 4 * 1024 * 1024;

export interface StaticFile {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

export type StaticLookup = { ok: true; file: StaticFile } | { ok: false; status: 400 | 404 };

/**
 * The viewer's files, read once at start and answered from memory, so a request is answered in the
 * same tick it is parsed (no stat or read stream that lets pipelined requests pile up).
 */
export class StaticFiles {
  private readonly byPath = new Map<string, StaticFile>();

  /** Reads every file of a known type under root; a missing root gives an empty set. */
  constructor(root: string) {
    for (const file of listFiles(root)) {
      const contentType = CONTENT_TYPES[extname(file).toLowerCase()];
      if (!contentType) continue;
      const body = readFileSync(file);
      if (body.length > MAX_STATIC_FILE_BYTES) continue;
      const urlPath = `/${relative(root, file).split(sep).join('/')}`;
      this.byPath.set(urlPath, { body, contentType, cacheControl: urlPath.endsWith('.html') ? 'no-cache' : 'public, max-age=300' });
    }
  }

  get size(): number {
    return this.byPath.size;
  }

  /** Maps a URL path onto a loaded file; a NUL, a backslash or a bad %-escape is 400, `..` and the unknown 404. */
  find(urlPath: string): StaticLookup {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return { ok: false, status: 400 };
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400 };
    if (decoded.split('/').some((segment) => segment === '..')) return { ok: false, status: 404 };
    const file = this.byPath.get(decoded.endsWith('/') ? `${decoded}index.html` : decoded);
    return file ? { ok: true, file } : { ok: false, status: 404 };
  }
}

/** Answers a found file from memory; HEAD gets the headers only. */
export function sendStaticFile(req: IncomingMessage, res: ServerResponse, file: StaticFile, headers: Record<string, string>): void {
  res.writeHead(200, {
    ...headers,
    'Content-Type': file.contentType,
    'Content-Length': String(file.body.length),
    'Cache-Control': file.cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** Regular files under dir, depth first; symlinks are not followed, a missing dir is empty. */
function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listFiles(path);
    return entry.isFile() ? [path] : [];
  });
}
