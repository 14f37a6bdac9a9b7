// Helpers for the CLI tests: run `ioready` (from src, through tsx) as a child
// process, wait for its log lines, count its fds and CPU time, drive clients.
import { type ChildProcess, type StdioOptions, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { ROOT, sleep } from './helpers';

export const MAIN = 'src/cli/main.ts';
export const NODE_TSX = `${process.execPath} --import tsx`;

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
      this.child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio, env });
    }
    this.child.stdout?.on('data', (d: Buffer) => {
      this.#out.push(d);
      this.#outLen += d.length;
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
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
  async waitLog(re: RegExp, timeoutMs = 20000): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.stderr);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > end) {
        throw new Error(`no ${re} in stderr (exit ${this.child.exitCode}):\n${this.stderr.slice(-3000)}`);
      }
      await sleep(20);
    }
  }

  /** Resolve when stdout holds at least `n` bytes. */
  async waitOut(n: number, timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (this.#outLen < n) {
      if (Date.now() > end) throw new Error(`stdout has ${this.#outLen} of ${n} bytes`);
      await sleep(20);
    }
  }

  /** Resolve when `test()` holds. */
  async until(test: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!test()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr.slice(-3000)}`);
      await sleep(20);
    }
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
