/**
 * `npm run bench`: the benchmark's parts, one after the other, on the same
 * machine, each under a heading. Which parts there are is PARTS below: a
 * part is a script in bench/ with a name; adding one is one line.
 *
 *   npm run bench                       # every default part, full: writes the committed results
 *   npm run bench -- --quick            # every default part, smoke-sized: writes nothing committed
 *   npm run bench -- serve              # one part, full
 *   npm run bench -- pipes --quick --peers ioready-start,c   # one part, its own options
 *   npm run bench -- --help             # this, and each part's options: npm run bench -- serve --help
 *
 * What a part script takes (the contract of the registry):
 * - `--help`: print its usage to stdout, exit 0, run nothing;
 * - `--quick`: a smoke-sized run (one repetition, short windows);
 * - `--out DIR`: where its results files go;
 * - an unknown option: a one-line error and its usage on stderr, exit 2, before running;
 * - the committed results (bench/results.json, results.svg, serve-results.json...)
 *   are written only by a full run (no option that shortens or narrows it) or to
 *   --out; a quick or partial run writes under bench/.build/ and says where.
 * With one part named, every option goes to it. With several (or none: the
 * defaults), only the options every part takes (`--quick`, `--out DIR`) are
 * accepted here and passed on to each, so that an option meant for one part
 * never starts a long run of the others.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

interface Part {
  /** What `npm run bench -- NAME` selects. */
  name: string;
  /** The script, in bench/. */
  script: string;
  /** The heading line. */
  about: string;
  /** Run by a bare `npm run bench` (default true); false: only when named. */
  byDefault?: boolean;
}

/** The parts, in the order a full run runs them. */
export const PARTS: readonly Part[] = [
  { name: 'pipes', script: 'run.ts', about: 'ping-pong and fan-in over pipes: ioready vs Python, C, Node net, npm epoll' },
  { name: 'serve', script: 'serve.ts', about: '`ioready serve` vs C, Python and Node servers: throughput, CPU, idle memory' },
];

/** Options every part takes; with a value or not. */
const COMMON: Record<string, boolean> = { '--quick': false, '--out': true };

const USAGE = `usage: npm run bench -- [PART...] [options]

Parts (default: ${PARTS.filter((p) => p.byDefault !== false).map((p) => p.name).join(', ')}, in this order):
${PARTS.map((p) => `  ${p.name.padEnd(8)} ${p.about}${p.byDefault === false ? ' (only when named)' : ''}`).join('\n')}

Options for every part:
  --quick      a smoke run: one repetition, short windows (its ratios are single
               samples, not verdicts); writes under bench/.build/, not the
               committed results
  --out DIR    write the results files into DIR
  -h, --help   this help; \`npm run bench -- PART --help\` lists PART's own options

A part's own options (--reps, --peers, --servers...) need that part named alone:
  npm run bench -- pipes --reps 9 --workloads pingpong
Only a full run (no option but --out) writes the committed results in bench/.
`;

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** The parts named at the front, and the options after them. */
export function parseCommandLine(argv: string[]): { parts: Part[]; options: string[]; help: boolean } {
  const parts: Part[] = [];
  let i = 0;
  for (; i < argv.length && !argv[i]!.startsWith('-'); i++) {
    const part = PARTS.find((p) => p.name === argv[i]);
    if (part === undefined) usage(`unknown part '${argv[i]}' (parts: ${PARTS.map((p) => p.name).join(', ')})`);
    if (!parts.includes(part)) parts.push(part);
  }
  const options = argv.slice(i);
  for (const o of options) if (!o.startsWith('-') && PARTS.some((p) => p.name === o)) usage(`name the parts before the options ('${o}')`);
  const help = options.includes('--help') || options.includes('-h');
  if (parts.length !== 1) {
    for (let k = 0; k < options.length; k++) {
      const o = options[k]!;
      if (o === '--help' || o === '-h') continue;
      if (!(o in COMMON)) {
        usage(
          o.startsWith('-')
            ? `unknown option ${o}, or one that belongs to one part: name it first (npm run bench -- PART ${o} ...)`
            : `unexpected argument '${o}'`,
        );
      }
      if (COMMON[o]) {
        if (options[k + 1] === undefined) usage(`${o} needs a value`);
        k++;
      }
    }
  }
  return { parts: parts.length === 0 ? PARTS.filter((p) => p.byDefault !== false) : parts, options, help };
}

function main(): void {
  const { parts, options, help } = parseCommandLine(process.argv.slice(2));
  if (help && parts.length !== 1) {
    process.stdout.write(USAGE);
    return;
  }
  let status = 0;
  for (const part of parts) {
    if (!help) {
      const rule = '='.repeat(Math.max(0, 78 - part.name.length - 4));
      process.stdout.write(`\n== ${part.name} ${rule}\n${part.about}\n`);
    }
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(__dirname, part.script), ...options], { stdio: 'inherit' });
    const code = r.status ?? 1;
    if (code === 2) process.exit(2); // a usage error: the same would stop every other part
    status ||= code;
  }
  process.exit(status);
}

if (require.main === module) main();
