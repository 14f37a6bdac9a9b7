// The built package (dist/) as users load it: one Epoll for require and import,
// the `exports` map, the drop-in for fivdi's `epoll` (checked against the real
// one, a devDependency), and the thread bridge Bun and Deno use, run under Node.
// The slow checks (npm pack + install without a compiler, Bun, Deno, fivdi's own
// tests) are `npm run test:pack`, `npm run test:runtimes`, `npm run test:fivdi`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

import { fdSnapshot, ROOT, runNode, until, walkFiles } from './helpers';

type Index = typeof import('../src/index');
type Compat = typeof import('../src/compat/epoll');
type CompatEpoll = InstanceType<Compat['Epoll']>;

const DIST = path.join(ROOT, 'dist');

/** The newest mtime under dir of files matching re. */
function newest(dir: string, re: RegExp): number {
  let t = 0;
  for (const f of walkFiles(dir)) if (re.test(path.basename(f))) t = Math.max(t, fs.statSync(f).mtimeMs);
  return t;
}

// Build dist/ when it is missing or older than src/ (a no-op on a fresh build). At load,
// not in a root-level before() hook: Node 20.0's runner never runs those.
const built = fs.existsSync(path.join(DIST, 'index.mjs')) ? fs.statSync(path.join(DIST, 'index.mjs')).mtimeMs : 0;
if (built < newest(path.join(ROOT, 'src'), /\.ts$/)) {
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`dist/ is older than src/ and 'npm run build' failed:\n${out}`);
  }
}
const cjs = require(path.join(DIST, 'index.js')) as Index;
const compat = require(path.join(DIST, 'compat', 'epoll.js')) as Compat;

