/**
 * Streams over a FIFO (issue 17), ratios from one run:
 *
 * - read throughput: a C writer writes 64 KiB chunks into a FIFO; the reader does
 *   nothing with the data: a C read() loop (the limit), `new net.Socket({ fd })`,
 *   `fs.createReadStream` on the blocking fd (the threadpool), ioready's
 *   createReadStream. GB/s and CPU ms per MB (the reader process's, every thread).
 * - write throughput: the same the other way, a C reader draining the FIFO.
 * - many slow streams: 1,000 FIFOs with a flowing stream each, a byte each now and
 *   then: heap + external bytes per idle stream, RSS per stream, threads before and
 *   after (ioready against net.Socket).
 * - exit: ms from destroy() to the end of the process with a stream over an idle
 *   FIFO (ioready against fs.createReadStream, whose blocked threadpool read holds the
 *   process until killed), and from unref() to the end.
 *
 *   npm run bench -- streams                       # 5 repetitions x 1 GiB, every case
 *   npm run bench -- streams --quick               # 1 repetition x 64 MiB: a smoke run
 *   npm run bench -- streams --cases read --mb 16  # one case, smaller
 *
 * Each peer runs in a process of its own (bench/streams/peer.ts, fifo.c), the peers
 * in a rotating order per repetition; the table shows medians. Results also go to
 * bench/streams-results.json after a full run (bench/.build/streams/ after a quick
 * or partial one; --out DIR says where).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseBenchArgs, wroteLine } from './cli';

const CASES = ['read', 'write', 'idle', 'exit'] as const;
type Case = (typeof CASES)[number];

const USAGE = `usage: npm run bench -- streams [options]
  --quick             1 repetition, 64 MiB per transfer (a smoke run)
  --reps N            repetitions per (case, peer) (default 5; exit: 3 to 5 samples)
  --mb N              MiB per read or write transfer (default 1024)
  --cases a,b         of: ${CASES.join(', ')} (default: all)
  --out DIR           where streams-results.json goes (default: bench/ after a full
                      run, bench/.build/streams/ after a quick or partial one)
`;

const cl = parseBenchArgs(process.argv.slice(2), {
  part: 'streams',
  prefix: 'bench streams',
  usage: USAGE,
  options: { '--reps': { value: true }, '--mb': { value: true }, '--cases': { value: true } },
});
const here = path.join(__dirname, 'streams');
const root = path.join(__dirname, '..');
const reps = cl.int('--reps', cl.quick ? 1 : 5);
const bytes = cl.int('--mb', cl.quick ? 64 : 1024) * 1024 * 1024;
const cases: Case[] = cl.list('--cases', CASES, CASES, 'case');
const CHUNK = 65536;
// tsx's require hook (the project is CommonJS): quicker to start than --import tsx.
const tsx = ['--require', 'tsx/cjs'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-bench-streams-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const cc = spawnSync('cc', ['-O2', '-Wall', '-o', path.join(tmp, 'fifo'), path.join(here, 'fifo.c')], { encoding: 'utf8' });
if (cc.status !== 0) {
  console.error(`cc bench/streams/fifo.c failed: ${cc.error?.message ?? cc.stderr}`);
  process.exit(1);
}
const fifoBin = path.join(tmp, 'fifo');
let fifoN = 0;
function mkfifo(): string {
  const p = path.join(tmp, `f${fifoN++}`);
  if (spawnSync('mkfifo', [p]).status !== 0) throw new Error('mkfifo failed');
  return p;
}

interface Sample {
  bytes: number;
  seconds: number;
  cpuMs: number;
}

/** Run a command; resolve with its stdout. */
function run(cmd: string, argv: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d));
    c.stderr.on('data', (d: Buffer) => (stderr += d));
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.on('error', reject);
    c.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

