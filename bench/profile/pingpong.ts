/**
 * Ping-pong for callgrind: N round trips between two pipes (each event reads
 * the byte and writes it to the other pipe), then exit. bench/profile.sh runs
 * it under callgrind --toggle-collect=uv_run twice (two N) and takes the
 * difference, so start-up and warm-up cancel out:
 *
 *   node --single-threaded --import tsx bench/profile/pingpong.ts start|start1|wait|poll N
 *
 * - start:  Epoll.start() with its default options
 * - start1: Epoll.start(listener, { rounds: 1 }): one batch per loop turn (libuv's way)
 * - start64: Epoll.start(listener, { rounds: 64 }), the most
 * - wait:   await Epoll.wait() in a loop
 * - poll:   synchronous Epoll.poll() in a loop (run from a setImmediate, so inside uv_run too)
 */
import { ioready } from '../peers/ioready';

const { Epoll, pipe, read, write } = ioready;
const [mode, count] = [process.argv[2], Number(process.argv[3])];
const ep = new Epoll();
const [ar, aw] = pipe();
const [br, bw] = pipe();
ep.register(ar);
ep.register(br);
const byte = Buffer.from('x');
let trips = 0;

/** Handle one event; false once N round trips are done. */
function onEvent(fd: number): boolean {
  read(fd, byte);
  if (fd === ar) {
    write(bw, byte);
    return true;
  }
  if (++trips >= count) return false;
  write(aw, byte);
  return true;
}

if (mode === 'start' || mode === 'start1' || mode === 'start64') {
  ep.start(
    (fd) => {
      if (!onEvent(fd)) ep.close();
    },
    mode === 'start1' ? { rounds: 1 } : mode === 'start64' ? { rounds: 64 } : undefined,
  );
  write(aw, byte);
} else if (mode === 'wait') {
  write(aw, byte);
  void (async () => {
    for (;;) {
      for (const [fd] of await ep.wait()) {
        if (!onEvent(fd)) return ep.close();
      }
    }
  })();
} else if (mode === 'poll') {
  write(aw, byte);
  setImmediate(() => {
    for (;;) {
      for (const [fd] of ep.poll()) {
        if (!onEvent(fd)) return ep.close();
      }
    }
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}
