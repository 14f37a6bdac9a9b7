/**
 * The GPIO bench: edge-to-listener latency and lost edges, on the kernel's
 * gpio-sim in the test VM (scripts/vm-run.sh; run on the host, this script
 * re-runs itself there).
 *
 *   npm run bench -- gpio                     # full: writes bench/gpio-results.json
 *   npm run bench -- gpio --quick             # rates 100 and 1,000, 200 edges each
 *   npm run bench -- gpio --peers c,start     # some peers (a partial run)
 *
 * Not part of a bare `npm run bench` (it boots a VM): only when named.
 *
 * A small C program (bench/gpio/toggle.c) toggles a simulated line's pull at
 * each rate; each peer listens to the line's edges in its own process:
 * - c         a C epoll loop on the line request's fd (bench/gpio/listen.c): the limit
 * - start     ioready's Epoll.start() on the request's fd (bench/gpio/peer.js)
 * - iterator  ioready's LineRequest.edgeEvents(), an async iterator
 * - compat    ioready/compat/onoff: onoff's Gpio.watch on the character device
 * - onoff     the real onoff 6 (sysfs, epoll's thread)
 * Every peer does the same per event: take the time, store it with what the
 * event says (seqno and kernel timestamp, or the callback's value). The
 * character-device peers ask for the same kernel queue, 1,024 edges (its
 * largest, what compat/onoff asks for): edges are lost only to stalls.
 *
 * Latency, two ways: from the event's kernel timestamp to process.hrtime.bigint()
 * at delivery (both CLOCK_MONOTONIC; the character-device peers), and from the
 * toggler's write to delivery (every peer: a delivery is matched to the latest
 * toggle to its value before it). Lost: toggles minus deliveries (the seqno
 * gaps on the character device). Emulated (TCG): absolute figures mean little,
 * ratios from one run do. Only a full run writes bench/gpio-results.json; a quick
 * or partial one writes bench/.build/gpio/gpio-results.json (--out DIR: there).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createChip, type SimChip } from '../test/gpio/gpiosim';
import { parseBenchArgs, wroteLine } from './cli';

type PeerName = 'c' | 'start' | 'iterator' | 'compat' | 'onoff';
const PEERS: PeerName[] = ['c', 'start', 'iterator', 'compat', 'onoff'];

const USAGE = `usage: npm run bench -- gpio [options]   (boots the test VM: scripts/vm-run.sh)
  --quick             rates 100 and 1,000/s, 200 edges each (a smoke run)
  --peers a,b         of: ${PEERS.join(', ')} (default: all)
  --out DIR           where gpio-results.json goes (default: bench/ after a full
                      run, bench/.build/gpio/ after a quick or partial one)
`;

// Parsed on the host, before the VM boots: --help and usage errors cost nothing.
const cl = parseBenchArgs(process.argv.slice(2), {
  part: 'gpio',
  prefix: 'bench gpio',
  usage: USAGE,
  options: { '--peers': { value: true } },
});
const quick = cl.quick;
const peers = cl.list('--peers', PEERS, PEERS, 'peer');
const ROOT = path.join(__dirname, '..');
const IN_VM = process.env.IOREADY_IN_BENCH_VM === '1';
const BUILD = path.join(ROOT, 'bench', '.build', 'gpio');

if (!IN_VM && !fs.existsSync('/sys/kernel/config/gpio-sim')) {
  // Build what the VM runs (dist/ and the C), then run this script inside it.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  buildC();
  // The VM sees the project tree writable; --out elsewhere is made writable too (VM_RW).
  fs.mkdirSync(cl.outDir, { recursive: true });
  const args = [...(quick ? ['--quick'] : []), ...(cl.values.has('--peers') ? ['--peers', peers.join(',')] : []), '--out', cl.outDir];
  const rw = [process.env.VM_RW, cl.outDir].filter((d) => d !== undefined && d !== '').join(':');
  const r = spawnSync(path.join(ROOT, 'scripts', 'vm-run.sh'), [process.execPath, '--import', 'tsx', __filename, ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      VM_RW: rw,
      IOREADY_IN_BENCH_VM: '1',
      IOREADY_BENCH_HOST_LOAD: os.loadavg().map((l) => l.toFixed(1)).join(' '),
    },
  });
  process.exit(r.status ?? 1);
}

function buildC(): void {
  fs.mkdirSync(BUILD, { recursive: true });
  for (const name of ['toggle', 'listen']) {
    const src = path.join(ROOT, 'bench', 'gpio', `${name}.c`);
    const bin = path.join(BUILD, name);
    if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs > fs.statSync(src).mtimeMs) continue;
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  }
}

/** Edges toggled before each measured run, not counted. */
const WARMUP = 100;