const parse = (r: { code: number | null; stdout: string; stderr: string }, who: string): Sample => {
  if (r.code !== 0) throw new Error(`${who} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Sample;
};

const READ_PEERS = ['c', 'net', 'fs', 'ioready'] as const;
type Peer = (typeof READ_PEERS)[number];
const LABEL: Record<Peer, string> = {
  c: 'C read()/write() loop (the limit)',
  net: 'net.Socket({ fd })',
  fs: 'fs stream, blocking fd (threadpool)',
  ioready: 'ioready stream',
};

/** One transfer: the measured side is `peer`, the other side is the C program. */
async function transfer(dir: 'read' | 'write', peer: Peer): Promise<Sample> {
  const p = mkfifo();
  const cSide = dir === 'read' ? [fifoBin, ['write', p, String(bytes), String(CHUNK)]] : [fifoBin, ['read', p, String(CHUNK)]];
  const measured: [string, string[]] =
    peer === 'c'
      ? dir === 'read'
        ? [fifoBin, ['read', p, String(CHUNK)]]
        : [fifoBin, ['write', p, String(bytes), String(CHUNK)]]
      : [process.execPath, [...tsx, path.join(here, 'peer.ts'), dir, peer, p, String(bytes), String(CHUNK)]];
  const other = run(cSide[0] as string, cSide[1] as string[]);
  const me = await run(measured[0], measured[1]);
  const o = await other;
  if (o.code !== 0) throw new Error(`C ${dir === 'read' ? 'writer' : 'reader'} failed: ${o.stderr}`);
  const s = parse(me, `${peer} ${dir}`);
  if (s.bytes !== bytes) throw new Error(`${peer} ${dir}: ${s.bytes} bytes, not ${bytes}`);
  return s;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Row {
  peer: Peer;
  gbps: number;
  cpuMsPerMB: number;
  runs: number;
}

async function throughput(dir: 'read' | 'write'): Promise<Row[]> {
  const samples = new Map<Peer, Sample[]>(READ_PEERS.map((p) => [p, []]));
  for (let r = 0; r < reps; r++) {
    const order = READ_PEERS.map((_, i) => READ_PEERS[(i + r) % READ_PEERS.length]!);
    for (const peer of order) samples.get(peer)!.push(await transfer(dir, peer));
  }
  return READ_PEERS.map((peer) => {
    const s = samples.get(peer)!;
    return {
      peer,
      gbps: median(s.map((x) => x.bytes / x.seconds / 1e9)),
      cpuMsPerMB: median(s.map((x) => x.cpuMs / (x.bytes / 1e6))),
      runs: s.length,
    };
  });
}

function printThroughput(dir: string, rows: Row[]): void {
  const by = (p: Peer): Row => rows.find((r) => r.peer === p)!;
  const io = by('ioready');
  console.log(`\n${dir} through a FIFO, ${bytes / 1048576} MiB in 64 KiB chunks, median of ${reps} (GB = 1e9 bytes, MB = 1e6)\n`);
  console.log('| peer | GB/s | CPU ms per MB | ioready vs it (throughput) | ioready vs it (CPU/MB, < 1 is less) |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${LABEL[r.peer]} | ${r.gbps.toFixed(2)} | ${r.cpuMsPerMB.toFixed(3)} | ${(io.gbps / r.gbps).toFixed(2)}x | ${(io.cpuMsPerMB / r.cpuMsPerMB).toFixed(2)}x |`);
  }
  const t = (ok: boolean): string => (reps === 1 ? (ok ? 'holds in 1 run' : 'misses in 1 run') : ok ? 'met' : 'NOT met');
  const x = (v: number): string => `${v.toFixed(2)}x`;
  console.log(`\ntargets (ratios of medians from this run${reps === 1 ? '; ONE repetition: samples, not verdicts' : ''}):`);
  console.log(`  >= 1.0x net.Socket's GB/s    ${x(io.gbps / by('net').gbps).padStart(6)}  ${t(io.gbps >= by('net').gbps)}`);
  console.log(`  >= 2x the fs stream's GB/s   ${x(io.gbps / by('fs').gbps).padStart(6)}  ${t(io.gbps >= 2 * by('fs').gbps)}`);
  console.log(`  <= net.Socket's CPU per MB   ${x(io.cpuMsPerMB / by('net').cpuMsPerMB).padStart(6)}  ${t(io.cpuMsPerMB <= by('net').cpuMsPerMB)}`);
  console.log(`  stretch: >= 0.8x C's GB/s    ${x(io.gbps / by('c').gbps).padStart(6)}  ${t(io.gbps >= 0.8 * by('c').gbps)}`);
}

interface Idle {
  kind: string;
  bytesPerStream: number;
  rssPerStream: number;
  threads: number[];
  received: number;
  expected: number;
  idleCpuMs: number;
}

