// Reads model and adapter files from URLs (fetch, with progress and cancellation) or, under
// Node, from paths and file: URLs.

import { AdapterkitError, ErrorCode } from './errors.js';

export const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';

/**
 * Joins a folder location and a file name. Folder locations may be URLs (with or without a
 * trailing slash) or, under Node, filesystem paths.
 * @param {string|URL} base
 * @param {string} name relative file name, such as "1_Pooling/config.json"
 * @returns {string}
 */
export function joinLocation(base, name) {
  const text = String(base);
  return text.endsWith('/') ? text + name : `${text}/${name}`;
}

function isUrlLike(location) {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !/^file:/i.test(location);
}

function abortError(location, signal) {
  return new AdapterkitError(
    ErrorCode.ABORTED,
    `download of ${location} was cancelled${signal?.reason ? `: ${signal.reason}` : ''}`,
    { cause: signal?.reason },
  );
}

/**
 * Reads one file completely.
 * @param {string|URL} location URL, or under Node a path or file: URL
 * @param {object} [options]
 * @param {boolean} [options.optional=false] return null instead of raising when the file is
 *   missing (HTTP 404 or no such file)
 * @param {AbortSignal} [options.signal] cancels the download; raises ABORTED
 * @param {(loaded: number, total: number|null) => void} [options.onProgress] called as bytes
 *   arrive; total is null when the server sends no Content-Length
 * @param {typeof fetch} [options.fetch] the fetch implementation (default: globalThis.fetch)
 * @returns {Promise<Uint8Array|null>}
 * @throws {AdapterkitError} NETWORK for an HTTP error or a failed connection, ABORTED when
 *   cancelled, INVALID_FILE when a required file is missing
 */
export async function readBytes(location, options = {}) {
  const { optional = false, signal, onProgress } = options;
  const text = String(location);
  if (signal?.aborted) throw abortError(text, signal);
  if (isNode && !isUrlLike(text)) return readLocalFile(text, optional, onProgress);

  const fetchImpl = options.fetch ?? globalThis.fetch;
  let response;
  try {
    response = await fetchImpl(text, { signal });
  } catch (error) {
    if (signal?.aborted) throw abortError(text, signal);
    throw new AdapterkitError(ErrorCode.NETWORK, `fetching ${text} failed: ${error?.message ?? error}`, {
      cause: error,
    });
  }
  if (response.status === 404 && optional) return null;
  if (!response.ok) {
    throw new AdapterkitError(
      response.status === 404 ? ErrorCode.INVALID_FILE : ErrorCode.NETWORK,
      `fetching ${text} failed: HTTP ${response.status} ${response.statusText}`.trim(),
    );
  }
  const header = response.headers.get('Content-Length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.length, total);
    return bytes;
  }

  // Stream into one buffer so that progress can be reported as bytes arrive.
  const reader = response.body.getReader();
  let buffer = new Uint8Array(total ?? 1 << 16);
  let loaded = 0;
  onProgress?.(0, total);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (loaded + value.length > buffer.length) {
        const grown = new Uint8Array(Math.max(buffer.length * 2, loaded + value.length));
        grown.set(buffer.subarray(0, loaded));
        buffer = grown;
      }
      buffer.set(value, loaded);
      loaded += value.length;
      onProgress?.(loaded, total);
    }
  } catch (error) {
    if (signal?.aborted) throw abortError(text, signal);
    throw new AdapterkitError(ErrorCode.NETWORK, `download of ${text} failed after ${loaded} bytes: ${error?.message ?? error}`, {
      cause: error,
    });
  }
  if (total !== null && loaded !== total) {
    throw new AdapterkitError(
      ErrorCode.NETWORK,
      `download of ${text} is truncated: received ${loaded} of ${total} bytes`,
    );
  }
  return loaded === buffer.length ? buffer : buffer.slice(0, loaded);
}

async function readLocalFile(location, optional, onProgress) {
  const [{ readFile }, { fileURLToPath }] = await Promise.all([
    import(/* @vite-ignore */ 'node:fs/promises'),
    import(/* @vite-ignore */ 'node:url'),
  ]);
  const path = /^file:/i.test(location) ? fileURLToPath(location) : location;
  try {
    const bytes = new Uint8Array(await readFile(path));
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  } catch (error) {
    if (error?.code === 'ENOENT') {
      if (optional) return null;
      throw new AdapterkitError(ErrorCode.INVALID_FILE, `${path}: file not found`, { cause: error });
    }
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${path}: reading failed: ${error?.message}`, {
      cause: error,
    });
  }
}

/** Decodes UTF-8 bytes, raising INVALID_FILE with the file name on invalid UTF-8. */
export function decodeText(bytes, fileName) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: not valid UTF-8 text`, { cause: error });
  }
}

/** Parses JSON bytes, raising INVALID_FILE with the file name and the parser's message. */
export function parseJsonFile(bytes, fileName) {
  const text = decodeText(bytes, fileName);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdapterkitError(ErrorCode.INVALID_FILE, `${fileName}: invalid JSON: ${error.message}`, {
      cause: error,
    });
  }
}
