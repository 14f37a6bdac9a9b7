// Wait for a pipe to become readable: the smallest use of ioready.
import { Epoll, EPOLLIN, eventNames, pipe, read, write } from '../src/index';

const ep = new Epoll();
const [r, w] = pipe();
ep.register(r, EPOLLIN);
setTimeout(() => write(w, Buffer.from('hello\n')), 100);
ep.start((fd, events) => {
  const buf = Buffer.alloc(64);
  console.log(`fd ${fd} ready: ${eventNames(events).join('|')}: ${buf.toString('utf8', 0, read(fd, buf) ?? 0).trim()}`);
  ep.close();
});
