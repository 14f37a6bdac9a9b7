/**
 * `npm run bench -- serve`: `ioready serve` against the same server written with
 * Node's net module, the seed's Python server (fixed for Python 3), and C;
 * `--workers 2` both ways of sharing the port (SO_REUSEPORT, the default,
 * and EPOLLEXCLUSIVE).
 *
 * Throughput: a load client in C (compiled here) opens 100 or 1,000
 * connections that stream 64-byte messages (one send(2) each) for a warm-up
 * and a measured window. Each server writes what it reads to a file on tmpfs;
 * over the window the bench takes the file's growth (bytes/s) and the
 * server's CPU time (utime + stime of all its threads, /proc/<pid>/stat):
 * CPU per message = CPU time / (bytes / 64). On 2 cores the client is often
 * the limit, so CPU per message is what tells the servers apart. After the
 * client half-closes, every byte it sent must be in the file: "lost" counts
 * the difference (it must be 0).
 *
 * Memory: 10,000 idle connections; (RSS after - RSS before) / 10,000, and
 * the same for anonymous memory alone (RssAnon); a fresh server per sample,
 * as many samples as repetitions (at least one), the median.
 *
 * ioready runs as users run it: tsc's output of src/, with the addon pinned
 * (copied) for the run. Servers and client counts are interleaved
 * (round-robin over repetitions); medians are reported. Results also go to
 * bench/serve-results.json after a full run (bench/.build/serve/ after a quick
 * or partial one; --out DIR says where).
 *
 *   npm run bench -- serve               # 3 repetitions x 2 s
 *   npm run bench -- serve --quick       # 1 repetition x 0.5 s, 2,000 idle connections
 *   npm run bench -- serve --reps 0 --servers ioready,python-seed   # memory only: 3 samples each
 *   npm run bench -- serve --servers ioready,c --clients 100 --reps 5
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { type CommandLine, parseBenchArgs, wroteLine } from './cli';

const root = path.join(__dirname, '..');
const here = path.join(__dirname, 'serve');
const buildDir = path.join(__dirname, '.build', 'serve');
const MSG = 64;
const TICK_MS = 1000 / 100; // USER_HZ: /proc/<pid>/stat counts in 1/100 s on Linux

interface ServerDef {
  id: string;
  label: string;
  command: (port: number) => string[];
  env?: NodeJS.ProcessEnv;
}

const serveOptions = (port: number): string[] => ['--port', `${port}`, '--log-level', 'error', '--backlog', '4096'];

/** `ioready serve` as users run it: tsc's output (compiled by main() into buildDir/dist). */
const ioreadyServe = (port: number, ...more: string[]): string[] =>
  [process.execPath, path.join(buildDir, 'dist', 'cli', 'main.js'), 'serve', ...serveOptions(port), ...more];

/** The same with the port shared the way serve does not (EPOLLEXCLUSIVE), through its own starter. */
const ioreadyServeExclusive = (port: number, ...more: string[]): string[] =>
  [process.execPath, path.join(here, 'ioready-exclusive.js'), path.join(buildDir, 'dist', 'cli', 'serve', 'serve.js'), ...serveOptions(port), ...more];

const SERVERS: ServerDef[] = [
  { id: 'ioready', label: 'ioready serve', command: (p) => ioreadyServe(p) },
  { id: 'ioready-w2', label: 'ioready serve -w 2', command: (p) => ioreadyServe(p, '--workers', '2') },
  {
    id: 'ioready-w2x',
    label: 'ioready serve -w 2 (EXCLUSIVE)',
    command: (p) => ioreadyServeExclusive(p, '--workers', '2'),
  },
  { id: 'node-net', label: 'Node net module', command: (p) => [process.execPath, path.join(here, 'net-server.js'), `${p}`] },
  { id: 'python-seed', label: "the seed's Python", command: (p) => ['python3', path.join(here, 'seed.py'), `${p}`] },
  { id: 'c', label: 'C epoll server', command: (p) => [path.join(buildDir, 'c-server'), `${p}`] },
];

interface Options {
  reps: number;
  warmupMs: number;
  durationMs: number;
  clients: number[];
  idle: number;
  servers: string[];
  /** Where serve-results.json goes. */
  outDir: string;
  /** Shortened or narrowed (--quick, --reps, --servers...): not the committed results. */
  partial: boolean;
  cl: CommandLine;
}

