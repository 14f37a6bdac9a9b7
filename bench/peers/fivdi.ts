/**
 * Peer: the npm package `epoll` (fivdi's): a thread blocks in
 * epoll_wait(maxevents = 1) and hops to the main thread once per event.
 * Reads and writes use ioready's read/write, the cheapest there is, so the
 * comparison is of readiness delivery alone (fivdi's README uses fs.readSync).
 */
import { peerArgs, Window } from './common';
import { ioready } from './ioready';

type Callback = (err: Error | null, fd: number, events: number) => void;
interface FivdiEpoll {
  add(fd: number, events: number): FivdiEpoll;
}
interface FivdiModule {
  Epoll: { new (callback: Callback): FivdiEpoll; EPOLLIN: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Epoll } = require('epoll') as FivdiModule;

const { pipe, read, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const byte = Buffer.from('x');
/** Handling a fan-in event: look at it (the level-triggered pipes stay readable). */
export let seen = 0;

function fail(err: Error): never {
  throw err;
}

if (args.workload === 'pingpong') {
  const [ar, aw] = pipe();
  const [br, bw] = pipe();
  const ep = new Epoll((err, fd) => {
    if (err) fail(err);
    read(fd, byte);
    if (fd === ar) {
      write(bw, byte);
    } else {
      write(aw, byte);
      if ((++w.count & 255) === 0) w.due();
    }
  });
  ep.add(ar, Epoll.EPOLLIN).add(br, Epoll.EPOLLIN);
  write(aw, byte);
} else {
  const ep = new Epoll((err, fd, events) => {
    if (err) fail(err);
    seen ^= fd + events;
    if ((++w.count & 1023) === 0) w.due();
  });
  for (let i = 0; i < args.fanIn; i++) {
    const [r, wr] = pipe();
    write(wr, byte);
    ep.add(r, Epoll.EPOLLIN);
  }
}
