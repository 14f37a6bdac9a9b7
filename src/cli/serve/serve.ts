/**
 * `ioready serve`: the seed's server as a product. Accepts TCP connections on
 * ioready's own sockets and Epoll and writes every byte each client sends to
 * stdout, in order per connection, and nothing else there; logs go to stderr
 * in the seed's format.
 *
 * With `--workers N`, N worker threads each run a Server with its own Epoll
 * and its own listener on the port (SO_REUSEPORT): the kernel spreads the
 * connections over them by their addresses, and a connection stays with the
 * worker that accepted it, so its bytes stay in order. One listener watched
 * by every worker with EPOLLEXCLUSIVE costs the same CPU per message but
 * hands nearly every connection to whichever worker was woken first (998 of
 * 1,000 in a test), so the other cores idle while it serves them all.
 * SO_REUSEPORT would let a second server bind the port and silently share
 * it: a bind without SO_REUSEPORT first makes that EADDRINUSE, as for one
 * listener. Workers do not write stdout themselves: a write(2) to a pipe
 * larger than PIPE_BUF, or a partial non-blocking one, may be cut by another
 * thread's write, splitting a client's chunk. Instead each worker posts the
 * bytes of each epoll batch (whole chunks) to the main thread, which alone
 * writes stdout: one writer, so chunks never interleave.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import path from 'node:path';
import { isatty } from 'node:tty';
import { Worker } from 'node:worker_threads';
import { close } from '../../fd/fd';
import { SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, type SocketFamily, bind, listen, localAddress, setsockopt, socket } from '../../fd/socket';
import { parseCommandLine } from '../args';
import { CliError, UsageError } from '../errors';
import { LEVELS, type LevelName, Logger } from '../log';
import { onStopSignals } from '../signals';
import { FdWriter } from '../writer';
import { Server, formatPeer } from './server';

export const SERVE_USAGE = `Usage: ioready serve [options]

Accept TCP connections and write every byte each client sends to stdout, in
order per connection, and nothing else; log events to stderr.

Options:
  -H, --host H              IP address to listen on (default 127.0.0.1; 0.0.0.0
                            or :: for every interface; 'localhost' is 127.0.0.1)
  -p, --port P              TCP port, 0-65535 (default 9999; 0 picks a free one)
      --backlog N           listen(2) backlog (default 511)
      --max-connections N   close connections beyond N at once (default: no limit)
  -w, --workers N           serve from N threads, each with its own Epoll
                            (default 1)
      --raw                 on a terminal, show control bytes as they are
                            (default: escaped, as \\x1b)
      --log-level L         debug (a line per event), info (a line per
                            connection), warning or error (default debug)
  -h, --help                show this help
`;

export interface ServeOptions {
  host: string;
  family: SocketFamily;
  port: number;
  backlog: number;
  maxConnections: number;
  workers: number;
  raw: boolean;
  logLevel: LevelName;
  help: boolean;
}

/** What a worker thread is told (structured-cloned; the counter is shared). */
export interface WorkerData {
  id: number;
  listenFd: number;
  exclusive: boolean;
  logLevel: LevelName;
  escape: boolean;
  counter: Int32Array;
  maxConnections: number;
}

function intOption(name: string, text: string | undefined, min: number, max: number, dflt: number): number {
  if (text === undefined) return dflt;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not '${text}'`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name} is out of range: it must be from ${min} to ${max}, not '${text}'`);
  return n;
}

/**
 * Parse `serve`'s arguments.
 * @throws UsageError for an unknown option or a bad value
 */
export function parseServeArgs(args: string[]): ServeOptions {
  const { values } = parseCommandLine(
    args,
    {
      host: { type: 'string', short: 'H' },
      port: { type: 'string', short: 'p' },
      backlog: { type: 'string' },
      'max-connections': { type: 'string' },
      workers: { type: 'string', short: 'w' },
      raw: { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  let host = values.host ?? '127.0.0.1';
  if (host === 'localhost') host = '127.0.0.1';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  let family: SocketFamily;
  if (isIPv4(host)) family = 'IPv4';
  else if (isIPv6(host)) family = 'IPv6';
  else throw new UsageError(`--host must be an IP address such as 127.0.0.1 or :: (no name resolution), not '${values.host}'`);
  const level = values['log-level'] ?? 'debug';
  if (!Object.hasOwn(LEVELS, level)) throw new UsageError(`--log-level must be debug, info, warning or error, not '${level}'`);
  return {
    host,
    family,
    port: intOption('port', values.port, 0, 65535, 9999),
    backlog: intOption('backlog', values.backlog, 1, 0x7fffffff, 511),
    maxConnections: intOption('max-connections', values['max-connections'], 1, 0x7fffffff, 0x7fffffff),
    workers: intOption('workers', values.workers, 1, 256, 1),
    raw: values.raw ?? false,
    logLevel: level as LevelName,
    help: values.help ?? false,
  };
}

/** The lowest port an unprivileged user may bind (Linux: 1024 unless changed). */
function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'ascii'));
  } catch {
    return 1024;
  }
}

