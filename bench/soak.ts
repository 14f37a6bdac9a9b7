/**
 * `npm run bench:soak`: the leak check of issue #3. Ten million events through
 * Epoll.start(), twice:
 *  - ping-pong: every event is its own event-loop wake-up (a batch of one),
 *    read and written back, so the per-wake-up path (uv_poll, make_callback,
 *    handle scopes) runs 10 million times;
 *  - fan-in: 1,000 level-triggered pipes, batches of 1,000, so the per-event
 *    dispatch runs 10 million times.
 * RSS and heap are sampled (after a full GC) every million events, and the
 * process's fd count is taken before and after. Prints a table, and one JSON
 * line at the end; exits 1 if fds grew or RSS grew by more than --max-growth
 * MB (default 16) between the first sample and the last.
 *
 *   npm run bench:soak                       # node --expose-gc --import tsx bench/soak.ts
 *   npm run bench:soak -- --events 1000000   # a shorter soak
 */
import fs from 'node:fs';
import { close, Epoll, pipe, read, write } from '../src/index';

interface Sample {
  events: number;
  rssMB: number;
  heapMB: number;
  seconds: number;
}

interface Phase {
  name: string;
  events: number;
  seconds: number;
  fdsBefore: number;
  fdsAfter: number;
  samples: Sample[];
  /** Last sample's RSS minus the first's. */
  rssGrowthMB: number;
}

const argv = process.argv.slice(2);
function option(name: string, fallback: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`soak: ${name} wants a positive integer\n`);
    process.exit(2);
  }
  return n;
}
const TOTAL = option('--events', 10_000_000);
const EVERY = Math.max(1, Math.floor(TOTAL / 10));
const MAX_GROWTH_MB = option('--max-growth', 16);

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('soak: run with node --expose-gc (npm run bench:soak does)\n');
  process.exit(2);
}

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const mb = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * Run `TOTAL` events through a fresh Epoll's start(): `setup` registers its
 * fds and returns the listener's work and a teardown.
 */
function phase(name: string, setup: (ep: Epoll) => { onEvent: (fd: number) => void; teardown: () => void }): Promise<Phase> {
  gc!();
  const fdsBefore = fdCount();
  const t0 = performance.now();
  const samples: Sample[] = [];
  const sample = (events: number): void => {
    gc!();
    const m = process.memoryUsage();
    samples.push({ events, rssMB: mb(m.rss), heapMB: mb(m.heapUsed), seconds: (performance.now() - t0) / 1000 });
  };
  return new Promise((resolve) => {
    const ep = new Epoll();
    const { onEvent, teardown } = setup(ep);
    let events = 0;
    sample(0);
    ep.start((fd) => {
      onEvent(fd);
      if (++events % EVERY !== 0) return;
      sample(events);
      if (events < TOTAL) return;
      ep.close();
      teardown();
      const seconds = (performance.now() - t0) / 1000;
      // Let the closed watch's libuv handle finish closing before counting fds.
      setImmediate(() => {
        gc!();
        const fdsAfter = fdCount();
        // The first sample is taken before anything ran; growth counts from the first million.
        const base = samples[1] ?? samples[0]!;
        const rssGrowthMB = Math.round((samples[samples.length - 1]!.rssMB - base.rssMB) * 10) / 10;
        resolve({ name, events, seconds, fdsBefore, fdsAfter, samples, rssGrowthMB });
      });
    });
  });
}

const byte = Buffer.from('x');

async function main(): Promise<void> {
  const phases: Phase[] = [];
  phases.push(
    await phase('ping-pong (batches of 1)', (ep) => {
      const [ar, aw] = pipe();
      const [br, bw] = pipe();
      ep.register(ar);
      ep.register(br);
      write(aw, byte);
      return {
        onEvent: (fd) => {
          read(fd, byte);
          write(fd === ar ? bw : aw, byte);
        },
        teardown: () => [ar, aw, br, bw].forEach((fd) => close(fd)),
      };
    }),
  );
  phases.push(
    await phase('fan-in (batches of 1,000)', (ep) => {
      const fds: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const [r, w] = pipe();
        fds.push(r, w);
        write(w, byte);
        ep.register(r);
      }
      return { onEvent: () => {}, teardown: () => fds.forEach((fd) => close(fd)) };
    }),
  );

  let ok = true;
  for (const p of phases) {
    const rate = Math.round(p.events / p.seconds / 1000);
    process.stdout.write(`\n${p.name}: ${p.events.toLocaleString('en')} events in ${p.seconds.toFixed(1)} s (${rate} k/s)\n`);
    process.stdout.write('  events        RSS MB   heap MB\n');
    for (const s of p.samples) {
      process.stdout.write(`  ${s.events.toLocaleString('en').padStart(10)}  ${s.rssMB.toFixed(1).padStart(8)}  ${s.heapMB.toFixed(1).padStart(8)}\n`);
    }
    const fdOk = p.fdsAfter <= p.fdsBefore;
    const rssOk = p.rssGrowthMB <= MAX_GROWTH_MB;
    ok &&= fdOk && rssOk;
    process.stdout.write(`  fds: ${p.fdsBefore} before, ${p.fdsAfter} after${fdOk ? '' : '  GREW'}\n`);
    process.stdout.write(`  RSS growth from the first sample after start: ${p.rssGrowthMB} MB${rssOk ? '' : `  > ${MAX_GROWTH_MB} MB`}\n`);
  }
  process.stdout.write(`\n${JSON.stringify({ ok, node: process.version, phases })}\n`);
  if (!ok) process.exitCode = 1;
}

void main();
