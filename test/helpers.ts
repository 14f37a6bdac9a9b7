// Shared test helpers: fd accounting, child processes, failsafe timeouts, barriers.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { close, Epoll, pipe, write } from '../src/index';

export const ROOT = path.join(__dirname, '..');

/**
 * IOREADY_TEST_SLOW=N (default 1) multiplies every failsafe timeout of the suite by N:
 * the per-test limit of scripts/test.mjs, the waits for a child's log line or output,
 * the time a child process is given before it is killed. For runs on a slow or emulated
 * CPU (qemu-user: `IOREADY_TEST_SLOW=5 npm test`). The tests wait on events (a log line,
 * bytes on a pipe, a barrier fd), never on the clock, so N changes only how long a hang
 * takes to be reported, never what a test checks.
 */
export const SLOW: number = (() => {
  const n = Number(process.env.IOREADY_TEST_SLOW ?? 1);
  if (!(n >= 1)) throw new Error(`IOREADY_TEST_SLOW must be a number >= 1, not '${process.env.IOREADY_TEST_SLOW}'`);
  return n;
})();

/** A failsafe timeout of `ms` on a normal machine, scaled by IOREADY_TEST_SLOW. */
export const failsafe = (ms: number): number => Math.round(ms * SLOW);

/**
 * The node options that make a child node run TypeScript through tsx. The project is
 * CommonJS, so tsx's require hook covers src/, test/, bench/ and the CLI; `--import tsx`
 * would need module.register(), which Node 20.0-20.5 lack (there it loads, registers
 * nothing, and the .ts file fails), while `engines` claims every Node >= 20.
 */
export const TSX: readonly string[] = ['--require', 'tsx/cjs'];

/** The symbol `using` calls: Symbol.dispose, or on Node 20.0-20.3 the one Node 20.4+ gives it. */
export { DISPOSE } from '../src/internal/dispose';

/**
 * A barrier on this thread's event loop, for the "and nothing more arrived" checks:
 * resolves once a byte written now to a pipe watched by an Epoll of its own has been
 * delivered and the poll phase that delivered it is over (a setImmediate after it).
 * Whatever was ready on an fd watched by a started Epoll of this thread when the
 * barrier was written has been delivered by then: libuv's epoll_wait reports every ready
 * epoll fd of the loop in one turn (level-triggered, so a readiness left pending is
 * reported again), and the poll phase runs all their callbacks before setImmediate's.
 * (The default watch, IOREADY_WATCH=uv; the thread bridge hands batches over asynchronously.)
 */
export async function loopBarrier(): Promise<void> {
  const ep = new Epoll();
  const [r, w] = pipe();
  try {
    ep.register(r);
    await new Promise<void>((resolve) => {
      ep.start(() => {
        ep.stop();
        setImmediate(resolve);
      });
      write(w, Buffer.from('b'));
    });
  } finally {
    ep.close();
    close(r);
    close(w);
  }
}

/**
 * Resolve when `cond()` holds, checked every few ms; reject after `ms` (a failsafe,
 * scaled by IOREADY_TEST_SLOW) saying what was awaited.
 */
export async function until(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const end = Date.now() + failsafe(ms);
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** An IPv4 socket's line of /proc/net/tcp (the kernel's view, any process's socket on this machine). */
export interface TcpState {
  /** Bytes in the send queue, not yet acknowledged by the peer (sent or not). */
  tx: number;
  /** Bytes received and not yet read. */
  rx: number;
  /** The pending timer: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe (persist state). */
  timer: number;
}

/** The kernel's state of the TCP socket local -> remote (IPv4 addresses), from /proc/net/tcp. */
export function tcpState(local: { address: string; port: number }, remote: { address: string; port: number }): TcpState {
  const hex = (a: { address: string; port: number }): string =>
    `${Buffer.from(a.address.split('.').map(Number)).readUInt32LE(0).toString(16).toUpperCase().padStart(8, '0')}:${a.port.toString(16).toUpperCase().padStart(4, '0')}`;
  const [l, r] = [hex(local), hex(remote)];
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === l && f[2] === r) {
      const [tx, rx] = f[4]!.split(':').map((x) => parseInt(x, 16));
      return { tx: tx!, rx: rx!, timer: parseInt(f[5]!.split(':')[0]!, 16) };
    }
  }
  throw new Error(`${local.address}:${local.port} -> ${remote.address}:${remote.port} is not in /proc/net/tcp`);
}

/**
 * Where a thread blocked in each kind of call sleeps in the kernel (/proc/PID/wchan), as
 * sh `case` patterns: epoll_wait in do_epoll_wait (ep_poll on some kernels); poll and
 * select in poll_schedule_timeout (suffixed .constprop.N by some compilers), do_sys_poll
 * or do_select.
 */
const WCHAN = {
  epoll: 'do_epoll_wait|ep_poll',
  poll: 'poll_schedule_timeout*|do_sys_poll|do_select|core_sys_select',
} as const;

/** The sh test that PID ($1)'s main thread is blocked in a call of this kind. */
const blockedIn = (kind: keyof typeof WCHAN): string => `case "$(cat /proc/$1/wchan 2>/dev/null)" in ${WCHAN[kind]}) true;; *) false;; esac`;

/**
 * A shell script (`sh -c SCRIPT sh PID`) that waits until process PID's main thread is
 * blocked in a call of `kind` (epoll_wait; poll or select), then runs `then`. A child
 * started with it acts while the caller blocks in a synchronous call, however slow the
 * machine, instead of after a guessed delay that a slow start could outlast.
 */
