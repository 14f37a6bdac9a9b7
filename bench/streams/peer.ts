/**
 * One Node peer of bench/streams.ts, in a process of its own (so its CPU time is
 * its own): reads a FIFO to its end, or writes BYTES to it, through one of
 *   ioready   createReadStream / createWriteStream
 *   net       new net.Socket({ fd }) (libuv's own pipe stream)
 *   fs        fs.createReadStream / fs.createWriteStream on the blocking fd (the threadpool)
 * in 64 KiB chunks, doing nothing with the data. Prints {"bytes","seconds","cpuMs"}:
 * timed from the first byte (reads) or the open (writes) to the end, CPU time from
 * process.cpuUsage() (every thread of the process: fs's threadpool counts).
 *
 *   node --import tsx bench/streams/peer.ts read|write ioready|net|fs FIFO [BYTES] [CHUNK]
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';

import { createReadStream, createWriteStream } from '../../src/index';

const [mode, peer, fifo, bytesArg, chunkArg] = process.argv.slice(2);
const total = Number(bytesArg ?? 0);
const chunkSize = Number(chunkArg ?? 65536);

function report(bytes: number, t0: bigint, c0: NodeJS.CpuUsage): void {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  process.stdout.write(`${JSON.stringify({ bytes, seconds, cpuMs: (c.user + c.system) / 1000 })}\n`);
}

if (mode === 'read') {
  // Blocking open: returns once the writer has opened its end, for every peer alike.
  const fd = fs.openSync(fifo!, 'r');
  const s: Readable =
    peer === 'ioready'
      ? createReadStream(fd, { highWaterMark: chunkSize })
      : peer === 'net'
        ? new net.Socket({ fd, readable: true, writable: false })
        : fs.createReadStream('', { fd, highWaterMark: chunkSize });
  let bytes = 0;
  let t0 = 0n;
  let c0: NodeJS.CpuUsage = process.cpuUsage();
  s.on('data', (d: Buffer) => {
    if (bytes === 0) {
      t0 = process.hrtime.bigint();
      c0 = process.cpuUsage();
    }
    bytes += d.length;
  });
  s.on('end', () => report(bytes, t0, c0));
} else if (mode === 'write') {
  const fd = fs.openSync(fifo!, 'w');
  const s: Writable =
    peer === 'ioready'
      ? createWriteStream(fd, { highWaterMark: chunkSize })
      : peer === 'net'
        ? new net.Socket({ fd, readable: false, writable: true })
        : fs.createWriteStream('', { fd, highWaterMark: chunkSize });
  const buf = Buffer.alloc(chunkSize, 'x');
  let sent = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(chunkSize, total - sent);
      sent += n;
      if (!s.write(n === chunkSize ? buf : buf.subarray(0, n))) {
        s.once('drain', pump);
        return;
      }
    }
    s.end(() => report(sent, t0, c0));
  };
  pump();
} else {
  console.error('usage: peer.ts read|write ioready|net|fs FIFO [BYTES] [CHUNK]');
  process.exit(2);
}
