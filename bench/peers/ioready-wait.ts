/**
 * Peer: ioready's Epoll.wait() in an async loop (and, with
 * IOREADY_BENCH_EVENTS=1, `for await` over Epoll.events()): one promise per
 * batch, so the per-batch cost of the promise API shows next to start().
 */
import { fanInPipes, peerArgs, Window } from './common';
import { ioready } from './ioready';

const { Epoll, pipe, read, write } = ioready;
type Batch = Array<[number, number]>;
const viaEvents = process.env.IOREADY_BENCH_EVENTS === '1';
const args = peerArgs();
const w = new Window(args);
const ep = new Epoll();
const byte = Buffer.from('x');

async function main(): Promise<void> {
  if (args.workload === 'pingpong') {
    const [ar, aw] = pipe();
    const [br, bw] = pipe();
    ep.register(ar);
    ep.register(br);
    write(aw, byte);
    if (viaEvents) {
      for await (const batch of ep.events()) pingpong(batch, ar, aw, bw);
    } else {
      for (;;) pingpong(await ep.wait(), ar, aw, bw);
    }
  } else {
    const writeEnd = fanInPipes(args.fanIn, ep.register.bind(ep));
    const fanIn = (batch: Batch): void => {
      // Handling a fan-in event: read the byte and write it back, so the pipe is ready again.
      for (const [fd] of batch) {
        read(fd, byte);
        write(writeEnd[fd]!, byte);
      }
      w.count += batch.length;
      w.due();
    };
    if (viaEvents) {
      for await (const batch of ep.events()) fanIn(batch);
    } else {
      for (;;) fanIn(await ep.wait());
    }
  }
}

function pingpong(batch: Batch, ar: number, aw: number, bw: number): void {
  for (const [fd] of batch) {
    read(fd, byte);
    if (fd === ar) {
      write(bw, byte);
    } else {
      write(aw, byte);
      if ((++w.count & 255) === 0) w.due();
    }
  }
}

void main();