async function idle(): Promise<Idle[]> {
  const out: Idle[] = [];
  for (const kind of ['ioready', 'net']) {
    const r = await run(process.execPath, ['--expose-gc', ...tsx, path.join(here, 'idle.ts'), '1000', kind, '3']);
    if (r.code !== 0) throw new Error(`idle ${kind}: ${r.stderr}`);
    out.push(JSON.parse(r.stdout) as Idle);
  }
  console.log('\nmany slow streams: 1,000 FIFOs, a flowing stream each, a byte each 3 times\n');
  console.log('| streams | heap+ext. per stream | RSS per stream | threads: before, open, after | CPU idle 200 ms |');
  console.log('| --- | ---: | ---: | --- | ---: |');
  for (const r of out) {
    console.log(`| ${r.kind === 'net' ? 'net.Socket({ fd })' : 'ioready createReadStream'} | ${r.bytesPerStream} B | ${r.rssPerStream} B | ${r.threads.join(' -> ')} | ${r.idleCpuMs.toFixed(1)} ms |`);
  }
  const [io, net] = out as [Idle, Idle];
  console.log(`\nioready / net.Socket: heap+external ${(io.bytesPerStream / net.bytesPerStream).toFixed(2)}x, RSS ${(io.rssPerStream / net.rssPerStream).toFixed(2)}x (< 1 is less)`);
  return out;
}

interface ExitRow {
  what: string;
  ms: number | null;
  note: string;
}

async function exitTimes(): Promise<ExitRow[]> {
  const killAfter = 3000;
  const measure = async (mode: string, marker: string, extra: string[]): Promise<number | null> => {
    const p = mkfifo();
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [...tsx, path.join(here, 'exit.ts'), mode, p, ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      let at = 0;
      let killed = false;
      let timer: NodeJS.Timeout | undefined;
      c.stdout.on('data', (d: Buffer) => {
        out += d;
        if (at === 0 && out.includes(`${marker}\n`)) {
          at = performance.now();
          timer = setTimeout(() => {
            killed = true;
            c.kill('SIGKILL');
          }, killAfter);
        }
      });
      c.on('error', reject);
      c.on('exit', () => {
        clearTimeout(timer);
        resolve(killed || at === 0 ? null : performance.now() - at);
      });
    });
  };
  const rows: ExitRow[] = [];
  const sample = async (what: string, mode: string, marker: string, extra: string[]): Promise<void> => {
    const ms: Array<number | null> = [];
    for (let i = 0; i < Math.max(3, Math.min(reps, 5)); i++) ms.push(await measure(mode, marker, extra));
    const done = ms.filter((x): x is number => x !== null);
    rows.push({
      what,
      ms: done.length === ms.length ? median(done) : null,
      note: done.length === ms.length ? `median of ${ms.length}` : `${ms.length - done.length} of ${ms.length} alive after ${killAfter} ms, killed`,
    });
  };
  await sample('ioready: destroy() -> process gone', 'destroy', 'destroy', ['ioready']);
  await sample('ioready: unref() -> process gone (stream open)', 'unref', 'ready', []);
  await sample('fs.createReadStream: destroy() -> process gone', 'destroy', 'destroy', ['fs']);
  console.log('\nprocess exit with a stream over an idle FIFO (from the line the child prints to its end)\n');
  console.log('| case | ms | |');
  console.log('| --- | ---: | --- |');
  for (const r of rows) console.log(`| ${r.what} | ${r.ms === null ? 'hung' : r.ms.toFixed(0)} | ${r.note} |`);
  return rows;
}

void (async () => {
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100) },
    quick: cl.quick,
    bytes,
    reps,
    cases,
  };
  if (reps === 1) console.log('ONE repetition: each figure and ratio is a single sample (10-30% apart between runs\non a shared machine), not a verdict; run without --quick for medians of 5.');
  if (cases.includes('read')) printThroughput('read', (results.read = await throughput('read')) as Row[]);
  if (cases.includes('write')) printThroughput('write', (results.write = await throughput('write')) as Row[]);
  if (cases.includes('idle')) results.idle = await idle();
  if (cases.includes('exit')) results.exit = await exitTimes();
  (results.machine as Record<string, unknown>).loadavgAfter = os.loadavg().map((l) => Math.round(l * 100) / 100);
  fs.mkdirSync(cl.outDir, { recursive: true });
  const file = path.join(cl.outDir, 'streams-results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${wroteLine(cl, [file])}`);
})().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