const USAGE = `usage: npm run bench -- serve [options]
  --quick             1 repetition x 0.5 s, 2,000 idle connections (a smoke run)
  --reps N            repetitions (default 3; 0: memory only, 3 samples)
  --duration MS       measured window per run (default 2000)
  --warmup MS         warm-up before the window (default 300)
  --clients a,b       connection counts of the throughput runs (default 100,1000)
  --idle N            idle connections of the memory measurement (default 10000)
  --servers a,b       of: ${SERVERS.map((s) => s.id).join(', ')}
  --out DIR           where serve-results.json goes (default: bench/ after a full
                      run, bench/.build/serve/ after a quick or partial one)
`;

function parseOptions(argv: string[]): Options {
  const cl = parseBenchArgs(argv, {
    part: 'serve',
    prefix: 'bench serve',
    usage: USAGE,
    options: Object.fromEntries(['--reps', '--duration', '--warmup', '--clients', '--idle', '--servers'].map((o) => [o, { value: true }])),
  });
  const quick = cl.quick;
  const clients = cl.values.get('--clients');
  return {
    reps: cl.int('--reps', quick ? 1 : 3, 0),
    warmupMs: cl.int('--warmup', quick ? 200 : 300, 0),
    durationMs: cl.int('--duration', quick ? 500 : 2000),
    clients: clients === undefined ? [100, 1000] : clients.split(',').map((c) => {
      const n = Number(c);
      if (c.trim() === '' || !Number.isInteger(n) || n < 1) cl.fail(`--clients wants integers >= 1, not '${c}'`);
      return n;
    }),
    idle: cl.int('--idle', quick ? 2000 : 10000),
    servers: cl.list('--servers', SERVERS.map((d) => d.id), SERVERS.map((d) => d.id), 'server'),
    outDir: cl.outDir,
    partial: cl.partial,
    cl,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function compile(name: string): string {
  fs.mkdirSync(buildDir, { recursive: true });
  const out = path.join(buildDir, name);
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(here, `${name}.c`)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc ${name}.c: ${r.stderr}`);
  return out;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Resident memory in bytes: all of it (VmRSS), and the anonymous part (heaps; not the binary's pages). */
function rssBytes(pid: number): { rss: number; anon: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

interface IdleCost {
  rss: number;
  anon: number;
}

const fdCount = (pid: number): number => fs.readdirSync(`/proc/${pid}/fd`).length;

interface Running {
  child: ChildProcess;
  pid: number;
  port: number;
  outFile: string;
  stop(): Promise<void>;
}

/** Start a server (ulimit -n 20000, stdout to a tmpfs file) and wait until it accepts. */
async function startServer(def: ServerDef): Promise<Running> {
  const port = await freePort();
  const outFile = `/dev/shm/ioready-bench-serve-${process.pid}-${def.id}.out`;
  const out = fs.openSync(outFile, 'w');
  const cmd = def.command(port).map((a) => `'${a}'`).join(' ');
  const child = spawn('sh', ['-c', `ulimit -n 20000 && exec ${cmd}`], {
    cwd: root,
    stdio: ['ignore', out, 'pipe'],
    env: { ...process.env, ...def.env },
  });
  fs.closeSync(out);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  for (const end = Date.now() + 20000; ; ) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${def.id} did not start: ${stderr}`);
    await sleep(50);
  }
  await sleep(300); // the probe connection comes and goes; let startup settle
  return {
    child,
    pid: child.pid!,
    port,
    outFile,
    stop: async () => {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      fs.rmSync(outFile, { force: true });
    },
  };
}

interface Throughput {
  bytesPerSec: number;
  cpuUsPerMsg: number;
  cpuShare: number;
  lost: number;
}

