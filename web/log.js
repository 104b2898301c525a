// Library logging, routed to a handler that the application can replace.

const LEVELS = ['debug', 'info', 'warn', 'error'];

// By default warnings and errors go to the console and info/debug messages are dropped.
function defaultHandler(level, message) {
  if (level === 'warn' || level === 'error') console.warn(`adapterkit: ${message}`);
}

let handler = defaultHandler;

/**
 * Replaces the log handler. Pass null to restore the default (warnings to console.warn).
 * @param {((level: 'debug'|'info'|'warn'|'error', message: string) => void) | null} fn
 */
export function setLogHandler(fn) {
  if (fn !== null && typeof fn !== 'function') {
    throw new TypeError(`setLogHandler expects a function or null, got ${typeof fn}`);
  }
  handler = fn ?? defaultHandler;
}

function emit(level, message) {
  try {
    handler(level, message);
  } catch {
    // A failing log handler must not break inference.
  }
}

export const log = Object.fromEntries(LEVELS.map((level) => [level, (message) => emit(level, message)]));
