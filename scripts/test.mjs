// `npm test`: the suite (test/*.test.ts, or the files given) on node:test's run(),
// the same on every Node that `engines` claims (>= 20):
// - TypeScript through tsx's require hook, handed to each test file's process in
//   execArgv (`--import tsx` registers nothing before Node 20.6, where
//   module.register() came);
// - files in parallel on every version (`--test-concurrency` is Node 20.10+; the
//   default, cores - 1, is one file at a time on a 2-core machine, though most files
//   spend their time waiting on child processes);
// - a time limit per file, 120 s x IOREADY_TEST_SLOW (run()'s `timeout` bounds each
//   file's process; `--test-timeout`, per test, is Node 20.11+): a failsafe only.
//
//   npm test                                  # every file, spec on a terminal, TAP otherwise
//   npm test -- test/watch.test.ts            # some files
//   IOREADY_TEST_CONCURRENCY=1 npm test       # one file at a time (default 4)
//   IOREADY_TEST_SLOW=5 npm test              # failsafe timeouts x5 (qemu; see test/helpers.ts)
//   IOREADY_TEST_REPORTER=tap|spec|dot npm test
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const tsx = ['--require', 'tsx/cjs'];

// Re-run this script with tsx preloaded, so that run() passes it on to every test file.
if (!process.execArgv.includes('tsx/cjs')) {
  const r = spawnSync(process.execPath, [...tsx, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: root,
  });
  process.exit(r.status ?? 1);
}

// dist/ (the built package, which package.test.ts and docs.test.ts load) is built here,
// once, when missing or older than src/: two test files building it at once would race.
const newest = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((t, e) => {
    const p = path.join(dir, e.name);
    return Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
  }, 0);
const distIndex = path.join(root, 'dist', 'index.mjs');
if (!fs.existsSync(distIndex) || fs.statSync(distIndex).mtimeMs < newest(path.join(root, 'src'))) {
  const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const { run } = await import('node:test');
const reporters = await import('node:test/reporters');

const positive = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!(v >= 1)) throw new Error(`${name} must be a number >= 1, not '${process.env[name]}'`);
  return v;
};
const slow = positive('IOREADY_TEST_SLOW', 1);
const concurrency = Math.floor(positive('IOREADY_TEST_CONCURRENCY', 4));
const reporterName = process.env.IOREADY_TEST_REPORTER ?? (process.stdout.isTTY ? 'spec' : 'tap');
const reporter = reporters[reporterName];
if (!reporter) throw new Error(`IOREADY_TEST_REPORTER: no reporter '${reporterName}' (spec, tap, dot)`);

const args = process.argv.slice(2);
const files = (args.length ? args : fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).sort().map((f) => `test/${f}`))
  .map((f) => path.resolve(root, f));

const stream = run({ files, concurrency, timeout: 120_000 * slow });
stream.on('test:fail', (data) => {
  if (!data.todo) process.exitCode = 1;
});
// spec is a Transform class; tap and dot are async generator functions.
stream.compose(reporterName === 'spec' ? new reporter() : reporter).pipe(process.stdout);
