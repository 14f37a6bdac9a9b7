/**
 * The command line every part of `npm run bench` takes (bench/all.ts's PARTS):
 * one parser, so that each part script follows the registry's contract alike:
 *
 * - `--help` / `-h`: the usage on stdout, exit 0, nothing run;
 * - an unknown option, a missing value, a bad value: one line and the usage on
 *   stderr, exit 2, before anything runs;
 * - `--quick` and every option that shortens or narrows a run make it partial;
 * - where results go: `--out DIR` if given, else bench/ (the committed results)
 *   after a full run and bench/.build/<part>/ after a partial one.
 */
import path from 'node:path';

/** Where the committed results live. */
export const BENCH_DIR = __dirname;

/** An option a part takes besides `--quick`, `--out` and `--help`. */
export interface OptionSpec {
  /** Takes a value (`--reps 3`); default false: a flag. */
  value?: boolean;
  /** Using it shortens or narrows the run, so it is not the committed one (default true). */
  narrows?: boolean;
}

export interface CommandLine {
  /** `--quick` was given. */
  quick: boolean;
  /** Shortened or narrowed (`--quick` or any narrowing option): not the committed results. */
  partial: boolean;
  /** Where the results files go (created by the caller). */
  outDir: string;
  /** True when outDir is bench/.build/<part>/ (a partial run without --out). */
  scratch: boolean;
  /** The flags given. */
  flags: Set<string>;
  /** The value options given (the last of each). */
  values: Map<string, string>;
  /** A usage error: the message and the usage on stderr, exit 2. */
  fail(message: string): never;
  /** The value of `name` as an integer >= min, or `fallback` if not given; else a usage error. */
  int(name: string, fallback: number, min?: number): number;
  /** The value of `name` as a comma-separated list of `known` items, or `fallback`. */
  list<T extends string>(name: string, known: readonly T[], fallback: readonly T[], what: string): T[];
}

/**
 * Parse a part's argv (process.argv.slice(2)): prints the usage and exits 0 on
 * `--help`; prints `${prefix}: message` and the usage and exits 2 on any error.
 */
export function parseBenchArgs(
  argv: readonly string[],
  spec: { part: string; prefix: string; usage: string; options: Record<string, OptionSpec> },
): CommandLine {
  const fail = (message: string): never => {
    process.stderr.write(`${spec.prefix}: ${message}\n${spec.usage}`);
    process.exit(2);
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(spec.usage);
    process.exit(0);
  }
  const options: Record<string, OptionSpec> = { '--quick': {}, '--out': { value: true, narrows: false }, ...spec.options };
  const flags = new Set<string>();
  const values = new Map<string, string>();
  let partial = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const o = options[arg];
    if (o === undefined) fail(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument '${arg}'`);
    if (o!.narrows !== false) partial = true;
    if (o!.value === true) {
      const v = argv[++i];
      if (v === undefined) fail(`${arg} needs a value`);
      values.set(arg, v!);
    } else {
      flags.add(arg);
    }
  }
  const out = values.get('--out');
  const scratchDir = path.join(BENCH_DIR, '.build', spec.part);
  const outDir = out !== undefined ? path.resolve(out) : partial ? scratchDir : BENCH_DIR;
  const toInt = (name: string, value: string, min: number): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) fail(`${name} wants an integer >= ${min}, not '${value}'`);
    return n;
  };
  return {
    quick: flags.has('--quick'),
    partial,
    outDir,
    scratch: outDir === scratchDir,
    flags,
    values,
    fail,
    int: (name, fallback, min = 1) => {
      const v = values.get(name);
      return v === undefined ? fallback : toInt(name, v, min);
    },
    list: (name, known, fallback, what) => {
      const v = values.get(name);
      if (v === undefined) return [...fallback];
      const items = v.split(',').filter(Boolean);
      if (items.length === 0) fail(`${name} wants a list of: ${known.join(', ')}`);
      for (const item of items) if (!known.includes(item as (typeof known)[number])) fail(`unknown ${what} '${item}'`);
      return items as typeof known[number][];
    },
  };
}

/** The line a part prints where it wrote its results, and whether the committed ones were left alone. */
export function wroteLine(cl: CommandLine, files: string[]): string {
  const rel = files.map((f) => path.relative(process.cwd(), f)).join(' and ');
  if (!cl.scratch) return `wrote ${rel}`;
  const names = files.map((f, i) => (i === 0 ? 'bench/' : '') + path.basename(f)).join(' and ');
  const verb = files.length > 1 ? 'are left as they were' : 'is left as it was';
  return `wrote ${rel}\n(a quick or partial run: the committed ${names} ${verb})`;
}
