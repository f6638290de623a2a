// Files of a folder served read-only over HTTP (Studio's /reports/): only regular files, no hidden path segment, and
// only when the file's real path (symlinks resolved) is inside the folder's real path. No directory listings, no
// index files; anything else is a 404 that says nothing about what exists.
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
};

/** True when `path` is `root` itself or below it (`root` and `path` absolute and normalised). */
export function isInsideFolder(root: string, path: string): boolean {
  const rel = relative(root, path);
  return !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}

/**
 * The path segments of a URL path below a mount (`/run-1/report.html` -> `['run-1', 'report.html']`), or undefined
 * when any segment is empty, hidden (starts with '.', which also covers `.` and `..`), not valid percent-encoding, or
 * holds a slash, a backslash or NUL once decoded.
 */
export function safeSegments(urlPath: string): string[] | undefined {
  const raw = urlPath.replace(/^\/+/, '');
  if (raw === '') return undefined;
  const segments: string[] = [];
  for (const part of raw.split('/')) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      return undefined;
    }
    if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) return undefined;
    segments.push(name);
  }
  return segments;
}

/**
 * A GET handler for the regular, non-hidden files under `dir` whose real path stays inside `dir`'s real path. Calls
 * `notFound` for everything else (missing files, directories, dotfiles, symlinks leading out, bad encodings).
 */
export function folderFiles(
  dir: string,
): (req: IncomingMessage, res: ServerResponse, notFound: () => void) => Promise<void> {
  return async (req, res, notFound) => {
    const segments = safeSegments((req.url ?? '/').split('?')[0] ?? '/');
    if (!segments) return notFound();
    let root: string;
    let real: string;
    try {
      root = await realpath(dir);
      real = await realpath(join(root, ...segments));
    } catch {
      return notFound();
    }
    // Inside the folder after symlinks, and no hidden segment on the way there (a link to .env is refused too).
    if (
      !isInsideFolder(root, real) ||
      relative(root, real)
        .split(sep)
        .some((s) => s.startsWith('.'))
    )
      return notFound();
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(real, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch {
      return notFound();
    }
    try {
      // fstat the opened file: a swap between the checks above and the open cannot serve a directory or a device.
      const info = await handle.stat();
      if (!info.isFile()) {
        await handle.close();
        return notFound();
      }
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      const stream = handle.createReadStream({ autoClose: false });
      await new Promise<void>((resolve) => {
        if (res.destroyed) return resolve();
        stream.on('error', () => {
          res.destroy();
          resolve();
        });
        res.on('close', () => {
          stream.destroy();
          resolve();
        });
        stream.pipe(res);
      });
    } finally {
      await handle.close().catch(() => {});
    }
  };
}
