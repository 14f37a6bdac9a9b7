/**
 * Peer: plain Node, what a Node user does today: a net.Socket over each pipe
 * end, 'data' events from libuv. In fan-in, as for every peer, each event
 * reads the byte (the stream does) and writes it back (a direct write(2), the
 * cheapest there is), so the pipe is ready again.
 */
import net from 'node:net';
import { peerArgs, Window } from './common';
import { ioready } from './ioready';

const { pipe, write } = ioready;
const args = peerArgs();
const w = new Window(args);
const byte = Buffer.from('x');

if (args.workload === 'pingpong') {
  const [ar, aw] = pipe();
  const [br, bw] = pipe();
  const aIn = new net.Socket({ fd: ar, readable: true, writable: false });
  const bIn = new net.Socket({ fd: br, readable: true, writable: false });
  const aOut = new net.Socket({ fd: aw, readable: false, writable: true });
  const bOut = new net.Socket({ fd: bw, readable: false, writable: true });
  aIn.on('data', (chunk: Buffer) => bOut.write(chunk));
  bIn.on('data', (chunk: Buffer) => {
    aOut.write(chunk);
    if ((++w.count & 255) === 0) w.due();
  });
  aOut.write(byte);
} else {
  for (let i = 0; i < args.fanIn; i++) {
    const [r, wr] = pipe();
    const s = new net.Socket({ fd: r, readable: true, writable: false });
    s.on('data', () => {
      write(wr, byte);
      if ((++w.count & 1023) === 0) w.due();
    });
    write(wr, byte);
  }
}
