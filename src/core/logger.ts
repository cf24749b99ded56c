/**
 * Where the core writes progress. The action glue adapts `@actions/core` (annotations, groups);
 * the CLI adapts stderr. The core never writes to the console itself.
 */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  /** Surfaces as a workflow annotation in the action. */
  warning(message: string): void
  error(message: string): void
  /** Runs `fn` inside a collapsible log group (a plain heading in the CLI). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
}

/** Discards everything; for callers (and tests) that do not want progress output. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warning: () => undefined,
  error: () => undefined,
  group: (_name, fn) => fn()
}

export interface StreamLoggerOptions {
  write: (line: string) => void
  verbose?: boolean
}

/** Plain-text logger for terminals: one line per message, warnings and errors prefixed. */
export function createStreamLogger({ write, verbose = false }: StreamLoggerOptions): Logger {
  return {
    debug: (m) => {
      if (verbose) write(`debug: ${m}`)
    },
    info: (m) => write(m),
    warning: (m) => write(`warning: ${m}`),
    error: (m) => write(`error: ${m}`),
    group: async (name, fn) => {
      write(`== ${name}`)
      return fn()
    }
  }
}
