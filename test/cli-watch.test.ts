// `ioready watch`: real inotify events on a temporary tree, through the CLI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Proc, runCli } from './cli-helpers';

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (IN_[A-Z_]+(,IN_[A-Z_]+)*) (.*)$/;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-watch-'));
}

/** Start `ioready watch ...args` and wait until its watches are in place. */
async function startWatch(args: string[]): Promise<Proc> {
  const p = new Proc(['watch', ...args]);
  await p.waitLog(/INFO - Watching \d+ paths? \(\d+ watch(es)?\)/);
  return p;
}

/** The events printed so far, as 'NAMES path' (timestamps checked and dropped). */
function events(p: Proc): string[] {
  return p.out
    .toString()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = LINE.exec(l);
      assert.ok(m, `line format: ${JSON.stringify(l)}`);
      return `${m[1]} ${m[3]}`;
    });
}

/** The inodes the child's inotify fds watch (their fdinfo lists one line per watch, ino in hex). */
function watchedInodes(p: Proc): Set<number> {
  const inodes = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${p.pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${p.pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      for (const m of fs.readFileSync(`/proc/${p.pid}/fdinfo/${fd}`, 'utf8').matchAll(/^inotify wd:\S+ ino:([0-9a-f]+)/gm)) inodes.add(parseInt(m[1]!, 16));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

async function until(p: Proc, want: string): Promise<void> {
  await p.until(() => events(p).includes(want), `${want}; got ${JSON.stringify(events(p))}`, 10000);
}

describe('ioready watch', () => {
  test('a PATH that cannot be watched, no PATH, an unknown event or option: one line, non-zero exit', async () => {
    const dir = tempDir();
    try {
      const cases: Array<[string[], number, RegExp]> = [
        [['watch', path.join(dir, 'missing')], 1, new RegExp(`^ioready watch: cannot watch '${dir}/missing': no such file or directory \\(ENOENT\\)\\n$`)],
        [['watch', dir, path.join(dir, 'missing')], 1, /cannot watch '.*missing': no such file or directory \(ENOENT\)\n$/],
        [['watch'], 2, /^ioready watch: nothing to watch: give at least one PATH/],
        [['watch', '--events', 'create,explode', dir], 2, /^ioready watch: unknown event 'explode' in --events \(see 'ioready watch --help'\)\n$/],
        [['watch', '-e', 'constructor', dir], 2, /^ioready watch: unknown event 'constructor' in --events/],
        [['watch', '-e'], 2, /^ioready watch: option '-e' needs a value/],
        [['watch', '--frob', dir], 2, /^ioready watch: unknown option '--frob'/],
      ];
      const results = await Promise.all(cases.map(([args]) => runCli(args)));
      results.forEach((r, i) => {
        const [args, code, re] = cases[i]!;
        assert.equal(r.code, code, args.join(' '));
        assert.equal(r.stdout, '');
        assert.match(r.stderr, re);
        assert.equal(r.stderr.split('\n').length, 2, r.stderr);
        assert.ok((r.stderr.match(/\(see /g) ?? []).length <= 1, `one '(see ...)' at most: ${r.stderr}`);
      });
      const help = await runCli(['watch', '--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /^Usage: ioready watch/);
      for (const opt of ['-r, --recursive', '-e, --events', '-h, --help']) assert.ok(help.stdout.includes(opt), opt);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a directory and a file: a line per event with its names and path; SIGINT exits 0', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'watched-file');
    fs.writeFileSync(file, 'x');
    const p = await startWatch([dir, file]);
    try {
      fs.writeFileSync(path.join(dir, 'a.txt'), 'hello');
      await until(p, `IN_CLOSE_WRITE ${dir}/a.txt`);
      fs.renameSync(path.join(dir, 'a.txt'), path.join(dir, 'b.txt'));
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.appendFileSync(file, 'y');
      fs.unlinkSync(path.join(dir, 'b.txt'));
      await until(p, `IN_DELETE ${dir}/b.txt`);
      await until(p, `IN_CLOSE_WRITE ${file}`);
      fs.writeFileSync(path.join(dir, 'sub', 'unseen'), ''); // not recursive
      p.kill('SIGINT');
      assert.equal((await p.exited).code, 0);
      const got = events(p);
      const inDir = got.filter((e) => !e.endsWith('watched-file'));
      assert.deepEqual(inDir, [
        `IN_CREATE ${dir}/a.txt`,
        `IN_MODIFY ${dir}/a.txt`,
        `IN_CLOSE_WRITE ${dir}/a.txt`,
        `IN_MOVED_FROM ${dir}/a.txt`,
        `IN_MOVED_TO ${dir}/b.txt`,
        `IN_CREATE,IN_ISDIR ${dir}/sub`,
        `IN_DELETE ${dir}/b.txt`,
      ]);
      // The file's own events name the file (the directory reports it too).
      assert.ok(got.includes(`IN_MODIFY ${file}`), JSON.stringify(got));
      assert.ok(!got.some((e) => e.includes('unseen')));
      assert.match(p.stderr, /INFO - SIGINT: stopping/);
    } finally {
      p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--recursive: directories below, new ones, renamed ones; odd names escaped; exits when nothing is left', async () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'pre', 'deep'), { recursive: true });
    const p = await startWatch(['--recursive', dir]);
    try {
      assert.match(p.stderr, /Watching 1 path \(3 watches\)/);
      fs.writeFileSync(path.join(dir, 'pre', 'deep', 'c'), '');
      await until(p, `IN_CLOSE_WRITE ${dir}/pre/deep/c`);
      fs.mkdirSync(path.join(dir, 'new'));
      await until(p, `IN_CREATE,IN_ISDIR ${dir}/new`);
      // The new directory's watch is added when its IN_CREATE is read: wait for the kernel to list it.
      const ino = fs.statSync(path.join(dir, 'new')).ino;
      await p.until(() => watchedInodes(p).has(ino), 'a watch on the new directory');
      fs.writeFileSync(path.join(dir, 'new', 'inside'), '');
      await until(p, `IN_CLOSE_WRITE ${dir}/new/inside`);
      fs.renameSync(path.join(dir, 'new'), path.join(dir, 'renamed'));
      await until(p, `IN_MOVED_TO,IN_ISDIR ${dir}/renamed`);
      fs.writeFileSync(path.join(dir, 'renamed', 'after'), '');
      await until(p, `IN_CLOSE_WRITE ${dir}/renamed/after`);
      fs.writeFileSync(path.join(dir, 'two\nlines\x1b[31m'), '');
      await until(p, `IN_CREATE ${dir}/two\\x0alines\\x1b[31m`);
      fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/latin1-`), Buffer.from([0xe9])]), '');
      await until(p, `IN_CREATE ${dir}/latin1-\\xe9`);
      fs.rmSync(dir, { recursive: true });
      const { code } = await p.exited;
      assert.equal(code, 0);
      assert.match(p.stderr, /INFO - Nothing left to watch/);
      const got = events(p);
      assert.ok(got.includes(`IN_DELETE_SELF ${dir}/pre/deep`), JSON.stringify(got));
      assert.ok(got.includes(`IN_DELETE_SELF ${dir}`));
      for (const e of got) assert.doesNotMatch(e, /IN_OPEN|IN_ACCESS|IN_CLOSE_NOWRITE/); // the reads are not shown by default
    } finally {
      p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--events picks the events shown', async () => {
    const dir = tempDir();
    const p = await startWatch(['--events', 'create,delete', dir]);
    try {
      fs.writeFileSync(path.join(dir, 'f'), 'data');
      fs.unlinkSync(path.join(dir, 'f'));
      await until(p, `IN_DELETE ${dir}/f`);
      p.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
      assert.deepEqual(events(p), [`IN_CREATE ${dir}/f`, `IN_DELETE ${dir}/f`]);
    } finally {
      p.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
