/** Peer: ioready's synchronous Epoll.poll(), a loop that blocks the thread (Python's way). */
import { fanInPipes, peerArgs, Window } from './common';
import { ioready } from './ioready';

const { Epoll, pipe, read, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const ep = new Epoll();
const byte = Buffer.from('x');

if (args.workload === 'pingpong') {
  const [ar, aw] = pipe();
  const [br, bw] = pipe();
  ep.register(ar);
  ep.register(br);
  write(aw, byte);
  for (;;) {
    for (const [fd] of ep.poll()) {
      read(fd, byte);
      if (fd === ar) {
        write(bw, byte);
      } else {
        write(aw, byte);
        if ((++w.count & 255) === 0) w.due();
      }
    }
  }
} else {
  const writeEnd = fanInPipes(args.fanIn, ep.register.bind(ep));
  for (;;) {
    const batch = ep.poll();
    // Handling a fan-in event: read the byte and write it back, so the pipe is ready again.
    for (const [fd] of batch) {
      read(fd, byte);
      write(writeEnd[fd]!, byte);
    }
    w.count += batch.length;
    w.due();
  }
}