interface Result {
  peer: PeerName;
  rate: number;
  generated: number;
  delivered: number;
  lost: number;
  /** ns, from the kernel's timestamp (character-device peers only) */
  kernelP50?: number;
  kernelP99?: number;
  /** ns, from the toggler's write */
  writeP50: number;
  writeP99: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function waitReady(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what}: not ready after 60 s`)), 60_000);
    child.stdout!.on('data', function onData(d: Buffer) {
      text += d.toString();
      if (text.includes('ready\n')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready`));
    });
  });
}

async function runPeer(peer: PeerName, chip: SimChip, offset: number, global: number, rate: number, count: number): Promise<Result> {
  chip.setPull(offset, 'pull-down'); // start low: the first toggle rises
  const cmd = peer === 'c'
    ? [path.join(BUILD, 'listen'), chip.path, String(offset)]
    : [process.execPath, path.join(ROOT, 'bench', 'gpio', 'peer.js'), peer, chip.path, String(offset), String(global)];
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  await waitReady(child, peer);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const timesFile = path.join(os.tmpdir(), `gpio-bench-${process.pid}.txt`);
  // A warm-up, not counted (the peer's first events pay for JIT and, under TCG, code
  // translation): WARMUP edges (even: the line ends low), a pause, then the measured run.
  const pullFile = path.join(chip.sysfsDir, `sim_gpio${offset}`, 'pull');
  execFileSync(path.join(BUILD, 'toggle'), [pullFile, String(Math.min(rate, 1000)), String(WARMUP), timesFile]);
  await new Promise((r) => setTimeout(r, 300));
  execFileSync(path.join(BUILD, 'toggle'), [pullFile, String(rate), String(count), timesFile]);
  // Let the last edges through (sysfs peers wait for nothing more), then stop the peer.
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  await exited;
  const toggles = fs.readFileSync(timesFile, 'utf8').trim().split('\n').map((l) => l.split(' ').map(BigInt) as [bigint, bigint]);
  fs.rmSync(timesFile);
  let rows = out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split(' ').map(BigInt));
  // The measured run only: seqnos after the warm-up's (the kernel counts dropped events
  // too), or deliveries from its first toggle on.
  if (peer === 'c' || peer === 'start' || peer === 'iterator') {
    rows = rows.filter((r) => r[0]! > BigInt(WARMUP)).map(([q, a, b]) => [q! - BigInt(WARMUP), a!, b!]);
  } else rows = rows.filter((r) => r[1]! >= toggles[0]![1]);
  const kernel: number[] = [];
  const write: number[] = [];
  if (peer === 'c' || peer === 'start' || peer === 'iterator') {
    for (const [seqno, stamp, seen] of rows) {
      kernel.push(Number(seen! - stamp!));
      const toggle = toggles[Number(seqno) - 1];
      if (toggle !== undefined) write.push(Number(seen! - toggle[1]));
    }
  } else {
    // The latest toggle to this value before the delivery.
    let k = 0;
    for (const [value, seen] of rows) {
      while (k + 1 < toggles.length && toggles[k + 1]![1] <= seen!) k++;
      let j = k;
      while (j >= 0 && toggles[j]![0] !== value) j--;
      if (j >= 0 && toggles[j]![1] <= seen!) write.push(Number(seen! - toggles[j]![1]));
    }
  }
  kernel.sort((x, y) => x - y);
  write.sort((x, y) => x - y);
  const r: Result = {
    peer, rate, generated: count, delivered: rows.length, lost: Math.max(0, count - rows.length),
    writeP50: percentile(write, 50), writeP99: percentile(write, 99),
  };
  if (kernel.length > 0) {
    r.kernelP50 = percentile(kernel, 50);
    r.kernelP99 = percentile(kernel, 99);
  }
  return r;
}

const us = (ns: number | undefined): string => (ns === undefined || Number.isNaN(ns) ? '-' : (ns / 1000).toFixed(0));
const ratio = (x: number | undefined, y: number | undefined): string =>
  x === undefined || y === undefined || !(y > 0) ? '-' : `${(x / y).toFixed(2)}x`;

