'use strict';
/**
 * A Node peer of the GPIO bench (bench/gpio.ts), one process per run:
 *
 *   node bench/gpio/peer.js MODE CHIP OFFSET GLOBAL
 *
 * MODE: start (ioready's Epoll.start() on the line request's fd), iterator
 * (LineRequest.edgeEvents()), compat (ioready/compat/onoff's Gpio.watch) or
 * onoff (the real onoff, over sysfs). It claims the line (both edges), says
 * "ready", and records every delivery until SIGTERM: the character-device
 * peers "seqno timestamp_ns delivered_ns" (the same work per event as
 * bench/gpio/listen.c), the onoff-shaped ones "value delivered_ns" (their
 * callbacks carry no timestamp). Then it prints those lines and exits.
 * ioready comes from dist/ (the built package, as users run it).
 */
const path = require('node:path');
const fs = require('node:fs');

const [mode, chip, offsetText, globalText] = process.argv.slice(2);
const offset = Number(offsetText);
const dist = process.env.IOREADY_BENCH_DIST ?? path.join(__dirname, '..', '..', 'dist');
const MAX = 1 << 20;
const a = new Uint32Array(MAX);
const b = new BigUint64Array(MAX);
const t = new BigUint64Array(MAX);
let n = 0;
let lines = 'seqno';
let finish = () => {};

if (mode === 'start' || mode === 'iterator') {
  const { requestLines, Epoll, EPOLLIN } = require(dist);
  const req = requestLines(chip, { consumer: 'bench', lines: { [offset]: { direction: 'input', edge: 'both' } }, eventBufferSize: 1024 });
  if (mode === 'start') {
    const ep = new Epoll();
    ep.register(req.fd, EPOLLIN);
    // One read per wake-up, as the C peer.
    ep.start(() => {
      const evs = req.readEdgeEvents();
      if (evs === null) return;
      const now = process.hrtime.bigint();
      for (let i = 0; i < evs.length && n < MAX; i++, n++) {
        const ev = evs[i];
        a[n] = ev.seqno;
        b[n] = ev.timestampNs;
        t[n] = now;
      }
    });
    finish = () => ep.close();
  } else {
    const ac = new AbortController();
    (async () => {
      try {
        for await (const ev of req.edgeEvents({ signal: ac.signal })) {
          if (n >= MAX) continue;
          a[n] = ev.seqno;
          b[n] = ev.timestampNs;
          t[n++] = process.hrtime.bigint();
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      }
    })();
    finish = () => ac.abort();
  }
  const release = finish;
  finish = () => {
    release();
    req.release();
  };
} else if (mode === 'compat' || mode === 'onoff') {
  const { Gpio } = require(mode === 'onoff' ? 'onoff' : path.join(dist, 'compat', 'onoff.js'));
  const gpio = new Gpio(Number(globalText), 'in', 'both');
  lines = 'value';
  gpio.watch((err, value) => {
    if (err) throw err;
    if (n >= MAX) return;
    a[n] = value;
    t[n++] = process.hrtime.bigint();
  });
  finish = () => gpio.unexport();
} else {
  process.stderr.write(`peer: unknown mode '${mode}'\n`);
  process.exit(2);
}

process.on('SIGTERM', () => {
  finish();
  const out = [];
  for (let i = 0; i < n; i++) out.push(lines === 'seqno' ? `${a[i]} ${b[i]} ${t[i]}` : `${a[i]} ${t[i]}`);
  fs.writeSync(1, `${out.join('\n')}\n`);
  process.exit(0);
});
fs.writeSync(1, 'ready\n');
