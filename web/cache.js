// Downloads that are stored once and checked every time they are used.
//
// A cached entry is a Response whose headers record the byte length and SHA-256 computed when
// the complete download was verified. On every read both are checked again, so a truncated or
// altered entry is deleted and downloaded anew instead of being used. Entries are written only
// after a download has completed and passed its checks, so a failed or cancelled download never
// leaves anything behind.

import { AdapterkitError, ErrorCode } from './errors.js';
import { readBytes } from './files.js';
import { log } from './log.js';
import { parseSha256, sha256Hex } from './sha256.js';

export const DEFAULT_CACHE_NAME = 'adapterkit-v1';
const SHA_HEADER = 'X-Adapterkit-Sha256';
const LENGTH_HEADER = 'X-Adapterkit-Length';

/**
 * Resolves the `cache` option of loadBaseModel and loadAdapter.
 * @param {boolean|string|{match: Function, put: Function, delete: Function}|undefined} option
 *   undefined or true: the browser's Cache Storage ("adapterkit-v1") when it exists, else none;
 *   a string: the Cache Storage cache of that name; false: no caching; an object with
 *   match(url) → Response|undefined, put(url, Response) and delete(url): a cache you supply.
 * @returns {Promise<object|null>}
 */
export async function openCache(option) {
  if (option === false || option === null) return null;
  if (typeof option === 'object') {
    for (const method of ['match', 'put', 'delete']) {
      if (typeof option[method] !== 'function') {
        throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, `cache option lacks a ${method}() method; pass a Cache (caches.open(...)) or an object with match, put and delete`);
      }
    }
    return option;
  }
  if (typeof globalThis.caches?.open !== 'function') return null;
  try {
    return await globalThis.caches.open(typeof option === 'string' ? option : DEFAULT_CACHE_NAME);
  } catch (error) {
    log.warn(`Cache Storage is not available (${error?.message ?? error}); files will be downloaded on every load`);
    return null;
  }
}

async function readCached(cache, url, expectedSha) {
  let response;
  try {
    response = await cache.match(url);
  } catch (error) {
    log.warn(`reading ${url} from the cache failed (${error?.message ?? error}); downloading it`);
    return null;
  }
  if (!response) return null;
  const storedSha = response.headers.get(SHA_HEADER);
  const storedLength = Number(response.headers.get(LENGTH_HEADER));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actualSha = await sha256Hex(bytes);
  const problem =
    bytes.length !== storedLength
      ? `has ${bytes.length} bytes, ${storedLength} were stored`
      : actualSha !== storedSha
        ? `has sha256 ${actualSha}, ${storedSha} was stored`
        : expectedSha && actualSha !== expectedSha
          ? `has sha256 ${actualSha}, the caller expects ${expectedSha}`
          : null;
  if (problem) {
    log.warn(`cached copy of ${url} ${problem}; deleting it and downloading again`);
    await cache.delete(url).catch(() => {});
    return null;
  }
  return bytes;
}

/**
 * Returns the bytes of `url`, from the cache when a verified copy is there, else from the
 * network (then stored in the cache).
 * @param {string} url
 * @param {object} [options]
 * @param {object|null} [options.cache] from openCache()
 * @param {string} [options.integrity] expected SHA-256 (hex, or "sha256-<base64>"); a download
 *   or cached copy with another digest raises INTEGRITY and is not kept
 * @param {AbortSignal} [options.signal]
 * @param {(loaded: number, total: number|null, fromCache: boolean) => void} [options.onProgress]
 * @param {boolean} [options.optional=false] return null when the server responds with 404
 * @param {typeof fetch} [options.fetch]
 * @returns {Promise<{bytes: Uint8Array, fromCache: boolean, sha256: string} | null>}
 */
export async function fetchVerified(url, options = {}) {
  const { cache = null, signal, onProgress, optional = false } = options;
  let expectedSha = null;
  if (options.integrity !== undefined && options.integrity !== null) {
    try {
      expectedSha = parseSha256(options.integrity);
    } catch (error) {
      throw new AdapterkitError(ErrorCode.INVALID_ARGUMENT, error.message);
    }
  }
  if (cache) {
    const cached = await readCached(cache, url, expectedSha);
    if (cached) {
      onProgress?.(cached.length, cached.length, true);
      log.info(`${url}: ${cached.length} bytes from the cache`);
      return { bytes: cached, fromCache: true, sha256: await sha256Hex(cached) };
    }
  }
  const bytes = await readBytes(url, { signal, onProgress, optional, fetch: options.fetch });
  if (bytes === null) return null;
  const sha256 = await sha256Hex(bytes);
  if (expectedSha && sha256 !== expectedSha) {
    throw new AdapterkitError(
      ErrorCode.INTEGRITY,
      `${url} has sha256 ${sha256}, expected ${expectedSha}; the file was altered or is not the one you meant. It was not used and not cached.`,
    );
  }
  if (cache && typeof Response === 'function') {
    const headers = { 'Content-Type': 'application/octet-stream', [SHA_HEADER]: sha256, [LENGTH_HEADER]: String(bytes.length) };
    try {
      await cache.put(url, new Response(bytes, { headers }));
    } catch (error) {
      const reason = error?.name === 'QuotaExceededError' ? 'the storage quota is exceeded' : (error?.message ?? String(error));
      log.warn(`could not cache ${url} (${bytes.length} bytes): ${reason}; it runs from memory and will be downloaded again next time`);
      options.onCacheFailure?.(url, error);
    }
  }
  log.info(`${url}: ${bytes.length} bytes downloaded`);
  return { bytes, fromCache: false, sha256 };
}

/**
 * Asks the browser to keep this origin's storage (Cache Storage included) under storage
 * pressure. Returns whether persistence is granted; false where the API is missing.
 */
export async function requestPersistentStorage() {
  if (typeof globalThis.navigator?.storage?.persist !== 'function') return false;
  try {
    return await globalThis.navigator.storage.persist();
  } catch {
    return false;
  }
}