export function whenBlocked(kind: keyof typeof WCHAN, then: string): string {
  return `until ${blockedIn(kind)}; do sleep 0.005; done; ${then}`;
}

/**
 * A shell script (`sh -c SCRIPT sh PID`) sending SIGUSR2 `count` times to PID, each while
 * its main thread is blocked in a call of `kind` and the previous one has been delivered
 * (two pending SIGUSR2 would merge into one).
 */
export function signalWhenBlocked(kind: keyof typeof WCHAN, count: number): string {
  const SIGUSR2_BIT = 1 << 11; // signal 12
  const pending = `[ $(( 0x$(sed -n 's/^ShdPnd:[[:space:]]*//p' /proc/$1/status) & ${SIGUSR2_BIT} )) -ne 0 ]`;
  return `for i in $(seq ${count}); do until ${blockedIn(kind)} && ! ${pending}; do sleep 0.005; done; kill -USR2 $1; done`;
}

/** Every file below `dir` (recursive), as paths; fs.readdirSync's `recursive` is Node 20.1+. */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** How many fds this process has open right now. */
export function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** The open fd numbers of this process. */
export function openFds(): Set<number> {
  return new Set(fs.readdirSync('/proc/self/fd').map(Number));
}

/** True if `fd` is open in this process. */
export function isOpen(fd: number): boolean {
  return fs.existsSync(`/proc/self/fd/${fd}`);
}

/** The flags line of /proc/self/fdinfo/<fd> (octal), e.g. 02000002. */
export function fdFlags(fd: number): number {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s+([0-7]+)/m.exec(info);
  if (!m) throw new Error(`no flags in fdinfo of ${fd}`);
  return parseInt(m[1]!, 8);
}

/** The registrations an epoll fd holds, as the kernel lists them in fdinfo. */
export function epollRegistrations(epfd: number): Map<number, number> {
  const info = fs.readFileSync(`/proc/self/fdinfo/${epfd}`, 'utf8');
  const regs = new Map<number, number>();
  for (const m of info.matchAll(/^tfd:\s+(\d+)\s+events:\s+([0-9a-f]+)/gm)) regs.set(Number(m[1]), parseInt(m[2]!, 16));
  return regs;
}

export const O_CLOEXEC_FLAG = 0o2000000;
export const O_NONBLOCK_FLAG = 0o4000;

/** Milliseconds elapsed while running fn. */
export function elapsedMs<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run a TypeScript (or JS) file in a child node with tsx (`tsx: false`: plain node); resolve
 * with its output. Killed after timeoutMs (a failsafe, scaled by IOREADY_TEST_SLOW).
 */
export function runNode(
  args: string[],
  opts: { timeoutMs?: number; nodeArgs?: string[]; input?: string; env?: NodeJS.ProcessEnv; tsx?: boolean } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...(opts.tsx === false ? [] : TSX), ...args], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), failsafe(opts.timeoutMs ?? 30000));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * The suite runs under qemu-user (its version, set by scripts/test-arm.sh), or ''. qemu
 * emulates the system calls itself, and some it does not (or not as Linux does): a test
 * that needs one skips that part there, saying why. Never set on a real kernel.
 */
export const qemuUser: string = process.env.IOREADY_QEMU_USER ?? '';

/**
 * The code an ioctl request the kernel would refuse with kernelCode fails with here:
 * ENOSYS under qemu-user, which answers a request it does not emulate (GPIO's, for
 * one) itself, before the kernel or the fd is looked at.
 */
export const unemulatedIoctl = (kernelCode: string): string => (qemuUser ? 'ENOSYS' : kernelCode);

/** Python 3 is on the machine (the reference implementation for several tests). */
export const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

/** What an fd of this process is (its /proc link), or null if it is closed. */
export function fdTarget(fd: number): string | null {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/**
 * Snapshot this process's fds; the returned function lists those opened since
 * (with what they are), so a test can assert that nothing leaked. Node opens a
 * few fds lazily (the signal pipe at the first child process, the threadpool's
 * eventfd): warm those up first so that they do not count as leaks.
 */
export async function fdSnapshot(): Promise<() => string[]> {
  spawnSync('true');
  await fs.promises.stat(__filename);
  await new Promise<void>((resolve) => spawn('true').once('exit', () => resolve()));
  // By identity, not number: tsx closes its cache files later, and a leaked fd may reuse their numbers.
  const before = new Map([...openFds()].map((fd) => [fd, fdTarget(fd)]));
  // tsx compiles on demand, and may open its cache (os.tmpdir()/tsx-UID/...) while a test runs.
  const tsxCache = path.join(os.tmpdir(), 'tsx-');
  return () =>
    [...openFds()]
      .map((fd) => [fd, fdTarget(fd)] as const)
      .filter(([fd, t]) => t !== null && before.get(fd) !== t && !t.startsWith(tsxCache))
      .map(([fd, t]) => `${fd} -> ${t}`);
}

/**
 * The file's fd-leak check, as two tests: call it at the top of a test file (a first test
 * takes a snapshot of this process's fds) and call the returned function at the bottom
 * (a last test lists the fds opened since and not closed). Tests rather than root-level
 * before()/after() hooks: Node 20.0's runner never runs root-level hooks, and a leak
 * check that does not run cannot fail.
 */
export function fdLeakCheck(): () => void {
  let leaked: (() => string[]) | undefined;
  test('fd snapshot (for the leak check at the end of the file)', async () => {
    leaked = await fdSnapshot();
  });
  return () =>
    test('every fd a test of this file opened is closed again', () => {
      assert.ok(leaked, 'the snapshot was taken');
      assert.deepEqual(leaked(), []);
    });
}
