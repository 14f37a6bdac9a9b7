// The seed: "World's Simplest Python epoll Example" - a TCP server on port 9999
// that prints whatever clients type - line for line on ioready. Its bugs are
// fixed; each fix says FIX. Run: npx tsx examples/seed-server.ts [port], then
// telnet localhost 9999. (`npx ioready serve` is the same server as a product.)
import {
  EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLRDHUP, Epoll, SOL_SOCKET, SO_REUSEADDR, type AcceptResult,
  accept, bind, close, eventNames, listen, recv, setsockopt, socket, write,
} from '../src/index';

const _MAX_CONNECTION_BACKLOG = 128; // FIX: was 1, a queue of one for the clients still to be accepted
const _PORT = Number(process.argv[2] ?? 9999);
const _BINDING = ['127.0.0.1', _PORT] as const; // FIX: was 0.0.0.0, open to the whole network
const _EPOLL_BLOCK_DURATION_MS = 1000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const _asctime = (d = new Date()): string =>
  `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;

// '%(asctime)s - %(name)s - %(levelname)s - %(message)s' on stderr, as logging.StreamHandler
const _LOGGER = { debug: (msg: string) => process.stderr.write(`${_asctime()} - __main__ - DEBUG - ${msg}\n`) };

const _CONNECTIONS = new Map<number, AcceptResult>();

// The seed's _EVENT_LOOKUP table, as ioready names the bits.
const _get_flag_names = (flags: number): string => `[${eventNames(flags).map((n) => `'${n}'`).join(', ')}]`;

// (The seed's name: it handles socket events.)
function _handle_inotify_event(epoll: Epoll, server: number, fd: number, event_type: number): void {
  // FIX: no need to skip POLLOUT events any more: nothing registers for EPOLLOUT.
  _LOGGER.debug(`Received (${fd}): ${_get_flag_names(event_type)}`);

  // Activity on the master socket means a new connection.
  if (fd === server) {
    _LOGGER.debug(`Received connection: (${event_type})`);

    const c = accept(server); // non-blocking already: ioready's default
    if (c === null) return;

    const child_fd = c.fd;

    // Start watching the new connection.
    // FIX: was the default IN|PRI|OUT; a connection is writable all the time,
    // so epoll never slept. Ask only for input, and for the peer's hang-up.
    epoll.register(child_fd, EPOLLIN | EPOLLRDHUP);

    _CONNECTIONS.set(child_fd, c);
  } else {
    // Child connection can read (or hung up).
    if (event_type & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      const b = Buffer.alloc(1024);
      let n: number | null = 0;
      try {
        n = recv(fd, b);
      } catch {
        // ECONNRESET: a hang-up too
      }
      if (n === null) return;
      if (n === 0) {
        // FIX: the seed never noticed a hang-up, kept the socket, and spun on its events.
        epoll.unregister(fd);
        close(fd);
        _CONNECTIONS.delete(fd);
        return;
      }
      // FIX: was sys.stdout.write(b), bytes to a text stream (a TypeError in
      // Python 3): write the bytes themselves to fd 1 (blocking, as the seed's stdout).
      write(1, b, 0, n);
    }
  }
}

function _create_server_socket(): number {
  const s = socket('IPv4', 'stream'); // non-blocking (the seed's setblocking(0)) and close-on-exec
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, 1);
  bind(s, ..._BINDING);
  listen(s, _MAX_CONNECTION_BACKLOG);

  return s;
}

function _run_server(): void {
  const s = _create_server_socket();

  const e = new Epoll();

  // If not provided, event-mask defaults to EPOLLIN (Python's: IN|PRI|OUT).
  e.register(s);

  try {
    for (;;) {
      const events = e.poll(_EPOLL_BLOCK_DURATION_MS);
      for (const [fd, event_type] of events) {
        _handle_inotify_event(e, s, fd, event_type);
      }
    }
  } finally {
    e.unregister(s);
    e.close();
    close(s);
  }
}

_run_server();
