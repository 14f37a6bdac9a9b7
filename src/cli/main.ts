#!/usr/bin/env node
/**
 * The `ioready` command: `ioready serve`, `ioready watch PATH...`, `ioready gpio ...`,
 * `ioready --help`, `ioready --version`. Errors are one line on stderr
 * (`ioready serve: ...`), never a stack trace; exit code 2 for a bad command
 * line, 1 for anything else that stops it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, UsageError } from './errors';

/** The package's root: src/cli/main.ts and dist/cli/main.js both sit two levels below it. */
const ROOT = path.join(__dirname, '..', '..');

/**
 * The help. Its link is the README that ships in the package (npm always packs
 * it), found where this file runs: the package has no web site, and is not on
 * the registry yet.
 */
function usage(): string {
  return `Usage: ioready <command> [options]

Commands:
  serve [options]     accept TCP connections, write what clients send to stdout
  watch PATH...       print file-system events (inotify through epoll)
  gpio info|get|set|mon
                      GPIO chips and lines: list, read, drive, watch edges

Options:
  -h, --help          show this help (ioready <command> --help for a command's)
  -V, --version       show the version

The seed's server, done right, on ioready's Epoll. Documentation: the README,
${path.join(ROOT, 'README.md')}
`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(usage());
      return 2;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage());
      return 0;
    case '-V':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return 0;
    // Loaded on demand with require(), not import(): the same lazy load in CommonJS, and
    // it also runs from the sources through tsx's require hook, which is all tsx has on
    // Node 20.0-20.5 (no module.register() for ESM hooks there).
    case 'serve':
      return (require('./serve/serve') as typeof import('./serve/serve')).serve(rest);
    case 'watch':
      return (require('./watch') as typeof import('./watch')).watch(rest);
    case 'gpio':
      return (require('./gpio') as typeof import('./gpio')).gpio(rest);
    default:
      throw new UsageError(command.startsWith('-') ? `unknown option '${command}'` : `unknown command '${command}'`);
  }
}

const command = process.argv[2];
const prefix = command === 'serve' || command === 'watch' || command === 'gpio' ? `ioready ${command}` : 'ioready';
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError) {
      const hint = err instanceof UsageError ? ` (see '${prefix} --help')` : '';
      process.stderr.write(`${prefix}: ${err.message}${hint}\n`);
      process.exit(err.exitCode);
    }
    // A bug, or a system error nobody expected: still one line, with its code.
    const e = err as NodeJS.ErrnoException;
    process.stderr.write(`${prefix}: ${e?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
