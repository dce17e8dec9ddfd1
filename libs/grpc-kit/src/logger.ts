/** The logging the kit needs: pino's call shape, so a pino logger fits without an adapter. */
export interface KitLogger {
  error(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  info(object: object, message?: string): void;
  debug(object: object, message?: string): void;
}

/** A logger that drops everything; the default when none is given. */
export const silentLogger: KitLogger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
};
