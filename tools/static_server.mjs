// A small static file server bound to 127.0.0.1, used by the demo and the browser tests.
// It serves .wasm as application/wasm (needed for streaming compilation), supports HEAD, and
// records every request so tests can count downloads.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

/**
 * Starts serving `root` on 127.0.0.1.
 * @param {object} options
 * @param {string} options.root folder to serve
 * @param {number} [options.port] 0 (default) picks a free port
 * @param {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => boolean} [options.intercept]
 *   called first for every request; return true when it has sent the response itself
 * @returns {Promise<{ url: string, requests: {method: string, path: string}[], close: () => Promise<void> }>}
 */
export async function startStaticServer({ root, port = 0, intercept } = {}) {
  const rootPath = resolve(root);
  const requests = [];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, 'http://127.0.0.1').pathname);
    requests.push({ method: request.method, path });
    if (intercept && intercept(request, response)) return;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const filePath = normalize(join(rootPath, path.endsWith('/') ? `${path}index.html` : path));
    if (filePath !== rootPath && !filePath.startsWith(rootPath + sep)) {
      response.writeHead(403).end('outside the served folder');
      return;
    }
    let info;
    try {
      info = await stat(filePath);
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    if (!info.isFile()) {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not a file: ${path}`);
      return;
    }
    response.writeHead(200, {
      'Content-Type': CONTENT_TYPES[extname(filePath)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(filePath).pipe(response);
  });
  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, '127.0.0.1', resolveListen);
  });
  const { port: boundPort } = server.address();
  return {
    url: `http://127.0.0.1:${boundPort}`,
    requests,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections?.();
        server.close(() => resolveClose());
      }),
  };
}
