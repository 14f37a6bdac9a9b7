/** Errors the CLI reports as one line on stderr, with an exit code. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A bad command line: exit code 2, as most Unix tools. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** util.parseArgs' errors, in one line of our own words. */
export function parseArgsError(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  const option = /'(-[^' ]*)/.exec(e.message ?? '')?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`unknown option '${option ?? e.message}'`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(e.message ?? '')) return new UsageError(`option '${option}' takes no value`);
      return new UsageError(`option '${option}' needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`unexpected argument '${/'([^']*)'/.exec(e.message ?? '')?.[1] ?? ''}'`);
    default:
      return err as Error;
  }
}
