/** Peer: ioready's synchronous Epoll.poll(), a loop that blocks the thread (Python's way). */
import { peerArgs, Window } from './common';
import { ioready } from './ioready';

const { Epoll, pipe, read, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const ep = new Epoll();
const byte = Buffer.from('x');
/** Handling a fan-in event: look at it (the level-triggered pipes stay readable). */
export let seen = 0;

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
  for (let i = 0; i < args.fanIn; i++) {
    const [r, wr] = pipe();
    write(wr, byte);
    ep.register(r);
  }
  for (;;) {
    const batch = ep.poll();
    for (const [fd, events] of batch) seen ^= fd + events;
    w.count += batch.length;
    w.due();
  }
}
