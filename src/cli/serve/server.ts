/**
 * The seed's loop, done right: one Epoll watching a listening socket and its
 * connections, on the Node event loop. It runs on the main thread, or in each
 * worker of `--workers N`. Every byte a client sends goes to `sink`, in order;
 * connections are watched for EPOLLIN | EPOLLRDHUP only, and a hang-up
 * unregisters and closes them.
 *
 * Out of fds (EMFILE), the listener would stay readable and a naive loop
 * would spin on accept(): libuv's trick keeps a spare fd (/dev/null) open,
 * and on EMFILE closes it, accepts and closes the pending connections, and
 * opens it again. Should even that fail, accepting pauses for a moment.
 */
import fs from 'node:fs';
import { EPOLLEXCLUSIVE, EPOLLIN, EPOLLRDHUP, eventNames } from '../../readiness/constants';
import { Epoll } from '../../readiness/epoll';
import { close } from '../../fd/fd';
import { type AcceptResult, type SocketAddress, accept, recv } from '../../fd/socket';
import { TerminalEscaper } from '../escape';
import { LEVELS, type Logger, pyList } from '../log';

/** Where client bytes go (copied: `buf` is reused right after). */
export type Sink = (buf: Uint8Array, off: number, len: number) => void;

export interface ServerOptions {
  /** The listening socket (owned by the caller, who closes it). */
  listenFd: number;
  /** Register the listener with EPOLLEXCLUSIVE (one listener shared by workers). */
  exclusive: boolean;
  log: Logger;
  sink: Sink;
  /** Escape control bytes (stdout is a terminal). */
  escape: boolean;
  /** Open connections, shared by every worker: `[0]` counts them. */
  counter: Int32Array;
  maxConnections: number;
}

const READ_SIZE = 1 << 16;
/** Reads per event before giving the other ready fds their turn (level-triggered: the rest comes back). */
const READS_PER_EVENT = 4;
const ACCEPTS_PER_EVENT = 64;
/** Bytes read from each connection when stopping. */
const STOP_DRAIN_LIMIT = 1 << 24;
const OUT_OF_FDS = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

/** An address's host as it is written before ':port': '127.0.0.1', '[::1]'. */
function hostText(a: Pick<SocketAddress, 'address' | 'family'>): string {
  return a.family === 'IPv6' ? `[${a.address}]` : a.address;
}

/** An endpoint as text: '127.0.0.1:9999', '[::1]:9999'. */
export function formatPeer(a: SocketAddress): string {
  return `${hostText(a)}:${a.port}`;
}

function openSpare(): number {
  try {
    return fs.openSync('/dev/null', 'r'); // close-on-exec, as every fd libuv opens
  } catch {
    return -1;
  }
}

/**
 * Peer hosts, each held once while some connection comes from it: a
 * connection keeps only its host's index, so 10,000 clients of one address
 * share one string, and a host no connection uses any more is let go.
 */
class Hosts {
  readonly #text: string[] = [];
  readonly #users: number[] = [];
  readonly #index = new Map<string, number>();
  readonly #free: number[] = [];

  /** The index of `text`, one more connection using it. */
  hold(text: string): number {
    let i = this.#index.get(text);
    if (i === undefined) {
      i = this.#free.pop() ?? this.#text.length;
      this.#text[i] = text;
      this.#users[i] = 0;
      this.#index.set(text, i);
    }
    this.#users[i]!++;
    return i;
  }

  /** One connection less uses host `i`. */
  release(i: number): void {
    if (--this.#users[i]! !== 0) return;
    this.#index.delete(this.#text[i]!);
    this.#text[i] = '';
    this.#free.push(i);
  }

  text(i: number): string {
    return this.#text[i]!;
  }
}

/**
 * What the server knows of its connections, in arrays indexed by fd (fds are
 * small dense integers): no object and no string per connection (the peer is
 * a port and the index of a shared host), so an idle connection costs a few
 * bytes of memory.
 */
class Connections {
  open = new Uint8Array(256);
  bytes = new Float64Array(256);
  port = new Uint16Array(256);
  host = new Uint32Array(256);
  readonly hosts = new Hosts();
  escapers = new Map<number, TerminalEscaper>();
  count = 0;

