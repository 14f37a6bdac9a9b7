/**
 * Many slow streams: N FIFOs, each read by a stream with a 'data' listener (flowing,
 * waiting for the kernel), a byte written to each now and then. Prints one JSON line:
 * the heap + external bytes each idle stream costs (after gc, the FIFOs' fds
 * excluded), RSS per stream, the process's threads before and after, and whether
 * every byte arrived. Needs --expose-gc.
 *
 *   node --expose-gc --import tsx bench/streams/idle.ts [N] [ioready|net] [ROUNDS]
 *
 * The FIFOs are opened read-write by this process (O_RDWR on a FIFO never blocks and
 * keeps a writer present), so no writer process is needed and nothing ends.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';

import { createReadStream, write } from '../../src/index';

const n = Number(process.argv[2] ?? 1000);
const kind = process.argv[3] ?? 'ioready';
const rounds = Number(process.argv[4] ?? 3);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

const threads = (): number => Number(/^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
const settle = async (): Promise<void> => {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
};
const mem = (): { heap: number; rss: number } => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
};

void (async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-idle-'));
  try {
    const paths = Array.from({ length: n }, (_, i) => path.join(dir, `f${i}`));
    for (let i = 0; i < n; i += 500) {
      const r = spawnSync('mkfifo', paths.slice(i, i + 500));
      if (r.status !== 0) throw new Error(`mkfifo: ${r.stderr}`);
    }
    // The fds first, so that the measurement below holds the streams alone.
    const fds = paths.map((p) => fs.openSync(p, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
    let received = 0;
    const onData = (d: Buffer): void => {
      received += d.length;
    };
    // Warm up: one stream of the kind, made and destroyed (the shared Epoll, code paths).
    {
      const fd = fs.openSync(paths[0]!, 'r+');
      const s: Readable = kind === 'net' ? new net.Socket({ fd, readable: true, writable: false }) : createReadStream(fd);
      s.on('data', onData);
      await new Promise((r) => setImmediate(r));
      s.destroy();
      await new Promise((r) => s.once('close', r));
    }
    await settle();
    const t0 = threads();
    const m0 = mem();
    const streams: Readable[] = fds.map((fd) => {
      const s: Readable = kind === 'net' ? new net.Socket({ fd, readable: true, writable: false }) : createReadStream(fd);
      s.on('data', onData);
      return s;
    });
    await settle();
    const m1 = mem();
    const t1 = threads();
    // A byte each now and then.
    const one = Buffer.from('x');
    for (let r = 0; r < rounds; r++) {
      for (const fd of fds) write(fd, one);
      const want = (r + 1) * n;
      const end = Date.now() + 10_000;
      while (received < want && Date.now() < end) await new Promise((res) => setTimeout(res, 5));
    }
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200)); // idle: no busy loop
    const idleCpu = process.cpuUsage(cpu);
    const t2 = threads();
    for (const s of streams) s.destroy();
    await settle();
    process.stdout.write(
      `${JSON.stringify({
        kind,
        streams: n,
        bytesPerStream: Math.round((m1.heap - m0.heap) / n),
        rssPerStream: Math.round((m1.rss - m0.rss) / n),
        threads: [t0, t1, t2],
        received,
        expected: rounds * n,
        idleCpuMs: (idleCpu.user + idleCpu.system) / 1000,
      })}\n`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();
