/** Peer: ioready's Epoll.start(), readiness delivered on the Node event loop. */
import { fanInPipes, peerArgs, Window } from './common';
import { ioready } from './ioready';

const { Epoll, pipe, read, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const ep = new Epoll();
const byte = Buffer.from('x');
/**
 * IOREADY_BENCH_RANGE=1 (peer ioready-start-range): the handler as a user
 * writes it, as the independent harness of #18 did: `read(fd, buf, 0, 1)`
 * and `write(fd, buf, 0, 1)` with an offset and a length, and a Map from fd
 * to its partner, where Python's peer uses a dict (its list is as fast).
 */
const range = process.env.IOREADY_BENCH_RANGE === '1';
/** start()'s options: IOREADY_BENCH_ROUNDS=1 for one batch per loop turn (libuv's way). */
const options = process.env.IOREADY_BENCH_ROUNDS ? { rounds: Number(process.env.IOREADY_BENCH_ROUNDS) } : undefined;

if (range) {
  const partner = new Map<number, number>();
  if (args.workload === 'pingpong') {
    const [ar, aw] = pipe();
    const [br, bw] = pipe();
    partner.set(ar, bw).set(br, aw);
    ep.register(ar);
    ep.register(br);
    ep.start((fd) => {
      read(fd, byte, 0, 1);
      write(partner.get(fd)!, byte, 0, 1);
      if (fd === br && (++w.count & 255) === 0) w.due();
    }, options);
    write(aw, byte, 0, 1);
  } else {
    const writeEnd = fanInPipes(args.fanIn, ep.register.bind(ep));
    writeEnd.forEach((wr, r) => wr >= 0 && partner.set(r, wr));
    ep.start((fd) => {
      read(fd, byte, 0, 1);
      write(partner.get(fd)!, byte, 0, 1);
      if ((++w.count & 1023) === 0) w.due();
    }, options);
  }
} else if (args.workload === 'pingpong') {
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