  add(a: AcceptResult, escaper: TerminalEscaper | null): void {
    const fd = a.fd;
    if (fd >= this.open.length) this.#grow(fd + 1);
    this.open[fd] = 1;
    this.bytes[fd] = 0;
    this.port[fd] = a.port;
    this.host[fd] = this.hosts.hold(hostText(a));
    if (escaper !== null) this.escapers.set(fd, escaper);
    this.count++;
  }

  has(fd: number): boolean {
    return fd < this.open.length && this.open[fd] === 1;
  }

  /** Forget `fd` (its byte count stays readable until the number is reused). */
  delete(fd: number): void {
    this.open[fd] = 0;
    this.escapers.delete(fd);
    this.hosts.release(this.host[fd]!);
    this.count--;
  }

  /** The peer of `fd` as text ('127.0.0.1:40000'); before delete(). */
  peer(fd: number): string {
    return `${this.hosts.text(this.host[fd]!)}:${this.port[fd]}`;
  }

  /** The open connections' fds. */
  fds(): number[] {
    const out: number[] = [];
    for (let fd = 0; fd < this.open.length; fd++) if (this.open[fd] === 1) out.push(fd);
    return out;
  }

  #grow(min: number): void {
    let size = this.open.length * 2;
    while (size < min) size *= 2;
    const grow = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const bigger = make(size);
      bigger.set(old);
      return bigger;
    };
    this.open = grow(this.open, (n) => new Uint8Array(n));
    this.bytes = grow(this.bytes, (n) => new Float64Array(n));
    this.port = grow(this.port, (n) => new Uint16Array(n));
    this.host = grow(this.host, (n) => new Uint32Array(n));
  }
}

export class Server {
  readonly #o: ServerOptions;
  readonly #ep = new Epoll();
  readonly #conns = new Connections();
  readonly #buf = Buffer.allocUnsafe(READ_SIZE);
  readonly #debug: boolean;
  #spare = openSpare();
  #listening = false;
  #paused = false;
  #resumeTimer: NodeJS.Timeout | null = null;

  constructor(options: ServerOptions) {
    this.#o = options;
    this.#debug = options.log.enabled(LEVELS.debug);
  }

  /** Open connections of this server. */
  get connections(): number {
    return this.#conns.count;
  }

  /** Watch the listener and start serving. */
  start(): void {
    this.#listen(true);
    this.#ep.start(this.#onEvent);
  }

