import type { Bindings, Logger } from "pino";

type Method = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/** The logging surface handlers get: a child of the runtime's logger bound to their request. */
export interface RequestLogger {
  fatal(object: object | string, message?: string): void;
  error(object: object | string, message?: string): void;
  warn(object: object | string, message?: string): void;
  info(object: object | string, message?: string): void;
  debug(object: object | string, message?: string): void;
  trace(object: object | string, message?: string): void;
}

/**
 * A request's logger that becomes a real pino child only when a line at an enabled level is
 * written: building a child with redaction for every request would cost more than serving a cached
 * read, and most requests never log.
 */
export class LazyChildLogger implements RequestLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  #write(method: Method, object: object | string, message?: string): void {
    if (!this.parent.isLevelEnabled(method)) return;
    this.#child ??= this.parent.child(this.bindings);
    if (typeof object === "string") this.#child[method](object);
    else this.#child[method](object, message);
  }

  fatal(object: object | string, message?: string): void {
    this.#write("fatal", object, message);
  }
  error(object: object | string, message?: string): void {
    this.#write("error", object, message);
  }
  warn(object: object | string, message?: string): void {
    this.#write("warn", object, message);
  }
  info(object: object | string, message?: string): void {
    this.#write("info", object, message);
  }
  debug(object: object | string, message?: string): void {
    this.#write("debug", object, message);
  }
  trace(object: object | string, message?: string): void {
    this.#write("trace", object, message);
  }
}
