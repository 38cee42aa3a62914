// k6 provides `console` in every context (console.log, .info, .warn, .error,
// .debug; it writes through k6's logger), but @types/k6 does not declare it,
// and the DOM or Node typings that do would bring in APIs k6 does not have.
interface K6Console {
  log(...data: unknown[]): void;
  info(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
  debug(...data: unknown[]): void;
}

declare const console: K6Console;