const showHost = (o: ServeOptions, port: number): string => formatPeer({ address: o.host, port, family: o.family });

/**
 * A listening socket on the options' address.
 * @throws CliError with a one-line reason (EADDRINUSE, EACCES...)
 */
function listenOn(o: ServeOptions, port: number, reusePort: boolean): number {
  const fd = socket(o.family);
  try {
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, true);
    if (reusePort) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, true);
    bind(fd, o.host, port);
    listen(fd, o.backlog);
    return fd;
  } catch (err) {
    close(fd);
    const e = err as NodeJS.ErrnoException;
    const where = `cannot listen on ${showHost(o, port)}`;
    if (e.code === 'EADDRINUSE') throw new CliError(`${where}: address already in use (EADDRINUSE)`);
    if (e.code === 'EACCES') {
      throw new CliError(`${where}: permission denied (EACCES): ports below ${unprivilegedPortStart()} need root or CAP_NET_BIND_SERVICE`);
    }
    if (e.code === 'EADDRNOTAVAIL') throw new CliError(`${where}: no such address on this machine (EADDRNOTAVAIL)`);
    throw new CliError(`${where}: ${e.message}`);
  }
}

/**
 * How `--workers N` shares the port: 'reuseport', what `ioready serve` does
 * (a listener per worker, SO_REUSEPORT), or 'exclusive' (one listener in
 * every worker's Epoll with EPOLLEXCLUSIVE), the way not taken (see the
 * module doc). No option or environment variable picks 'exclusive': only
 * bench/serve/ioready-exclusive.js does, for `npm run bench -- serve` to measure it.
 * @internal
 */
export type Balance = 'reuseport' | 'exclusive';

/**
 * Fail with EADDRINUSE if anything listens on the port, also a group of
 * SO_REUSEPORT listeners, which our own SO_REUSEPORT listeners would join.
 */
function checkPortFree(o: ServeOptions): void {
  if (o.port === 0) return; // the kernel picks a port nobody uses
  const probe = socket(o.family);
  try {
    setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, true);
    bind(probe, o.host, o.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(`cannot listen on ${showHost(o, o.port)}: address already in use (EADDRINUSE)`);
    }
    // anything else (EACCES...) is reported by the real bind
  } finally {
    close(probe);
  }
}

const WORKER_FILE = path.join(__dirname, `worker${path.extname(__filename)}`);

