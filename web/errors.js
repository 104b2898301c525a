// Errors raised by adapterkit's JavaScript API.

/**
 * Error codes. The first seven mirror the C++ StatusCode enum in src/status.h (same names, same
 * order); wasm_tests/error_codes.test.mjs keeps the two lists equal. The rest are raised by the
 * JavaScript layer only.
 * @readonly
 * @enum {string}
 */
export const ErrorCode = Object.freeze({
  OK: 'OK',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_FILE: 'INVALID_FILE',
  INCOMPATIBLE: 'INCOMPATIBLE',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
  BACKEND_FAILURE: 'BACKEND_FAILURE',
  INVALID_STATE: 'INVALID_STATE',
  UNSUPPORTED_ENVIRONMENT: 'UNSUPPORTED_ENVIRONMENT',
  NETWORK: 'NETWORK',
  INTEGRITY: 'INTEGRITY',
  ABORTED: 'ABORTED',
});

/** Error with a stable `code` from ErrorCode and a message that names the value involved. */
export class AdapterkitError extends Error {
  /**
   * @param {string} code one of ErrorCode
   * @param {string} message what failed, the value seen, the value expected, what to do
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'AdapterkitError';
    this.code = code;
  }
}

/**
 * Converts the error object returned by a wasm binding into an AdapterkitError, or returns the
 * value unchanged when it is not an error.
 * @template T
 * @param {T} result value returned by a function of the compiled module
 * @param {string} [context] prefix naming the operation, such as the file being loaded
 * @returns {T}
 */
export function unwrapWasmResult(result, context) {
  if (result !== null && typeof result === 'object' && result.adapterkitError === true) {
    const message = context ? `${context}: ${result.message}` : result.message;
    throw new AdapterkitError(result.code, message);
  }
  return result;
}
