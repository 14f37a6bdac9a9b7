/**
 * Peer: the npm package `epoll` (fivdi's): a thread blocks in
 * epoll_wait(maxevents = 1) and hops to the main thread once per event.
 * Reads and writes use ioready's read/write, the cheapest there is, so the
 * comparison is of readiness delivery alone (fivdi's README uses fs.readSync).
 */
import { fanInPipes, peerArgs, Window } from './common';
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
  // Handling a fan-in event: read the byte and write it back, so the pipe is ready again.
  const ep = new Epoll((err, fd) => {
    if (err) fail(err);
    read(fd, byte);
    write(writeEnd[fd]!, byte);
    if ((++w.count & 1023) === 0) w.due();
  });
  const writeEnd = fanInPipes(args.fanIn, (fd) => ep.add(fd, Epoll.EPOLLIN));
}