describe('package shape', () => {
  test("require('ioready') and import('ioready') give the same Epoll class", () => {
    // Plain node, no tsx in between: what an ES module user gets.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', `
      import assert from 'node:assert/strict';
      import { createRequire } from 'node:module';
      import * as esm from ${JSON.stringify(path.join(DIST, 'index.mjs'))};
      const cjs = createRequire(${JSON.stringify(path.join(ROOT, 'package.json'))})(${JSON.stringify(path.join(DIST, 'index.js'))});
      assert.equal(esm.Epoll, cjs.Epoll);
      assert.equal(esm.default, cjs);
      const names = Object.keys(cjs).filter((n) => n !== '__esModule').sort();
      assert.deepEqual(Object.keys(esm).filter((n) => n !== 'default').sort(), names, 'ESM face exports every CJS name');
      const ep = new esm.Epoll();
      assert.ok(ep instanceof cjs.Epoll);
      ep.close();
      console.log(names.length);`], { encoding: 'utf8' });
    assert.ok(Number(out) > 30, `only ${out.trim()} names exported`);
  });

  test('the exports map resolves ioready and ioready/compat/epoll (self-reference by name)', async () => {
    assert.equal(require.resolve('ioready'), path.join(DIST, 'index.js'));
    assert.equal(require.resolve('ioready/compat/epoll'), path.join(DIST, 'compat', 'epoll.js'));
    const viaImport = (await import('ioready/compat/epoll' as string)) as Compat;
    assert.equal(viaImport.Epoll, compat.Epoll, 'import of the CJS compat module: same class');
    assert.throws(() => require.resolve('ioready/dist/epoll.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  test("require('ioready/compat/onoff') and import() of it give onoff's Gpio from dist/", async () => {
    assert.equal(require.resolve('ioready/compat/onoff'), path.join(DIST, 'compat', 'onoff.js'));
    assert.ok(fs.existsSync(path.join(DIST, 'compat', 'onoff.d.ts')), 'its types are built');
    const viaRequire = require('ioready/compat/onoff') as typeof import('../src/compat/onoff');
    const viaImport = (await import('ioready/compat/onoff' as string)) as typeof import('../src/compat/onoff');
    assert.equal(viaImport.Gpio, viaRequire.Gpio);
  });

  test('package.json: files ship dist, sources and prebuilds; scripts for the slow checks exist', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
      scripts: Record<string, string>;
      type: string;
    };
    for (const f of ['dist', 'prebuilds', 'binding.gyp', 'native/*.c', 'native/*.h']) assert.ok(pkg.files.includes(f), f);
    for (const s of ['build:prebuilds', 'test:pack', 'test:runtimes', 'test:fivdi', 'docs']) assert.ok(pkg.scripts[s], s);
    assert.equal(pkg.scripts.prebuild, undefined, "a 'prebuild' script would run before every build");
    assert.equal(pkg.type, 'commonjs');
  });
});

describe("compat/epoll: fivdi's Epoll", () => {
  // fivdi's own module, for the reference values (it builds with node-gyp on install).
  let fivdi: { Epoll: Record<string, unknown> } | null = null;
  try {
    fivdi = require('epoll') as { Epoll: Record<string, unknown> };
  } catch {
    fivdi = null;
  }
  const NAMES = ['EPOLLIN', 'EPOLLOUT', 'EPOLLRDHUP', 'EPOLLPRI', 'EPOLLERR', 'EPOLLHUP', 'EPOLLET', 'EPOLLONESHOT'];

  test("constants: the same names and values as fivdi's, read-only", { skip: fivdi === null && 'epoll not installed' }, () => {
    const E = compat.Epoll as unknown as Record<string, unknown>;
    for (const name of NAMES) assert.equal(E[name], fivdi!.Epoll[name], name);
    assert.equal(compat.Epoll.EPOLLET, 0x80000000);
    assert.throws(() => {
      'use strict';
      E.EPOLLIN = 2;
    }, TypeError);
    assert.equal(compat.Epoll.EPOLLIN, cjs.EPOLLIN);
  });

  test("methods: fivdi's add/modify/remove/close and closed", () => {
    const proto = Object.getOwnPropertyNames(compat.Epoll.prototype).filter((n) => n !== 'constructor').sort();
    assert.deepEqual(proto, ['add', 'close', 'closed', 'modify', 'remove']);
  });

  async function withPipe(fn: (r: number, w: number) => void | Promise<void>): Promise<void> {
    const opened = await fdSnapshot();
    const [r, w] = cjs.pipe();
    try {
      await fn(r, w);
    } finally {
      cjs.close(r);
      cjs.close(w);
    }
    assert.deepEqual(opened(), [], 'no fd left open');
  }

  test('callback(null, fd, events) from the event loop; add/modify/remove chain; close() returns null', () =>
    withPipe(async (r, w) => {
      const calls: unknown[][] = [];
      let poller!: CompatEpoll;
      await new Promise<void>((resolve) => {
        poller = new compat.Epoll((...args: unknown[]) => {
          calls.push(args);
          cjs.read(r, Buffer.alloc(8));
          resolve();
        });
        assert.equal(poller.add(r, compat.Epoll.EPOLLIN), poller);
        assert.equal(poller.modify(r, compat.Epoll.EPOLLIN | compat.Epoll.EPOLLONESHOT), poller);
        cjs.write(w, Buffer.from('x'));
      });
      assert.deepEqual(calls, [[null, r, compat.Epoll.EPOLLIN]]);
      assert.equal(poller.closed, false);
      assert.equal(poller.remove(r).close(), null);
      assert.equal(poller.closed, true);
    }));

  test('ONESHOT: one event until modify() re-arms it, as fivdi one-shot/two-shot expect', () =>
    withPipe(async (r, w) => {
      // A second pipe on the same poller is the barrier: once its event has come, an
      // event still due for `r` (never read, so still readable) would have come too.
      const [br, bw] = cjs.pipe();
      let calls = 0;
      let barriers = 0;
      const poller = new compat.Epoll((_err: unknown, fd: number) => {
        if (fd === br) {
          cjs.read(br, Buffer.alloc(8));
          barriers++;
        } else calls++;
      });
      const exactly = async (n: number): Promise<void> => {
        await until(() => calls >= n, `event ${n}`);
        const b = barriers;
        cjs.write(bw, Buffer.from('b'));
        await until(() => barriers > b, 'the barrier');
        assert.equal(calls, n, 'and no other event for the one-shot fd');
      };
      try {
        poller.add(br, compat.Epoll.EPOLLIN);
        cjs.write(w, Buffer.from('x'));
        poller.add(r, compat.Epoll.EPOLLIN | compat.Epoll.EPOLLONESHOT);
        await exactly(1);
        poller.modify(r, compat.Epoll.EPOLLIN | compat.Epoll.EPOLLONESHOT);
        await exactly(2);
      } finally {
        poller.close();
        cjs.close(br);
        cjs.close(bw);
      }
    }));

  test("misuse: fivdi's errors, with Node's codes", () =>
    withPipe((r) => {
      assert.throws(() => new compat.Epoll(undefined as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      const poller = new compat.Epoll(() => {});
      poller.add(r, compat.Epoll.EPOLLIN);
      assert.throws(() => poller.add(r, compat.Epoll.EPOLLIN), { code: 'EEXIST', syscall: 'epoll_ctl' });
      assert.throws(() => poller.add('0' as never, 1), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => poller.add(r, '1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      poller.remove(r);
      assert.throws(() => poller.remove(r), { code: 'ENOENT' });
      assert.throws(() => poller.modify(r, 1), { code: 'ENOENT' });
      // EPOLLET | EPOLLIN is negative as an int32 (fivdi accepts it): so must we.
      poller.add(r, compat.Epoll.EPOLLET | compat.Epoll.EPOLLIN).remove(r);
      poller.close();
      const closed = { code: 'ERR_IOREADY_CLOSED' };
      assert.throws(() => poller.close(), { ...closed, message: "close can't be called more than once" });
      assert.throws(() => poller.add(r, 1), { ...closed, message: "add can't be called after calling close" });
      assert.throws(() => poller.modify(r, 1), { ...closed, message: "modify can't be called after calling close" });
      assert.throws(() => poller.remove(r), { ...closed, message: "remove can't be called after calling close" });
    }));

  test('two instances may watch the same fd (each has its own epoll fd)', () =>
    withPipe((r) => {
      const a = new compat.Epoll(() => {});
      const b = new compat.Epoll(() => {});
      a.add(r, compat.Epoll.EPOLLIN);
      b.add(r, compat.Epoll.EPOLLIN);
      a.close();
      b.close();
    }));

  // The process stays alive exactly while some fd is added (fivdi's uv_ref/uv_unref).
  const liveness = (body: string): string => `
    const { Epoll } = require(${JSON.stringify(path.join(DIST, 'compat', 'epoll.js'))});
    const { pipe } = require(${JSON.stringify(path.join(DIST, 'index.js'))});
    const [r] = pipe();
    const p = new Epoll(() => {});
    ${body}`;

  test('the process exits once every fd is removed (do-almost-nothing)', async () => {
    const res = await runNode(['-e', liveness('p.add(r, Epoll.EPOLLIN).remove(r);')], { timeoutMs: 10000 });
    assert.equal(res.signal, null, 'exited by itself');
    assert.equal(res.code, 0, res.stderr);
  });

  test('an added fd keeps the process alive', async () => {
    const res = await runNode(['-e', liveness("p.add(r, Epoll.EPOLLIN); setTimeout(() => { console.log('alive'); process.exit(0); }, 300).unref();")], { timeoutMs: 10000 });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'alive');
  });
});

describe("compat/onoff: onoff's Gpio (the kernel parts run in the VM: test/gpio/)", () => {
  type Onoff = typeof import('../src/compat/onoff');
  const ours = require(path.join(DIST, 'compat', 'onoff.js')) as Onoff;
  // The real onoff (a devDependency) loads without GPIO: its epoll addon only.
  const theirs = require('onoff') as Onoff;

  test("the same class shape as onoff's: methods, statics HIGH/LOW read-only, accessible", () => {
    const names = (o: object): string[] => Object.getOwnPropertyNames(o).filter((n) => n !== 'constructor').sort();
    assert.deepEqual(names(ours.Gpio.prototype), names(theirs.Gpio.prototype));
    assert.equal(ours.Gpio.HIGH, 1);
    assert.equal(ours.Gpio.LOW, 0);
    assert.equal(ours.Gpio.HIGH, theirs.Gpio.HIGH);
    assert.equal(Object.getOwnPropertyDescriptor(ours.Gpio, 'HIGH')?.writable, false);
    assert.equal(typeof ours.Gpio.accessible, 'boolean');
  });

  test('no GPIO chip here: accessible is false and the constructor throws EINVAL, as onoff does without the line', { skip: fs.readdirSync('/dev').some((n) => n.startsWith('gpiochip')) ? 'this machine has GPIO chips' : false }, () => {
    assert.equal(ours.Gpio.accessible, false);
    assert.throws(() => new ours.Gpio(17, 'in'), { code: 'EINVAL', errno: -22, syscall: 'write', message: /no GPIO chip/ });
    assert.throws(() => new ours.Gpio(529, 'out', { activeLow: true }), { code: 'EINVAL' });
  });

  test("bad numbers, directions and edges are onoff's EINVAL, before any chip is looked at", () => {
    assert.throws(() => new ours.Gpio(-1, 'in'), { code: 'EINVAL', syscall: 'write' });
    assert.throws(() => new ours.Gpio(1.5, 'in'), { code: 'EINVAL' });
    assert.throws(() => new ours.Gpio('x' as never, 'in'), { code: 'EINVAL' });
    assert.throws(() => new ours.Gpio(17, 'sideways' as never), { code: 'EINVAL', message: /direction/ });
    assert.throws(() => new ours.Gpio(17, 'in', 'up' as never), { code: 'EINVAL', message: /edge/ });
  });
});

describe('the thread bridge (Bun and Deno use it), under Node', () => {
  test('IOREADY_WATCH=thread: the runtime smoke suite passes', async () => {
    // Plain node, as scripts/test-runtimes.sh runs it (tsx would open a socket of its own
    // meanwhile, to look for a tsx parent process, and the fd counts would catch it).
    const res = await runNode([path.join(ROOT, 'test', 'runtimes', 'smoke.mjs')], {
      env: { ...process.env, IOREADY_WATCH: 'thread' },
      timeoutMs: 60000,
      tsx: false,
    });
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /: 10 passed, 0 failed/);
  });

  for (const mode of ['uv', 'thread']) {
    const script = (unref: boolean): string => `
      const { Epoll, pipe, write } = require(${JSON.stringify(path.join(DIST, 'index.js'))});
      const ep = new Epoll();
      const [r, w] = pipe();
      ep.register(r);
      ${unref ? 'ep.unref();' : ''}
      ep.start((fd) => { console.log('event', fd === r); });
      write(w, Buffer.from('x'));
      setTimeout(() => { console.log('alive'); process.exit(0); }, 500).unref();`;

    test(`${mode}: a started watch keeps the process alive; unref() lets it exit`, async () => {
      const env = { ...process.env, IOREADY_WATCH: mode };
      const refd = await runNode(['-e', script(false).replace("console.log('event', fd === r);", "console.log('event', fd === r); require('fs').readSync(fd, Buffer.alloc(8));")], { env, timeoutMs: 10000 });
      assert.equal(refd.code, 0, refd.stderr);
      assert.deepEqual(refd.stdout.trim().split('\n'), ['event true', 'alive']);
      const unrefd = await runNode(['-e', script(true)], { env, timeoutMs: 10000 });
      assert.equal(unrefd.code, 0, unrefd.stderr);
      assert.ok(!unrefd.stdout.includes('alive'), 'exited without waiting for the watch (before the unref()d 500 ms probe)');
    });

    test(`${mode}: a listener that throws surfaces as an uncaught exception, once`, async () => {
      const env = { ...process.env, IOREADY_WATCH: mode };
      const res = await runNode(['-e', `
        const { Epoll, pipe, write } = require(${JSON.stringify(path.join(DIST, 'index.js'))});
        const ep = new Epoll();
        const [r, w] = pipe();
        ep.register(r);
        let caught = 0;
        process.on('uncaughtException', (err) => { caught++; console.log('caught', err.message); ep.close(); });
        ep.start(() => { throw new Error('boom'); });
        write(w, Buffer.from('x'));
        process.on('exit', () => console.log('total', caught));`], { env, timeoutMs: 10000 });
      assert.equal(res.code, 0, res.stderr);
      assert.deepEqual(res.stdout.trim().split('\n'), ['caught boom', 'total 1']);
    });
  }

  test('IOREADY_WATCH with an unknown value is an error at load time', async () => {
    const res = await runNode(['-e', `require(${JSON.stringify(path.join(DIST, 'index.js'))})`], {
      env: { ...process.env, IOREADY_WATCH: 'kqueue' },
      timeoutMs: 10000,
    });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /ERR_INVALID_ARG_VALUE|IOREADY_WATCH/);
  });
});
