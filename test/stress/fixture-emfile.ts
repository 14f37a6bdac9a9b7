// Child of test/faults.test.ts (run under `ulimit -n 80`): fill the fd table,
// then show what accept() does at EMFILE and how a spare fd gets past it.
// Prints one JSON line.
import fs from 'node:fs';

import { accept, bind, close, connect, Epoll, EPOLLIN, listen, localAddress, pipe, socket } from '../../src/index';

const listener = socket('IPv4');
bind(listener, '127.0.0.1', 0);
listen(listener, 16);
const port = localAddress(listener).port;
// Three clients first (they need fds too), then fill the table.
const clients = [0, 1, 2].map(() => {
  const c = socket('IPv4');
  connect(c, '127.0.0.1', port);
  return c;
});
const ep = new Epoll();
ep.register(listener, EPOLLIN);
const filler: number[] = [];
let fillErr = '';
try {
  for (;;) filler.push(...pipe());
} catch (e) {
  fillErr = (e as { code: string }).code;
}
try {
  for (;;) filler.push(socket('IPv4')); // the last odd slot
} catch (e) {
  fillErr += `/${(e as { code: string }).code}`;
}
const ready = ep.poll(2000);
let acceptErr: { code?: string; syscall?: string; name?: string } = {};
try {
  accept(listener);
} catch (e) {
  const err = e as Error & { code: string; syscall: string };
  acceptErr = { code: err.code, syscall: err.syscall, name: err.name };
}
// Reading fdinfo takes an fd: lend it one, then fill the table again.
close(filler.pop()!);
const stillRegistered = fs
  .readFileSync(`/proc/self/fdinfo/${ep.fd}`, 'utf8')
  .split('\n')
  .some((l) => l.startsWith('tfd:') && l.split(/\s+/)[1] === String(listener));
filler.push(socket('IPv4'));
const againReady = ep.poll(0);
// libuv's trick: free a spare fd, accept (and here just close) one, take the spare back.
let accepted = 0;
for (let i = 0; i < 3; i++) {
  close(filler.pop()!);
  const c = accept(listener);
  if (c) {
    accepted++;
    close(c.fd);
  }
  filler.push(socket('IPv4'));
}
const after = ep.poll(0);
for (const fd of [...filler, ...clients, listener]) close(fd);
ep.close();
process.stdout.write(`${JSON.stringify({ fillErr, ready, listener, acceptErr, stillRegistered, againReady, accepted, after })}\n`);
