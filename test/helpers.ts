// Shared test helpers: fd accounting, child processes, small waits.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..');

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

/** Run a TypeScript (or JS) file in a child node with tsx; resolve with its output. */
export function runNode(
  args: string[],
  opts: { timeoutMs?: number; nodeArgs?: string[]; input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', 'tsx', ...args], {
      cwd: ROOT,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.end(opts.input ?? '');
  });
}

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
  return () =>
    [...openFds()].filter((fd) => before.get(fd) !== fdTarget(fd)).map((fd) => `${fd} -> ${fdTarget(fd) ?? '(gone)'}`).filter((s) => !s.endsWith('(gone)'));
}