async function main(): Promise<void> {
  buildC();
  const rates = quick ? [100, 1000] : [100, 1000, 5000];
  const count = (rate: number): number => (quick ? Math.min(200, rate) : Math.max(400, Math.min(rate * 2, 5000)));
  const chip = createChip({ lines: 4, label: 'ioready-bench' });
  const offset = 2;
  const results: Result[] = [];
  try {
    const global = chip.base() + offset;
    const hostLoad = process.env.IOREADY_BENCH_HOST_LOAD ?? '?';
    console.log(`gpio bench: ${chip.name} line ${offset} (global ${global}), rates ${rates.join(', ')}/s, peers ${peers.join(', ')}, host load ${hostLoad}`);
    console.log('peer        rate/s  sent  got  lost  kernel p50/p99 us  write p50/p99 us');
    for (const rate of rates) {
      for (const peer of peers) {
        const r = await runPeer(peer, chip, offset, global, rate, count(rate));
        results.push(r);
        console.log(
          `${peer.padEnd(10)} ${String(rate).padStart(7)} ${String(r.generated).padStart(5)} ${String(r.delivered).padStart(4)} ${String(r.lost).padStart(5)}` +
            `  ${`${us(r.kernelP50)}/${us(r.kernelP99)}`.padStart(17)}  ${`${us(r.writeP50)}/${us(r.writeP99)}`.padStart(16)}`,
        );
      }
    }
  } finally {
    chip.remove();
  }
  // Ratios, from this one run, and the issue's targets.
  console.log('\nratios (same run)                      ' + ['rate', 'value', 'target'].join('  '));
  console.log('(ONE run per peer and rate: the ratios are samples, not verdicts)');
  const get = (peer: PeerName, rate: number): Result | undefined => results.find((x) => x.peer === peer && x.rate === rate);
  let ok = true;
  for (const rate of rates) {
    const c = get('c', rate);
    const s = get('start', rate);
    const it = get('iterator', rate);
    const compat = get('compat', rate);
    const onoff = get('onoff', rate);
    const line = (what: string, value: string, target: string, pass: boolean | undefined): void => {
      if (pass === false) ok = false;
      console.log(`${what.padEnd(38)} ${String(rate).padStart(5)}  ${value.padStart(6)}  ${target}${pass === undefined ? '' : pass ? '  ok' : '  MISSED'}`);
    };
    if (s && c) line('start()/C p50 (kernel ts)', ratio(s.kernelP50, c.kernelP50), '<= 1.5x', s.kernelP50! <= 1.5 * c.kernelP50!);
    if (it && s) line('iterator/start() p50 (kernel ts)', ratio(it.kernelP50, s.kernelP50), '', undefined);
    if (compat && s) line('compat/start() p50 (write)', ratio(compat.writeP50, s.writeP50), '<= 1.2x', compat.writeP50 <= 1.2 * s.writeP50);
    if (onoff && s) {
      line('onoff/start() p50 (write)', ratio(onoff.writeP50, s.writeP50), '> 1x', onoff.writeP50 > s.writeP50);
      line('onoff/start() p99 (write)', ratio(onoff.writeP99, s.writeP99), '> 1x', onoff.writeP99 > s.writeP99);
    }
    if (s && c) line('lost: start() vs C', `${s.lost}/${c.lost}`, 'start <= C', s.lost <= c.lost);
    if (compat && c) line('lost: compat vs C', `${compat.lost}/${c.lost}`, '', undefined);
    if (onoff && c) line('lost: onoff vs C', `${onoff.lost}/${c.lost}`, '', undefined);
  }
  fs.mkdirSync(cl.outDir, { recursive: true });
  const file = path.join(cl.outDir, 'gpio-results.json');
  const json = {
    date: new Date().toISOString(), node: process.version, kernel: os.release(), vm: 'qemu TCG (scripts/vm-run.sh)',
    hostLoadAtStart: process.env.IOREADY_BENCH_HOST_LOAD, quick, peers, warmupEdges: WARMUP, results,
  };
  fs.writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`\n${wroteLine(cl, [file])}`);
  if (!ok) console.log('\nsome targets missed (see MISSED above)');
}

main().catch((err: unknown) => {
  console.error(`gpio bench: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
