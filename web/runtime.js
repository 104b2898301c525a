// Loads the compiled WebAssembly module once per page, worker or Node process.

import { AdapterkitError, ErrorCode } from './errors.js';

// (module (func (result v128) i32.const 0 i8x16.splat)): validates only where SIMD128 exists.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253,
  15, 11,
]);

const isNode =
  typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';

let runtimePromise = null;

/**
 * Reports what this environment supports, before anything is downloaded.
 * @returns {{ webAssembly: boolean, simd: boolean, threads: boolean }}
 */
export function detectFeatures() {
  const webAssembly = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const simd = webAssembly && WebAssembly.validate(SIMD_PROBE);
  const threads =
    typeof SharedArrayBuffer === 'function' && globalThis.crossOriginIsolated === true;
  return { webAssembly, simd, threads };
}

async function readWasmFromPackage() {
  const [{ readFile }, { fileURLToPath }] = await Promise.all([
    import(/* @vite-ignore */ 'node:fs/promises'),
    import(/* @vite-ignore */ 'node:url'),
  ]);
  const path = fileURLToPath(new URL('../dist/adapterkit.wasm', import.meta.url));
  try {
    return await readFile(path);
  } catch (error) {
    throw new AdapterkitError(
      ErrorCode.UNSUPPORTED_ENVIRONMENT,
      `adapterkit.wasm not found at ${path}: run 'npm run build' in the adapterkit checkout, ` +
        `or pass { wasmBinary } to loadRuntime()`,
      { cause: error },
    );
  }
}

/**
 * Loads and instantiates the adapterkit WebAssembly module. Later calls return the same module,
 * and options passed to them are ignored.
 *
 * @param {object} [options]
 * @param {string|URL} [options.wasmUrl] where to fetch adapterkit.wasm. Default: next to
 *   dist/adapterkit.mjs, resolved with import.meta.url (works with bundlers such as Vite).
 * @param {ArrayBuffer|Uint8Array} [options.wasmBinary] the .wasm bytes, when the caller already
 *   has them. Default under Node: read from the installed package's dist/ folder.
 * @returns {Promise<object>} the Embind module
 * @throws {AdapterkitError} UNSUPPORTED_ENVIRONMENT without WebAssembly SIMD, or when the .wasm
 *   cannot be found.
 */
export function loadRuntime(options = {}) {
  if (runtimePromise === null) {
    runtimePromise = instantiate(options).catch((error) => {
      runtimePromise = null; // a failed load may be retried, for example with another wasmUrl
      throw error;
    });
  }
  return runtimePromise;
}

async function instantiate({ wasmUrl, wasmBinary } = {}) {
  const features = detectFeatures();
  if (!features.webAssembly || !features.simd) {
    throw new AdapterkitError(
      ErrorCode.UNSUPPORTED_ENVIRONMENT,
      `adapterkit needs WebAssembly with SIMD128 (Chrome 91+, Firefox 89+, Safari 16.4+, ` +
        `Node 16.4+); this environment has webAssembly=${features.webAssembly}, ` +
        `simd=${features.simd}`,
    );
  }
  const { default: createAdapterkitModule } = await import('../dist/adapterkit.mjs');
  const moduleOptions = {};
  if (wasmBinary) {
    moduleOptions.wasmBinary = wasmBinary;
  } else if (wasmUrl) {
    const href = String(wasmUrl);
    moduleOptions.locateFile = (path) => (path.endsWith('.wasm') ? href : path);
  } else if (isNode) {
    moduleOptions.wasmBinary = await readWasmFromPackage();
  }
  // Emscripten's own messages go nowhere by default: library code does not print.
  moduleOptions.print = () => {};
  moduleOptions.printErr = () => {};
  try {
    return await createAdapterkitModule(moduleOptions);
  } catch (error) {
    throw new AdapterkitError(
      ErrorCode.UNSUPPORTED_ENVIRONMENT,
      `instantiating adapterkit.wasm failed (${error?.message ?? error}); if the .wasm is served ` +
        `from another path, pass { wasmUrl } to loadRuntime()`,
      { cause: error },
    );
  }
}