async function runLoad(load: string, def: ServerDef, clients: number, o: Options): Promise<Throughput> {
  const s = await startServer(def);
  try {
    const base = fs.statSync(s.outFile).size;
    const client = spawn(load, ['127.0.0.1', `${s.port}`, `${clients}`, `${MSG}`, `${o.warmupMs}`, `${o.durationMs}`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let report = '';
    client.stdout!.on('data', (d: Buffer) => (report += d));
    const clientDone = new Promise<number | null>((resolve) => client.on('close', (code) => resolve(code)));
    while (!report.includes('\n')) {
      if (client.exitCode !== null) throw new Error(`load client failed against ${def.id}`);
      await sleep(10);
    }
    await sleep(o.warmupMs);
    const t0 = process.hrtime.bigint();
    const c0 = cpuTicks(s.pid);
    const b0 = fs.statSync(s.outFile).size;
    await sleep(o.durationMs);
    const t1 = process.hrtime.bigint();
    const c1 = cpuTicks(s.pid);
    const b1 = fs.statSync(s.outFile).size;
    const code = await clientDone;
    if (code !== 0) throw new Error(`load client failed (${code}) against ${def.id}`);
    const sent = (JSON.parse(report.trim().split('\n').pop()!) as { sent: number }).sent;
    // Every byte sent must reach the file (the client waited for the server's close).
    let size = 0;
    for (const end = Date.now() + 10000; Date.now() < end; await sleep(50)) {
      size = fs.statSync(s.outFile).size - base;
      if (size >= sent) break;
    }
    const seconds = Number(t1 - t0) / 1e9;
    const bytes = b1 - b0;
    const cpuMs = (c1 - c0) * TICK_MS;
    return {
      bytesPerSec: bytes / seconds,
      cpuUsPerMsg: bytes > 0 ? (cpuMs * 1000) / (bytes / MSG) : NaN,
      cpuShare: cpuMs / 1000 / seconds,
      lost: sent - size,
    };
  } finally {
    await s.stop();
  }
}

/** Open `n` idle connections to the server and wait until it accepted them all; resolves with a closer. */
async function idleWave(load: string, s: Running, id: string, n: number, fd0: number): Promise<() => Promise<void>> {
  const client = spawn(load, ['127.0.0.1', `${s.port}`, `${n}`, '--idle', '60000'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const gone = new Promise((resolve) => client.on('close', resolve));
  for (const end = Date.now() + 30000; fdCount(s.pid) < fd0 + n; await sleep(100)) {
    if (Date.now() > end) {
      client.kill('SIGKILL');
      throw new Error(`${id}: only ${fdCount(s.pid) - fd0} of ${n} idle connections accepted`);
    }
  }
  return async () => {
    client.kill('SIGKILL');
    await gone;
    for (const end = Date.now() + 30000; fdCount(s.pid) > fd0 && Date.now() < end; ) await sleep(100);
  };
}

/**
 * RSS per idle connection: (RSS with `n` idle connections - RSS before) / n,
 * on a fresh server (what the first `n` connections cost, one-off growth of
 * heaps and tables included); also its anonymous part alone (RssAnon: heaps,
 * without the pages of the program's binary that serving touched first).
 */
async function idleRss(load: string, def: ServerDef, n: number): Promise<IdleCost> {
  const s = await startServer(def);
  try {
    await sleep(500);
    const fd0 = fdCount(s.pid);
    const before = rssBytes(s.pid);
    const closeWave = await idleWave(load, s, def.id, n, fd0);
    await sleep(500);
    const after = rssBytes(s.pid);
    await closeWave();
    return { rss: (after.rss - before.rss) / n, anon: (after.anon - before.anon) / n };
  } finally {
    await s.stop();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Compile src/ with tsc into buildDir/dist and pin the addon the servers load
 * (a copy: the tree is shared, and a rebuild during the run must not change it).
 */
function prepareIoready(): void {
  const dist = path.join(buildDir, 'dist');
  fs.rmSync(dist, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', dist, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'inherit' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gypBuild = require('node-gyp-build') as { path(dir: string): string };
  const addon = process.env.IOREADY_NATIVE_PATH ? path.resolve(process.env.IOREADY_NATIVE_PATH) : gypBuild.path(root);
  const pinned = path.join(buildDir, 'ioready.node');
  fs.copyFileSync(addon, pinned);
  process.env.IOREADY_NATIVE_PATH = pinned;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const load = compile('load');
  compile('c-server');
  prepareIoready();
  const defs = SERVERS.filter((d) => o.servers.includes(d.id));
  const py = defs.findIndex((d) => d.id === 'python-seed');
  if (py >= 0 && spawnSync('python3', ['-c', 'pass']).status !== 0) defs.splice(py, 1);
  const runs = new Map<string, Throughput[]>();
  for (let rep = 0; rep < o.reps; rep++) {
    for (const clients of o.clients) {
      for (const def of defs) {
        const r = await runLoad(load, def, clients, o);
        const key = `${def.id}@${clients}`;
        runs.set(key, [...(runs.get(key) ?? []), r]);
        process.stderr.write(`  rep ${rep + 1} ${clients} clients ${def.id}: ${(r.bytesPerSec / 1e6).toFixed(1)} MB/s, ${r.cpuUsPerMsg.toFixed(3)} µs CPU/msg, lost ${r.lost}\n`);
      }
    }
  }
  // Memory: a fresh server per sample, a sample per repetition (3 with --reps 0, memory only), interleaved; the median.
  const idleReps = o.reps === 0 ? 3 : o.reps;
  const idleRuns = new Map<string, IdleCost[]>();
  for (let rep = 0; rep < idleReps; rep++) {
    for (const def of defs) {
      try {
        const v = await idleRss(load, def, o.idle);
        idleRuns.set(def.id, [...(idleRuns.get(def.id) ?? []), v]);
        process.stderr.write(`  rep ${rep + 1} idle ${def.id}: ${v.rss.toFixed(0)} B per connection\n`);
      } catch (err) {
        process.stderr.write(`  idle ${def.id}: ${(err as Error).message}\n`);
      }
    }
  }
  const rss = new Map<string, IdleCost & { samples: number[] }>();
  for (const [id, vs] of idleRuns) {
    rss.set(id, { rss: median(vs.map((v) => v.rss)), anon: median(vs.map((v) => v.anon)), samples: vs.map((v) => Math.round(v.rss)) });
  }
  const results: Record<string, unknown> = { options: o, servers: {} };
  const c = (clients: number, f: (t: Throughput) => number): number => median((runs.get(`c@${clients}`) ?? []).map(f));
  if (o.reps > 0) console.log(`\n${o.reps} repetition(s) x ${o.durationMs} ms of ${MSG}-byte messages, medians; x C: ratio to the C server\n`);
  const header = ['server', 'clients', 'MB/s', 'x C', 'CPU µs/msg', 'x C', 'server CPU', 'lost'];
  const rows: string[][] = [];
  for (const clients of o.clients) {
    for (const def of defs) {
      const rs = runs.get(`${def.id}@${clients}`) ?? [];
      const bps = median(rs.map((r) => r.bytesPerSec));
      const cpu = median(rs.map((r) => r.cpuUsPerMsg));
      const share = median(rs.map((r) => r.cpuShare));
      const lost = rs.reduce((a, r) => a + r.lost, 0);
      rows.push([def.label, `${clients}`, (bps / 1e6).toFixed(1), (bps / c(clients, (r) => r.bytesPerSec)).toFixed(2), cpu.toFixed(3),
        (cpu / c(clients, (r) => r.cpuUsPerMsg)).toFixed(2), `${(share * 100).toFixed(0)}%`, `${lost}`]);
      (results.servers as Record<string, unknown>)[`${def.id}@${clients}`] = { bytesPerSec: bps, cpuUsPerMsg: cpu, cpuShare: share, lost, runs: rs };
    }
  }
  if (o.reps === 1) console.log('ONE repetition: each figure is a single sample (10-30% apart between runs on a\nshared machine), not a verdict; run without --quick for medians of 3.\n');
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  if (o.reps > 0) {
    console.log(line(header));
    for (const r of rows) console.log(line(r));
  }
  console.log(`\nRSS per idle connection (of which anonymous memory), ${o.idle.toLocaleString('en')} connections, median of ${idleReps}:`);
  if (o.idle < 10000) console.log('(fewer than 10,000: one-off growth of heaps weighs more per connection than in a full run)');
  const pyIdle = rss.get('python-seed');
  for (const def of defs) {
    const v = rss.get(def.id);
    const vsPy = v !== undefined && pyIdle !== undefined && def.id !== 'python-seed' ? `  ${(v.rss / pyIdle.rss).toFixed(2)}x Python's` : '';
    console.log(`  ${def.label.padEnd(widths[0]!)}  ${v === undefined ? 'n/a' : `${v.rss.toFixed(0)} B (${v.anon.toFixed(0)} B)${vsPy}`}`);
    (results.servers as Record<string, unknown>)[`${def.id}@idle`] = { rssPerConnection: v?.rss ?? null, anonPerConnection: v?.anon ?? null, samples: v?.samples ?? [] };
  }
  fs.mkdirSync(o.outDir, { recursive: true });
  const file = path.join(o.outDir, 'serve-results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${wroteLine(o.cl, [file])}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