  /** Stop reading (and accepting) until resume(): stdout is behind. */
  pause(): void {
    if (this.#paused || this.#ep.closed) return;
    this.#paused = true;
    this.#ep.stop();
  }

  resume(): void {
    if (!this.#paused || this.#ep.closed) return;
    this.#paused = false;
    this.#ep.start(this.#onEvent);
  }

  /**
   * Stop accepting, read what each connection still has (without waiting),
   * close every connection and the Epoll. The listener is left to its owner.
   */
  stop(): void {
    if (this.#ep.closed) return;
    this.#listen(false);
    if (this.#resumeTimer !== null) clearTimeout(this.#resumeTimer);
    for (const c of this.#conns.fds()) {
      let total = 0;
      for (;;) {
        let n: number | null;
        try {
          n = recv(c, this.#buf);
        } catch (err) {
          this.#close(c, (err as NodeJS.ErrnoException).code ?? 'error');
          break;
        }
        if (n === 0) {
          this.#close(c, 'EOF');
          break;
        }
        if (n === null || total >= STOP_DRAIN_LIMIT) {
          this.#close(c, 'server stopping');
          break;
        }
        total += n;
        this.#emit(c, n);
      }
    }
    this.#ep.close();
    if (this.#spare >= 0) close(this.#spare);
    this.#spare = -1;
  }

  #listen(on: boolean): void {
    if (on === this.#listening) return;
    const fd = this.#o.listenFd;
    if (on) this.#ep.register(fd, EPOLLIN | (this.#o.exclusive ? EPOLLEXCLUSIVE : 0));
    else this.#ep.unregister(fd);
    this.#listening = on;
  }

  #onEvent = (fd: number, events: number): void => {
    if (this.#debug) this.#o.log.debug(`Received (${fd}): ${pyList(eventNames(events))}`);
    if (fd === this.#o.listenFd) {
      this.#accept();
      return;
    }
    if (this.#conns.has(fd)) this.#read(fd, events);
  };

  #accept(): void {
    const { log, counter, maxConnections } = this.#o;
    for (let i = 0; i < ACCEPTS_PER_EVENT; i++) {
      let a: AcceptResult | null;
      try {
        a = accept(this.#o.listenFd);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (OUT_OF_FDS.has(code)) this.#outOfFds(code);
        else if (code === 'ECONNABORTED' || code === 'EPROTO' || code === 'EPERM') continue; // that one is gone
        else log.error(`accept: ${(err as Error).message}`);
        return;
      }
      if (a === null) return;
      if (Atomics.add(counter, 0, 1) >= maxConnections) {
        Atomics.sub(counter, 0, 1);
        close(a.fd);
        log.warning(`Connection (${a.fd}) from ${formatPeer(a)} closed at once: ${maxConnections} open (--max-connections)`);
        continue;
      }
      try {
        this.#ep.register(a.fd, EPOLLIN | EPOLLRDHUP);
      } catch (err) {
        Atomics.sub(counter, 0, 1);
        close(a.fd);
        log.error(`Connection (${a.fd}) from ${formatPeer(a)} closed at once: ${(err as Error).message}`);
        continue;
      }
      this.#conns.add(a, this.#o.escape ? new TerminalEscaper() : null);
      if (log.enabled(LEVELS.info)) log.info(`Connection (${a.fd}) from ${formatPeer(a)}`);
    }
  }

  /** accept() said EMFILE (or ENFILE...): drop what is pending, never spin. */
  #outOfFds(code: string): void {
    const { log, listenFd } = this.#o;
    if (this.#spare >= 0) {
      close(this.#spare);
      this.#spare = -1;
      for (;;) {
        let a: AcceptResult | null;
        try {
          a = accept(listenFd);
        } catch {
          break;
        }
        if (a === null) break;
        close(a.fd);
        log.warning(`Out of file descriptors (${code}): connection from ${formatPeer(a)} closed at once`);
      }
      this.#spare = openSpare();
      if (this.#spare >= 0) return;
    }
    // No spare to free: stop watching the listener for a while.
    log.warning(`Out of file descriptors (${code}): not accepting for 100 ms`);
    this.#listen(false);
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = null;
      if (this.#spare < 0) this.#spare = openSpare();
      if (!this.#ep.closed) this.#listen(true);
    }, 100);
  }

  #read(fd: number, events: number): void {
    for (let i = 0; i < READS_PER_EVENT; i++) {
      let n: number | null;
      try {
        n = recv(fd, this.#buf);
      } catch (err) {
        this.#close(fd, (err as NodeJS.ErrnoException).code ?? 'error'); // ECONNRESET...
        return;
      }
      if (n === null) return;
      if (n === 0) {
        this.#close(fd, 'EOF');
        return;
      }
      this.#emit(fd, n);
      // A short read drained the socket, unless the peer hung up: then read on to the EOF.
      if (n < READ_SIZE && (events & EPOLLRDHUP) === 0) return;
    }
  }

  #emit(fd: number, n: number): void {
    this.#conns.bytes[fd]! += n;
    const escaper = this.#o.escape ? this.#conns.escapers.get(fd) : undefined;
    if (escaper === undefined) this.#o.sink(this.#buf, 0, n);
    else {
      const shown = escaper.feed(this.#buf, 0, n);
      this.#o.sink(shown, 0, shown.length);
    }
  }

  #close(fd: number, why: string): void {
    const escaper = this.#conns.escapers.get(fd);
    const { log } = this.#o;
    const peer = log.enabled(LEVELS.info) ? this.#conns.peer(fd) : '';
    this.#conns.delete(fd);
    this.#ep.unregister(fd);
    close(fd);
    Atomics.sub(this.#o.counter, 0, 1);
    if (escaper !== undefined) {
      const tail = escaper.end();
      this.#o.sink(tail, 0, tail.length);
    }
    if (log.enabled(LEVELS.info)) log.info(`Connection (${fd}) from ${peer} closed (${why}) after ${this.#conns.bytes[fd]} bytes`);
  }
}
