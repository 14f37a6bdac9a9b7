// Soak: ten million events through Epoll.start() and ten million through the
// synchronous poll(), over 1,000 level-triggered pipes (batches of 1,000), plus a
// million ping-pong wake-ups (a batch of one each). RSS (after a full GC) and the
// fd count are printed at the start and the end; the fd count must come back
// exactly. From the first sample after warm-up (the first million events) to the
// last, the live JS heap (heapUsed after a full GC: what a leak of objects would
// grow) may grow by at most MAX_HEAP_GROWTH_MB, and RSS by at most MAX_GROWTH_MB.
// RSS gets the looser bound because V8 enlarges its young generation under
// allocation-heavy loops (poll() returns fresh arrays: heapTotal steps 16 -> 24
// -> 40 MB over 50 million events while heapUsed stays at 6.3 MB), and keeps it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';

import { close, Epoll, pipe, read, write } from '../../src/index';

const EVENTS = Number(process.env.SOAK_EVENTS ?? 10_000_000);
const PING_PONG = Math.max(1, Math.floor(EVENTS / 10));
const MAX_GROWTH_MB = 48;
const MAX_HEAP_GROWTH_MB = 2;
const PIPES = 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;

/** The fds open now, each with what it is (its /proc link). */
function fdTable(): Map<string, string> {
  const m = new Map<string, string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      m.set(fd, fs.readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // the directory's own fd
    }
  }
  return m;
}

/** fds open now that were not open (as the same thing) in `before`: what a phase leaked. */
function opened(before: Map<string, string>): string[] {
  return [...fdTable()].filter(([fd, what]) => before.get(fd) !== what).map(([fd, what]) => `${fd} -> ${what}`);
}
interface Mem {
  rss: number;
  heap: number;
}
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
/** RSS and live heap in MB, after a full GC. */
const rssMB = (): Mem => {
  gc();
  const m = process.memoryUsage();
  return { rss: mb(m.rss), heap: mb(m.heapUsed) };
};

interface Report {
  name: string;
  events: number;
  seconds: number;
  fds: [number, number];
  /** fds open at the end that were not at the start. */
  leaked: string[];
  rss: { start: Mem; warm: Mem; end: Mem };
}

function say(line: string): void {
  process.stdout.write(`# ${line}\n`);
}

function report(r: Report): void {
  const { start, warm, end } = r.rss;
  say(
    `${r.name}: ${r.events.toLocaleString('en')} events in ${r.seconds.toFixed(1)} s (${Math.round(r.events / r.seconds / 1000)} k/s); ` +
      `fds ${r.fds[0]} -> ${r.fds[1]}; RSS ${start.rss} MB at start, ${warm.rss} after warm-up, ${end.rss} at the end ` +
      `(growth ${(end.rss - warm.rss).toFixed(1)} MB, bound ${MAX_GROWTH_MB}); live heap ${start.heap} / ${warm.heap} / ${end.heap} MB ` +
      `(growth ${(end.heap - warm.heap).toFixed(1)} MB, bound ${MAX_HEAP_GROWTH_MB})`,
  );
}

function check(r: Report): void {
  report(r);
  assert.ok(r.events >= EVENTS || r.name.startsWith('ping'), `${r.events} events`);
  // Not a bare count: tsx or Node may close a file of their own meanwhile.
  assert.deepEqual(r.leaked, [], 'no fd open at the end that was not open at the start');
  assert.ok(r.fds[1] <= r.fds[0], 'the fd count is back where it started (or lower)');
  assert.ok(r.rss.end.heap - r.rss.warm.heap <= MAX_HEAP_GROWTH_MB, `live heap grew ${(r.rss.end.heap - r.rss.warm.heap).toFixed(1)} MB`);
  assert.ok(r.rss.end.rss - r.rss.warm.rss <= MAX_GROWTH_MB, `RSS grew ${(r.rss.end.rss - r.rss.warm.rss).toFixed(1)} MB`);
}

/** 1,000 pipes, each with one byte in it: level-triggered, so each is ready on every wait. */
function readyPipes(ep: Epoll): number[] {
  const fds: number[] = [];
  for (let i = 0; i < PIPES; i++) {
    const [r, w] = pipe();
    fds.push(r, w);
    write(w, Buffer.from('x'));
    ep.register(r);
  }
  return fds;
}

test(`soak: ${EVENTS.toLocaleString('en')} events through start() (batches of ${PIPES})`, async () => {
  const table0 = fdTable();
  const fds0 = fdCount();
  const rss0 = rssMB();
  const t0 = performance.now();
  const ep = new Epoll();
  const fds = readyPipes(ep);
  let events = 0;
  let bad = 0;
  let warm: Mem | undefined;
  await new Promise<void>((resolve) => {
    ep.start((fd, ev) => {
      if (ev !== 1 || fd < 0) bad++;
      if (++events === Math.min(1_000_000, EVENTS)) warm = rssMB();
      if (events === EVENTS) {
        ep.close(); // from inside the batch: the rest of it is dropped
        resolve();
      }
    });
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const fd of fds) close(fd);
  await new Promise((r) => setImmediate(r)); // the watch's libuv handle finishes closing
  assert.equal(bad, 0, 'every event was (pipe fd, EPOLLIN)');
  check({ name: 'start()', events, seconds, fds: [fds0, fdCount()], leaked: opened(table0), rss: { start: rss0, warm: warm!, end: rssMB() } });
});

test(`soak: ${EVENTS.toLocaleString('en')} events through the synchronous poll()`, () => {
  const table0 = fdTable();
  const fds0 = fdCount();
  const rss0 = rssMB();
  const t0 = performance.now();
  const ep = new Epoll();
  const fds = readyPipes(ep);
  let events = 0;
  let warm: Mem | undefined;
  while (events < EVENTS) {
    const batch = ep.poll(0);
    assert.equal(batch.length, PIPES, 'all 1,000 pipes ready on every poll');
    events += batch.length;
    if (warm === undefined && events >= Math.min(1_000_000, EVENTS)) warm = rssMB();
  }
  const seconds = (performance.now() - t0) / 1000;
  ep.close();
  for (const fd of fds) close(fd);
  check({ name: 'poll()', events, seconds, fds: [fds0, fdCount()], leaked: opened(table0), rss: { start: rss0, warm: warm!, end: rssMB() } });
});

test(`soak: ${PING_PONG.toLocaleString('en')} ping-pong wake-ups through start() (a batch of one each)`, async () => {
  const table0 = fdTable();
  const fds0 = fdCount();
  const rss0 = rssMB();
  const t0 = performance.now();
  const ep = new Epoll();
  const [ar, aw] = pipe();
  const [br, bw] = pipe();
  const byte = Buffer.from('x');
  ep.register(ar);
  ep.register(br);
  let events = 0;
  let warm: Mem | undefined;
  await new Promise<void>((resolve) => {
    ep.start((fd) => {
      read(fd, byte);
      if (++events === Math.floor(PING_PONG / 10)) warm = rssMB();
      if (events === PING_PONG) {
        ep.close();
        resolve();
        return;
      }
      write(fd === ar ? bw : aw, byte);
    });
    write(aw, byte);
  });
  const seconds = (performance.now() - t0) / 1000;
  for (const fd of [ar, aw, br, bw]) close(fd);
  await new Promise((r) => setImmediate(r));
  check({ name: 'ping-pong', events, seconds, fds: [fds0, fdCount()], leaked: opened(table0), rss: { start: rss0, warm: warm!, end: rssMB() } });
});
