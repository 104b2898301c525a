// Serves the repository root on 127.0.0.1 so the demo page can reach web/, dist/, the base model
// in build/models/ and node_modules/ (papaparse, uPlot), and prints the page's address.
//
// Usage: node demo/serve.mjs [--port N]     (or PORT=N; default 8080, a free port if busy)
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { startStaticServer } from '../tools/static_server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function requestedPort() {
  const at = process.argv.indexOf('--port');
  const text = at > 0 ? process.argv[at + 1] : (process.env.PORT ?? '8080');
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`demo/serve.mjs: port must be an integer from 0 to 65535, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return port;
}

// Without these files the page can only report "not found", so name the command that makes them.
const needed = [
  ['dist/adapterkit.wasm', 'bash tools/build.sh'],
  ['build/models/all-MiniLM-L6-v2/f16/model.safetensors', 'bash tools/setup_model.sh'],
  ['node_modules/papaparse/papaparse.min.js', 'npm install'],
  ['node_modules/uplot/dist/uPlot.esm.js', 'npm install'],
];
for (const [path, command] of needed) {
  if (!existsSync(`${root}${path}`)) process.stderr.write(`warning: ${path} is missing; run '${command}' first\n`);
}

const port = requestedPort();
let server;
try {
  server = await startStaticServer({ root, port });
} catch (error) {
  if (error?.code !== 'EADDRINUSE') throw error;
  server = await startStaticServer({ root, port: 0 });
  process.stdout.write(`port ${port} is in use; using ${new URL(server.url).port} instead\n`);
}
process.stdout.write(`adapterkit demo: ${server.url}/demo/\n(serving ${root} on 127.0.0.1 only; Ctrl+C stops it)\n`);

const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
