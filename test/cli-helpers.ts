// Helpers for the CLI tests: run `ioready` (from src, through tsx) as a child
// process, wait for its log lines, count its fds and CPU time, drive clients.
import { type ChildProcess, type StdioOptions, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { failsafe, ROOT, TSX, until } from './helpers';

export const MAIN = 'src/cli/main.ts';
/** This node with tsx, as a shell command prefix. */
export const NODE_TSX = [process.execPath, ...TSX].join(' ');

export const hasCommand = (name: string): boolean => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;

/** A quoted word for sh -c. */
export const sq = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

export interface StartOptions {
  /** `ulimit -n` for the child (run through sh -c '...; exec node ...'). */
  ulimit?: number;
  /** stdout: 'pipe' (collected in `out`), or an fd to hand the child. */
  stdout?: 'pipe' | number;
  env?: NodeJS.ProcessEnv;
  /** Node script to run instead of the CLI (the seed example). */
  script?: string;
}

/** A running `ioready` (or example) child: its stdout bytes, stderr text, exit. */
export class Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #out: Buffer[] = [];
  #outLen = 0;
  stderr = '';

  constructor(args: string[], opts: StartOptions = {}) {
    const script = opts.script ?? MAIN;
    const stdio: StdioOptions = ['ignore', opts.stdout ?? 'pipe', 'pipe'];
    const env = opts.env ?? process.env;
    if (opts.ulimit !== undefined) {
      const cmd = `ulimit -n ${opts.ulimit} && exec ${NODE_TSX} ${script} ${args.map(sq).join(' ')}`;
      this.child = spawn('sh', ['-c', cmd], { cwd: ROOT, stdio, env });
    } else {
      this.child = spawn(process.execPath, [...TSX, script, ...args], { cwd: ROOT, stdio, env });
    }
    this.child.stdout?.on('data', (d: Buffer) => {
      this.#out.push(d);
      this.#outLen += d.length;
      this.#changed();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.#changed();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.#closed = true;
        this.#changed();
        resolve({ code, signal });
      }),
    );
  }

  #closed = false;
  #watchers = new Set<() => void>();
  #changed(): void {
    for (const w of [...this.#watchers]) w();
  }

  /**
   * Resolve with `check()`'s first non-undefined value, tried now and again on each
   * chunk of the child's output; reject when the child has exited without it, or after
   * timeoutMs (a failsafe, scaled by IOREADY_TEST_SLOW), with `what` and the logs.
   */
  #onOutput<T>(check: () => T | undefined, what: () => string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#watchers.delete(watch);
      };
      const fail = (why: string): void => {
        done();
        reject(new Error(`${why}: ${what()}; stderr:\n${this.stderr.slice(-3000)}`));
      };
      const watch = (): void => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (this.#closed) fail(`exited (${this.child.exitCode ?? this.child.signalCode})`);
      };
      const timer = setTimeout(() => fail(`timed out after ${failsafe(timeoutMs)} ms`), failsafe(timeoutMs));
      this.#watchers.add(watch);
      watch();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything written to stdout so far (when it is a pipe we read). */
  get out(): Buffer {
    if (this.#out.length > 1) this.#out = [Buffer.concat(this.#out)];
    return this.#out[0] ?? Buffer.alloc(0);
  }

  get outLength(): number {
    return this.#outLen;
  }

  /** Resolve when `re` matches stderr (the logs). */
  waitLog(re: RegExp, timeoutMs = 20000): Promise<RegExpMatchArray> {
    return this.#onOutput(() => re.exec(this.stderr) ?? undefined, () => `no ${re} in stderr`, timeoutMs);
  }

  /** Resolve when stdout holds at least `n` bytes. */
  async waitOut(n: number, timeoutMs = 20000): Promise<void> {
    await this.#onOutput(() => (this.#outLen >= n ? true : undefined), () => `stdout has ${this.#outLen} of ${n} bytes`, timeoutMs);
  }

  /**
   * Resolve when `test()` holds (for what no output announces, e.g. the child's fd count),
   * checked every few ms; reject after timeoutMs (a failsafe, scaled by IOREADY_TEST_SLOW).
   */
  async until(test: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
    try {
      await until(test, what, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}; stderr:\n${this.stderr.slice(-3000)}`);
    }
  }

  /**
   * The child's fds whose /proc link matches `re` (default: its sockets, socket:[inode]),
   * sorted, by identity: the connections a server holds. Unlike a bare fd count, tsx or
   * Node closing a file of their own meanwhile does not change it.
   */
  fds(re = /^socket:/): string[] {
    const out: string[] = [];
    for (const fd of fs.readdirSync(`/proc/${this.pid}/fd`)) {
      try {
        const t = fs.readlinkSync(`/proc/${this.pid}/fd/${fd}`);
        if (re.test(t)) out.push(t);
      } catch {
        // closed meanwhile
      }
    }
    return out.sort();
  }

  /** The port from the 'Listening on ...:P' line. */
  async port(): Promise<number> {
    const m = await this.waitLog(/Listening on \S+:(\d+)/);
    return Number(m[1]);
  }

  /** Open fds of the child (its /proc/<pid>/fd). */
  fdCount(): number {
    return fs.readdirSync(`/proc/${this.pid}/fd`).length;
  }

  /** CPU time (user + system) the child used so far, in clock ticks (usually 1/100 s). */
  cpuTicks(): number {
    const stat = fs.readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** `ioready serve --port 0 ...args` with its port known. */
export async function startServe(args: string[] = [], opts: StartOptions = {}): Promise<[Proc, number]> {
  const p = new Proc(['serve', '--port', '0', ...args], opts);
  try {
    return [p, await p.port()];
  } catch (err) {
    p.kill('SIGKILL');
    throw err;
  }
}

/** Run the CLI to its end. */
export async function runCli(args: string[], opts: StartOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = new Proc(args, opts);
  const { code } = await p.exited;
  return { code, stdout: p.out.toString(), stderr: p.stderr };
}

/** Connect a Node net client to 127.0.0.1:port. */
export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Send `data`, half-close, and wait until the server closes its side. */
export function sendAll(port: number, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    s.on('error', reject);
    s.resume();
    s.on('close', () => resolve());
  });
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 255;
  }
  return b;
}

/** Run tmux with these arguments; its stdout. */
export function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