/** A worker thread running worker.ts (on its own SO_REUSEPORT listener, or the shared one); from the TypeScript sources (tests), through tsx. */
function startWorker(data: WorkerData): Worker {
  const options = { workerData: data, stdout: false, stderr: false };
  if (WORKER_FILE.endsWith('.ts')) {
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER_FILE)});`, { ...options, eval: true });
  }
  return new Worker(WORKER_FILE, options);
}

/**
 * Run `ioready serve` until SIGINT/SIGTERM.
 * @param balance how `--workers N` shares the port (only the benchmark passes it)
 * @returns the exit code (0 after a signal, 1 if stdout failed)
 * @throws UsageError / CliError before serving (bad option, port in use...)
 */
export async function serve(args: string[], balance: Balance = 'reuseport'): Promise<number> {
  const o = parseServeArgs(args);
  if (o.help) {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  const log = new Logger('ioready.serve', o.logLevel);
  let output: FdWriter;
  try {
    output = new FdWriter(1, { nonblocking: true });
  } catch (err) {
    throw new CliError(`stdout: ${(err as Error).message}`);
  }
  const escape = !o.raw && isatty(1);
  const counter = new Int32Array(new SharedArrayBuffer(4));
  return o.workers === 1 ? serveHere(o, log, output, escape, counter) : serveFromWorkers(o, log, output, escape, counter, balance);
}

async function serveHere(o: ServeOptions, log: Logger, output: FdWriter, escape: boolean, counter: Int32Array): Promise<number> {
  const listenFd = listenOn(o, o.port, false);
  const server = new Server({
    listenFd,
    exclusive: false,
    log,
    sink: (buf, off, len) => output.push(buf, off, len),
    escape,
    counter,
    maxConnections: o.maxConnections,
  });
  server.start();
  log.info(`Listening on ${showHost(o, localAddress(listenFd).port)} (fd ${listenFd})`);
  let removeSignals = (): void => {};
  const code = await new Promise<number>((resolve) => {
    let done = false;
    const finish = (c: number): void => {
      if (done) return; // a signal and a stdout failure may both come
      done = true;
      server.stop();
      close(listenFd);
      resolve(c);
    };
    removeSignals = onStopSignals(log, 'no longer accepting; flushing and closing', () => finish(0)); // kept until flushed
    output.onPressure = (stop) => (stop ? server.pause() : server.resume());
    output.onError = (err) => {
      log.error(`stdout: ${err.message}`);
      finish(1);
    };
  });
  await output.drain();
  removeSignals();
  output.close();
  log.flush();
  return code;
}

async function serveFromWorkers(
  o: ServeOptions,
  log: Logger,
  output: FdWriter,
  escape: boolean,
  counter: Int32Array,
  mode: Balance,
): Promise<number> {
  if (mode === 'reuseport') checkPortFree(o);
  const listeners: number[] = [];
  try {
    let port = o.port;
    const count = mode === 'reuseport' ? o.workers : 1;
    for (let i = 0; i < count; i++) {
      const fd = listenOn(o, port, mode === 'reuseport');
      listeners.push(fd);
      port = localAddress(fd).port; // port 0: the others join the one the kernel picked
    }
  } catch (err) {
    for (const fd of listeners) close(fd);
    throw err;
  }
  const workers: Worker[] = [];
  /** Workers that have not yet said 'stopped' (or died). */
  const running = new Set<Worker>();
  let removeSignals = (): void => {};
  const code = await new Promise<number>((resolve) => {
    let done = false;
    const finish = (c: number): void => {
      if (done) return;
      done = true;
      resolve(c);
    };
    const stopAll = (c: number): void => {
      exitCode = Math.max(exitCode, c);
      if (running.size === 0) finish(exitCode);
      for (const w of running) w.postMessage('stop');
    };
    const gone = (w: Worker): void => {
      if (running.delete(w) && running.size === 0) finish(exitCode);
    };
    let exitCode = 0;
    removeSignals = onStopSignals(log, 'no longer accepting; flushing and closing', () => stopAll(0)); // kept until flushed
    for (let i = 0; i < o.workers; i++) {
      const data: WorkerData = {
        id: i + 1,
        listenFd: listeners[mode === 'reuseport' ? i : 0]!,
        exclusive: mode === 'exclusive',
        logLevel: o.logLevel,
        escape,
        counter,
        maxConnections: o.maxConnections,
      };
      const w = startWorker(data);
      w.on('message', (m: unknown) => {
        if (m instanceof ArrayBuffer) output.push(new Uint8Array(m));
        else if (m === 'stopped') gone(w);
      });
      w.on('error', (err) => {
        log.error(`worker ${i + 1}: ${err.message}`);
        gone(w);
        stopAll(1);
      });
      w.on('exit', () => gone(w));
      workers.push(w);
      running.add(w);
    }
    output.onPressure = (stop) => {
      for (const w of workers) w.postMessage(stop ? 'pause' : 'resume');
    };
    output.onError = (err) => {
      log.error(`stdout: ${err.message}`);
      stopAll(1);
    };
    log.info(`Listening on ${showHost(o, localAddress(listeners[0]!).port)} with ${o.workers} workers (${mode === 'reuseport' ? 'SO_REUSEPORT' : 'EPOLLEXCLUSIVE'})`);
  });
  await Promise.all(workers.map((w) => w.terminate()));
  for (const fd of listeners) close(fd);
  await output.drain();
  removeSignals();
  output.close();
  log.flush();
  return code;
}
