/**
 * The command line of every subcommand: util.parseArgs, strict, with its
 * errors put in one line of our own words, and negative numbers taken as
 * values (`--port -1` is a port that is out of range, not a missing value).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';

type Options = NonNullable<ParseArgsConfig['options']>;

/** What the command line gave: each option's value (a flag's true), and the positionals. */
export interface CommandLine<T extends Options> {
  values: { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

/** A value that is a negative number ('-1', '-0.5'), which parseArgs would take for an option. */
const NEGATIVE = /^-(\d|\.\d)/;

/**
 * Join each string option followed by a negative number into one argument
 * (`--port -1` -> `--port=-1`, `-p -1` -> `-p-1`), as parseArgs takes a value
 * starting with '-' only in that form. Everything after `--` is left alone.
 */
function joinNegativeValues(args: readonly string[], options: Options): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short !== undefined) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    if (takesValue.has(arg) && next !== undefined && NEGATIVE.test(next)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** util.parseArgs' errors, in one line of our own words, naming the option as it was typed. */
function parseArgsError(err: unknown, args: readonly string[]): Error {
  const e = err as { code?: string; message?: string };
  let option = /'(-[^' ,]*)/.exec(e.message ?? '')?.[1];
  // "Option '-p, --port <value>' argument missing": the option was the last argument.
  if (/argument missing/.test(e.message ?? '') && args.length > 0) option = args[args.length - 1];
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

/**
 * Parse a subcommand's arguments (strict: unknown options are errors).
 * @throws UsageError for an unknown option, a missing value, a value given to a
 *   flag, or a positional argument where none is allowed
 */
export function parseCommandLine<T extends Options>(args: readonly string[], options: T, allowPositionals: boolean): CommandLine<T> {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals }) as CommandLine<T>;
  } catch (err) {
    throw parseArgsError(err, args);
  }
}
