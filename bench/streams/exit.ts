/**
 * Process exit as a user sees it, with a stream over an idle FIFO (opened read-write
 * by this process, so a writer is always there and nothing ever arrives) or an idle
 * character device (FIFO names a /dev/input/eventN in the test VM):
 *
 *   destroy FIFO [ioready|fs]  a flowing stream; prints "destroy" and destroys it: the
 *                              process should end at once (fs: a threadpool read()
 *                              blocked on the FIFO holds it, nodejs/node #15439)
 *   unref FIFO                 a flowing stream, unref()'d: prints "ready"; the process
 *                              should end by itself, the stream still open
 *   flowing FIFO               a flowing stream: prints "ready" and stays alive until
 *                              a line "quit" arrives through the FIFO
 *   idle-cpu FIFO MS           a flowing stream left idle for MS ms: prints the CPU
 *                              time used meanwhile (no busy loop: about 0)
 *   write-full FIFO [unref]    a write stream into the FIFO (opened read-write, never
 *                              read) with a write waiting for room: prints "ready";
 *                              stays alive as a socket with a pending write does,
 *                              or (unref) ends by itself
 *
 *   node --import tsx bench/streams/exit.ts MODE FIFO [ARG]
 */
import fs from 'node:fs';
import type { Readable } from 'node:stream';

import { createReadStream, createWriteStream } from '../../src/index';

const [mode, fifo, arg] = process.argv.slice(2);
const say = (line: string): void => {
  fs.writeSync(1, `${line}\n`);
};

if (mode === 'write-full') {
  const ws = createWriteStream(fs.openSync(fifo!, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
  ws.on('error', () => undefined);
  ws.write(Buffer.alloc(1024 * 1024)); // more than the pipe holds: the rest waits for EPOLLOUT
  if (arg === 'unref') ws.unref();
  say('ready');
} else if (mode === 'destroy' && arg === 'fs') {
  const s = fs.createReadStream('', { fd: fs.openSync(fifo!, 'r+') });
  s.on('data', () => undefined);
  setTimeout(() => {
    say('destroy');
    s.destroy();
  }, 50);
} else {
  // A FIFO read-write (a writer always there, nothing ever arrives); a device (an
  // input device in the test VM) read-only.
  const rw = fs.statSync(fifo!).isFIFO() ? fs.constants.O_RDWR : fs.constants.O_RDONLY;
  const fd = fs.openSync(fifo!, rw | fs.constants.O_NONBLOCK);
  const s: Readable & { unref(): unknown } = createReadStream(fd);
  if (mode === 'destroy') {
    s.on('data', () => undefined);
    setTimeout(() => {
      say('destroy');
      s.destroy();
    }, 50);
  } else if (mode === 'unref') {
    s.on('data', () => undefined);
    s.unref();
    say('ready');
  } else if (mode === 'flowing') {
    s.on('data', (d: Buffer) => {
      if (d.toString().includes('quit')) s.destroy();
    });
    say('ready');
  } else if (mode === 'idle-cpu') {
    s.on('data', () => undefined);
    const c0 = process.cpuUsage();
    setTimeout(() => {
      const c = process.cpuUsage(c0);
      say(`cpuMs ${(c.user + c.system) / 1000}`);
      s.destroy();
    }, Number(arg ?? 1000));
  } else {
    console.error('usage: exit.ts destroy|unref|flowing|idle-cpu FIFO [ARG]');
    process.exit(2);
  }
}
