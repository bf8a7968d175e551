/**
 * The logging surface the modules use: the part of pino (Fastify's logger) they need, so that
 * modules do not depend on Fastify and tests can pass a recording logger.
 */
export interface LogFn {
  (message: string): void;
  (fields: object, message?: string): void;
}

export interface Logger {
  readonly error: LogFn;
  readonly warn: LogFn;
  readonly info: LogFn;
  readonly debug: LogFn;
}

/** A logger that drops everything: for tests and for code paths that must not log. */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
