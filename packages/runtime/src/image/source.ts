// Turns an ImageSource into encoded bytes, with size limits, for both the local and the HTTP model.
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RuntimeError } from '../errors.js';
import type { ImageSource } from '../model.js';

/** Bounds on an image before it is decoded: encoded bytes, decoded pixels, and whether URLs may be fetched. */
export interface ImageLimits {
  /** Largest encoded image accepted, in bytes (default 64 MiB). */
  maxBytes?: number;
  /** Largest decoded image accepted, width * height (default 40 megapixels): guards against decompression bombs. */
  maxPixels?: number;
  /** Allow `http(s):` image URLs to be fetched (default false: a local model never touches the network). */
  allowRemote?: boolean;
}

export const DEFAULT_MAX_IMAGE_BYTES = 64 * 1024 * 1024;
export const DEFAULT_MAX_IMAGE_PIXELS = 40_000_000;

/** A short description of where an image came from, for error messages. */
export function describeSource(source: ImageSource): string {
  if ('path' in source) return `image file ${source.path}`;
  if ('bytes' in source) return `image bytes (${source.bytes.byteLength} B)`;
  const url = source.url;
  return `image URL ${url.length > 60 ? `${url.slice(0, 60)}...` : url}`;
}

function checkSize(n: number, max: number, source: ImageSource): void {
  if (n > max) {
    throw new RuntimeError('IMAGE', `${describeSource(source)} is ${n} bytes, over the limit of ${max} bytes`);
  }
}

/** Decode a `data:` URL; returns its media type and bytes. */
export function parseDataUrl(url: string): { mediaType: string; bytes: Uint8Array } {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) {
    throw new RuntimeError('IMAGE', `not a data: URL: ${url.slice(0, 40)}`);
  }
  const meta = url.slice(5, comma);
  const payload = url.slice(comma + 1);
  const isBase64 = meta.endsWith(';base64');
  const mediaType = (isBase64 ? meta.slice(0, -7) : meta) || 'text/plain';
  const bytes = isBase64 ? Buffer.from(payload, 'base64') : Buffer.from(decodeURIComponent(payload), 'latin1');
  return { mediaType, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Encoded bytes of an image source. */
export async function readImageSource(source: ImageSource, limits: ImageLimits = {}): Promise<Uint8Array> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES;
  if ('bytes' in source) {
    if (!(source.bytes instanceof Uint8Array)) throw new RuntimeError('BAD_INPUT', 'image.bytes must be a Uint8Array');
    checkSize(source.bytes.byteLength, maxBytes, source);
    return source.bytes;
  }
  if ('path' in source) return readPath(source.path, maxBytes, source);
  if ('url' in source && typeof source.url === 'string') {
    const url = source.url;
    if (url.startsWith('data:')) {
      const { bytes } = parseDataUrl(url);
      checkSize(bytes.byteLength, maxBytes, source);
      return bytes;
    }
    if (url.startsWith('file:')) return readPath(fileURLToPath(url), maxBytes, source);
    if (/^https?:/i.test(url)) {
      if (!limits.allowRemote) {
        throw new RuntimeError(
          'IMAGE',
          `${describeSource(source)}: remote image URLs are off for this model (pass allowRemoteImages: true)`,
        );
      }
      let response: Response;
      try {
        response = await fetch(url);
      } catch (cause) {
        throw new RuntimeError('IMAGE', `${describeSource(source)} cannot be fetched: ${(cause as Error).message}`, {
          cause,
        });
      }
      if (!response.ok) throw new RuntimeError('IMAGE', `${describeSource(source)}: HTTP ${response.status}`);
      const length = Number(response.headers.get('content-length') ?? 0);
      checkSize(length, maxBytes, source);
      const bytes = new Uint8Array(await response.arrayBuffer());
      checkSize(bytes.byteLength, maxBytes, source);
      return bytes;
    }
    throw new RuntimeError('IMAGE', `${describeSource(source)}: unsupported URL scheme (data:, file:, http(s): only)`);
  }
  throw new RuntimeError('BAD_INPUT', `an image must be { path }, { bytes } or { url }, got ${JSON.stringify(source)}`);
}

async function readPath(path: string, maxBytes: number, source: ImageSource): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    checkSize(s.size, maxBytes, source);
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    if (cause instanceof RuntimeError) throw cause;
    throw new RuntimeError('IMAGE', `cannot read ${describeSource(source)}: ${(cause as Error).message}`, { cause });
  }
}
