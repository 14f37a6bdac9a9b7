/** Peer: ioready's Epoll.start(), readiness delivered on the Node event loop. */
import { fanInPipes, peerArgs, Window } from './common';
import { ioready } from './ioready';

const { Epoll, pipe, read, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const ep = new Epoll();
const byte = Buffer.from('x');
/** start()'s options: IOREADY_BENCH_ROUNDS=1 for one batch per loop turn (libuv's way). */
const options = process.env.IOREADY_BENCH_ROUNDS ? { rounds: Number(process.env.IOREADY_BENCH_ROUNDS) } : undefined;

if (args.workload === 'pingpong') {
  const [ar, aw] = pipe();
  const [br, bw] = pipe();
  ep.register(ar);
  ep.register(br);
  ep.start((fd) => {
    read(fd, byte);
    if (fd === ar) {
      write(bw, byte);
    } else {
      write(aw, byte);
      if ((++w.count & 255) === 0) w.due();
    }
  }, options);
  write(aw, byte);
} else {
  const writeEnd = fanInPipes(args.fanIn, ep.register.bind(ep));
  // Handling a fan-in event: read the byte and write it back, so the pipe is ready again.
  ep.start((fd) => {
    read(fd, byte);
    write(writeEnd[fd]!, byte);
    if ((++w.count & 1023) === 0) w.due();
  }, options);
}
