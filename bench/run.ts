/**
 * `npm run bench`: ioready against every peer, side by side, in one run.
 *
 * Two workloads, each run in a fresh child process per (peer, repetition),
 * peers interleaved round-robin, the median of the repetitions reported:
 *  - ping-pong: two pipes; each readiness event reads the byte and writes it
 *    to the other pipe. Round trips per second.
 *  - fan-in: 1,000 pipes, each holding a byte; each readiness event reads the
 *    byte and writes it back, so the pipe is ready again (every peer does the
 *    same I/O per event). Events handled per second.
 * Each child warms up, measures a fixed wall-time window, and prints
 * {"count", "seconds"} as JSON on stdout.
 *
 * Prints a table (medians, spread, ratios, the issue's targets) and writes
 * results.json and results.svg: into bench/ (the committed results) only
 * after a full run; a quick or partial one (--quick, --reps, --peers...)
 * writes into bench/.build/pipes/; --out DIR says where, always.
 *
 *   npm run bench -- pipes              # 5 repetitions x 1.5 s, both workloads (npm run bench runs this, then the other parts)
 *   npm run bench -- pipes --quick      # 1 repetition x 0.2 s: a smoke run
 *   npm run bench -- pipes --reps 9 --duration 2000 --workloads pingpong --peers ioready-start,c
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CommandLine, parseBenchArgs, wroteLine } from './cli';
import { renderChart } from './svg';
import {
  PEERS,
  TARGETS,
  WORKLOADS,
  formatRate,
  type BenchResults,
  type PeerId,
  type PeerInfo,
  type Run,
  type TargetCheck,
  type WorkloadId,
  type WorkloadResult,
} from './model';

const benchDir = __dirname;
const root = path.join(benchDir, '..');
const buildDir = path.join(benchDir, '.build');

interface Options {
  quick: boolean;
  reps: number;
  warmupMs: number;
  durationMs: number;
  fanIn: number;
  workloads: WorkloadId[];
  peers: PeerId[];
  outDir: string;
  /** Run ioready's TypeScript sources through tsx instead of tsc's output. */
  fromSrc: boolean;
  /** Shortened or narrowed (--quick, --reps, --peers...): not the committed results. */
  partial: boolean;
  cl: CommandLine;
}

const USAGE = `usage: npm run bench -- pipes [options]
  --quick             1 repetition, 50 ms warm-up, 200 ms window (a smoke run)
  --reps N            repetitions per (workload, peer) (default 5)
  --duration MS       measured window per run (default 1500)
  --warmup MS         warm-up before the window (default 300)
  --fan-in N          pipes in the fan-in workload (default 1000)
  --workloads a,b     of: ${WORKLOADS.map((w) => w.id).join(', ')}
  --peers a,b         of: ${PEERS.map((p) => p.id + (p.optional ? ' (only if named)' : '')).join(', ')}
  --out DIR           where results.json and results.svg go (default: bench/ after
                      a full run, bench/.build/pipes/ after a quick or partial one)
  --from-src          run ioready's TypeScript sources through tsx (default: tsc's
                      output, compiled for this run in bench/.build, as users run it)
  --redraw            only draw results.svg again from results.json
  --markdown          only print results.json's tables for the README
`;

function parseOptions(argv: string[]): Options {
  const cl = parseBenchArgs(argv, {
    part: 'pipes',
    prefix: 'bench',
    usage: USAGE,
    options: {
      '--reps': { value: true },
      '--duration': { value: true },
      '--warmup': { value: true },
      '--fan-in': { value: true },
      '--workloads': { value: true },
      '--peers': { value: true },
      '--from-src': {},
      '--redraw': { narrows: false },
      '--markdown': { narrows: false },
    },
  });
  const quick = cl.quick;
  return {
    quick,
    reps: cl.int('--reps', quick ? 1 : 5),
    warmupMs: cl.int('--warmup', quick ? 50 : 300),
    durationMs: cl.int('--duration', quick ? 200 : 1500),
    fanIn: cl.int('--fan-in', 1000),
    workloads: cl.list('--workloads', WORKLOADS.map((w) => w.id), WORKLOADS.map((w) => w.id), 'workload'),
    peers: cl.list('--peers', PEERS.map((p) => p.id), PEERS.filter((p) => !p.optional).map((p) => p.id), 'peer'),
    outDir: cl.outDir,
    fromSrc: cl.flags.has('--from-src'),
    partial: cl.partial,
    cl,
  };
}

/** The first line a command prints, or undefined if it cannot run. */
function firstLine(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}


/**
 * Pin down the ioready under test: compile src/ with tsc into this run's own
 * directory (unless --from-src), and copy there the addon node-gyp-build
 * would load, so that a rebuild during the run (the tree is shared, and the
 * test suite runs the bench too) cannot change it half-way. Returns the
 * children's environment; `runDir` is removed when the run ends.
 */
function prepareIoready(o: Options, runDir: string): { env: NodeJS.ProcessEnv; info: BenchResults['ioready'] } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  fs.mkdirSync(runDir, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gypBuild = require('node-gyp-build') as { path(dir: string): string };
  const addon = process.env.IOREADY_NATIVE_PATH ? path.resolve(process.env.IOREADY_NATIVE_PATH) : gypBuild.path(root);
  const pinned = path.join(runDir, 'ioready.node');
  fs.copyFileSync(addon, pinned);
  env.IOREADY_NATIVE_PATH = pinned;
  if (!o.fromSrc) {
    const dist = path.join(runDir, 'dist');
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', dist, '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'inherit' });
    env.IOREADY_BENCH_DIST = path.join(dist, 'index.js');
  } else {
    delete env.IOREADY_BENCH_DIST;
  }
  const commit = firstLine('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = firstLine('git', ['-C', root, 'status', '--porcelain', '--', 'src', 'native']);
  return {
    env,
    info: {
      code: o.fromSrc ? 'src/ through tsx' : 'tsc output of src/',
      addon: path.relative(root, addon),
      commit: commit === undefined ? undefined : `${commit}${dirty ? ' (src/ or native/ modified)' : ''}`,
    },
  };
}

/** How to start each peer's child, or why it cannot run here. */
function preparePeers(ids: PeerId[], runDir: string): PeerInfo[] {
  const cPeer = path.join(runDir, 'peer-c');
  return ids.map((id): PeerInfo => {
    const peer = PEERS.find((p) => p.id === id)!;
    if (id === 'c') {
      const r = spawnSync('cc', ['-O2', '-Wall', '-o', cPeer, path.join(benchDir, 'c', 'peer.c')], { encoding: 'utf8' });
      if (r.status !== 0) return { ...peer, available: false, reason: `cc failed: ${r.error?.message ?? r.stderr.trim()}` };
      return { ...peer, available: true, command: [cPeer] };
    }
    if (id === 'python') {
      const v = firstLine('python3', ['-c', 'import select, sys; select.epoll; print(sys.version.split()[0])']);
      if (v === undefined) return { ...peer, available: false, reason: 'python3 with select.epoll not found' };
      return { ...peer, label: `${peer.label}`, version: `Python ${v}`, available: true, command: ['python3', path.join(benchDir, 'py', 'peer.py')] };
    }
    if (id === 'ioready-start-rounds1') {
      const script = path.join(benchDir, 'peers', 'ioready-start.ts');
      return { ...peer, available: true, command: [process.execPath, '--require', 'tsx/cjs', script], env: { IOREADY_BENCH_ROUNDS: '1' } };
    }
    if (id === 'ioready-start-range') {
      const script = path.join(benchDir, 'peers', 'ioready-start.ts');
      return { ...peer, available: true, command: [process.execPath, '--require', 'tsx/cjs', script], env: { IOREADY_BENCH_RANGE: '1' } };
    }
    if (id === 'ioready-events') {
      const script = path.join(benchDir, 'peers', 'ioready-wait.ts');
      return { ...peer, available: true, command: [process.execPath, '--require', 'tsx/cjs', script], env: { IOREADY_BENCH_EVENTS: '1' } };
    }
    if (id === 'ioready-thread') {
      const script = path.join(benchDir, 'peers', 'ioready-start.ts');
      return { ...peer, available: true, command: [process.execPath, '--require', 'tsx/cjs', script], env: { IOREADY_WATCH: 'thread' } };
    }
    const script = path.join(benchDir, 'peers', `${id}.ts`);
    return { ...peer, available: true, command: [process.execPath, '--require', 'tsx/cjs', script] };
  });
}

/** One child process: one (peer, workload, repetition). */
function runOnce(peer: PeerInfo, workload: WorkloadId, rep: number, o: Options, env: NodeJS.ProcessEnv): Run {
  const [cmd, ...args] = peer.command!;
  const timeoutMs = o.warmupMs + o.durationMs + 60_000;
  const r = spawnSync(cmd!, [...args, workload, String(o.warmupMs), String(o.durationMs), String(o.fanIn)], {
    cwd: root,
    env: { ...env, ...peer.env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 1 << 20,
  });
  const base = { peer: peer.id, workload, rep };
  const lines = (r.stdout ?? '').trim().split('\n');
  try {
    if (r.status !== 0) throw new Error(r.error?.message ?? `exit ${r.status ?? r.signal}`);
    const out = JSON.parse(lines[lines.length - 1]!) as {
      count: number;
      seconds: number;
      cpuSeconds: number;
      userSeconds?: number;
      systemSeconds?: number;
      rssMB?: number;
    };
    if (!(out.count > 0 && out.seconds > 0)) throw new Error(`no work measured: ${JSON.stringify(out)}`);
    const { count, seconds, cpuSeconds, userSeconds, systemSeconds, rssMB } = out;
    return { ...base, count, seconds, cpuSeconds, userSeconds, systemSeconds, rate: count / seconds, cpuRate: count / cpuSeconds, rssMB };
  } catch (err) {
    const stderr = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return { ...base, error: `${(err as Error).message}${stderr ? `: ${stderr}` : ''}` };
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function summarise(workload: WorkloadId, peers: PeerInfo[], runs: Run[]): WorkloadResult {
  const w = WORKLOADS.find((x) => x.id === workload)!;
  const result: WorkloadResult = { id: workload, title: w.title, unit: w.unit, peers: {}, ratios: {} };
  for (const p of peers) {
    const ok = runs.filter((r) => r.peer === p.id && r.workload === workload && r.rate !== undefined);
    if (ok.length === 0) continue;
    const rates = ok.map((r) => r.rate!);
    const cpuMedian = median(ok.map((r) => r.cpuRate!));
    const split = ok.filter((r) => r.systemSeconds !== undefined && r.cpuSeconds! > 0);
    const kernelShare = split.length === 0 ? undefined : median(split.map((r) => r.systemSeconds! / r.cpuSeconds!));
    result.peers[p.id] = { median: median(rates), min: Math.min(...rates), max: Math.max(...rates), runs: rates.length, cpuMedian, kernelShare };
  }
  const ids = Object.keys(result.peers) as PeerId[];
  for (const a of ids) {
    const row: Partial<Record<PeerId, number>> = {};
    for (const b of ids) row[b] = result.peers[a]!.median / result.peers[b]!.median;
    result.ratios[a] = row;
  }
  return result;
}

function checkTargets(results: Record<string, WorkloadResult>): TargetCheck[] {
  return TARGETS.filter((t) => results[t.workload] !== undefined).map((t): TargetCheck => {
    const w = results[t.workload]!;
    const ratio = w.ratios[t.peer]?.[t.versus];
    const a = w.peers[t.peer];
    const b = w.peers[t.versus];
    const cpuRatio = a && b ? a.cpuMedian / b.cpuMedian : undefined;
    return { ...t, ratio, cpuRatio, met: ratio === undefined ? null : ratio >= t.atLeast };
  });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (c === 0 ? `-${'-'.repeat(w)}-` : `-${'-'.repeat(w)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

/**
 * The printed report, for an 80-100 column terminal: per workload, each
 * peer's median rate, its spread, its rate per CPU-second, and the two ratios
 * that say how ioready compares (start() to this peer, this peer to C); then
 * the targets. Every other ratio is in results.json (`workloads.*.ratios`).
 */
function printReport(res: BenchResults): void {
  const out: string[] = [];
  const label = (id: PeerId): string => PEERS.find((p) => p.id === id)!.label;
  const single = res.options.reps === 1;
  const ratio = (x: number | undefined): string => (x === undefined ? '-' : `${x.toFixed(2)}x`);
  for (const w of Object.values(res.workloads)) {
    if (w === undefined) continue;
    const ids = Object.keys(w.peers) as PeerId[];
    out.push(`\n${w.title}\n(${w.unit}, median of ${res.options.reps}${single ? '' : ', spread = (max - min) / 2 as a share of the median'})\n`);
    const head = ['peer', 'median', ...(single ? [] : ['spread']), 'per CPU-s', 'kernel', 'start() ÷', '÷ C'];
    const rows = ids.map((a) => {
      const st = w.peers[a]!;
      const spread = `±${((50 * (st.max - st.min)) / st.median).toFixed(0)}%`;
      const kernel = st.kernelShare === undefined ? '-' : `${(100 * st.kernelShare).toFixed(0)}%`;
      const startVs = a === 'ioready-start' ? '1' : ratio(w.ratios['ioready-start']?.[a]);
      const vsC = a === 'c' ? '1' : ratio(w.ratios[a]?.c);
      return [label(a), formatRate(st.median), ...(single ? [] : [spread]), formatRate(st.cpuMedian), kernel, startVs, vsC];
    });
    out.push(table([head, ...rows]));
  }
  out.push('\nper CPU-s: events per second of the process\'s own CPU time (all threads), less');
  out.push('disturbed by other load; kernel: its system-time share. start() ÷: ioready');
  out.push('start()\'s median over this peer\'s; ÷ C: this peer\'s over C\'s. All ratios:');
  out.push('results.json, workloads.*.ratios.');
  out.push(`\nTargets (ratios of medians from this run${single ? '; ONE repetition: samples, not verdicts' : ''})\n`);
  const status = (t: TargetCheck): string => {
    if (t.met === null) return 'not measured';
    if (single) return t.met ? 'above (1 run)' : 'below (1 run)';
    return t.met ? 'met' : 'NOT MET';
  };
  out.push(
    table([
      ['target', 'wanted', 'measured', 'per CPU-s', 'status'],
      ...res.targets.map((t) => [
        `${t.workload}: ${label(t.peer).replace(/^ioready /, '')} ÷ ${label(t.versus).replace(/^ioready /, '')}`,
        `>= ${+t.atLeast.toFixed(2)}x`,
        ratio(t.ratio),
        ratio(t.cpuRatio),
        status(t),
      ]),
    ]),
  );
  if (single) out.push('\nOne repetition on a shared machine varies by 10-30%: run without --quick (5\nrepetitions, medians) before calling a target met or missed.');
  const failed = res.runs.filter((r) => r.error !== undefined);
  for (const r of failed) out.push(`\nrun failed: ${r.workload} ${r.peer} #${r.rep}: ${r.error}`);
  for (const p of res.peers) if (!p.available) out.push(`\npeer skipped: ${p.label}: ${p.reason}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The README's tables: per workload, each peer's median and start()'s ratio to it; the targets. */
function markdown(res: BenchResults): string {
  const label = (id: PeerId): string => PEERS.find((p) => p.id === id)!.label;
  const head = ['peer', ...Object.values(res.workloads).flatMap((w) => [`${w!.id}: ${w!.unit}`, 'per CPU-s', 'start() ÷ peer'])];
  const rows = PEERS.filter((p) => Object.values(res.workloads).some((w) => w!.peers[p.id])).map((p) => [
    label(p.id),
    ...Object.values(res.workloads).flatMap((w) => {
      const s = w!.peers[p.id];
      const r = w!.ratios['ioready-start']?.[p.id];
      return s ? [formatRate(s.median), formatRate(s.cpuMedian), r === undefined ? '-' : `${r.toFixed(2)}x`] : ['-', '-', '-'];
    }),
  ]);
  const targets = res.targets.map((t) => [
    `${t.workload}: ${label(t.peer)} ≥ ${+t.atLeast.toFixed(2)}x ${label(t.versus)}`,
    t.ratio === undefined ? '-' : `${t.ratio.toFixed(2)}x`,
    t.cpuRatio === undefined ? '-' : `${t.cpuRatio.toFixed(2)}x`,
    t.met === null ? 'not measured' : t.met ? 'met' : '**not met**',
  ]);
  return `${table([head, ...rows])}\n\n${table([['target', 'measured', 'per CPU-s', ''], ...targets])}\n`;
}

function machine(): BenchResults['machine'] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    python: firstLine('python3', ['--version']),
    cc: firstLine('cc', ['--version']),
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  if (process.argv.includes('--markdown')) {
    const res = JSON.parse(fs.readFileSync(path.join(o.outDir, 'results.json'), 'utf8')) as BenchResults;
    process.stdout.write(markdown(res));
    return;
  }
  if (process.argv.includes('--redraw')) {
    // Draw results.svg again from results.json (after a change to the chart).
    const res = JSON.parse(fs.readFileSync(path.join(o.outDir, 'results.json'), 'utf8')) as BenchResults;
    fs.writeFileSync(path.join(o.outDir, 'results.svg'), renderChart(res));
    return;
  }
  const started = new Date();
  const mach = machine();
  const runDir = path.join(buildDir, `run-${process.pid}`);
  process.on('exit', () => fs.rmSync(runDir, { recursive: true, force: true }));
  const { env, info } = prepareIoready(o, runDir);
  const peers = preparePeers(o.peers, runDir);
  const ready = peers.filter((p) => p.available);
  const runs: Run[] = [];
  const total = o.reps * o.workloads.length * ready.length;
  // Round-robin: every peer runs once per repetition, and the order rotates so
  // no peer always runs first (or right after the same neighbour).
  for (let rep = 0; rep < o.reps; rep++) {
    for (const workload of o.workloads) {
      for (let k = 0; k < ready.length; k++) {
        const peer = ready[(k + rep) % ready.length]!;
        const run = runOnce(peer, workload, rep, o, env);
        runs.push(run);
        const what = run.rate === undefined ? `FAILED ${run.error}` : `${formatRate(run.rate)}/s`;
        process.stderr.write(`[${runs.length}/${total}] ${workload} ${peer.id}: ${what}\n`);
      }
    }
  }
  const workloads: Record<string, WorkloadResult> = {};
  for (const w of o.workloads) workloads[w] = summarise(w, ready, runs);
  const results: BenchResults = {
    version: 1,
    date: started.toISOString(),
    elapsedSeconds: Math.round((Date.now() - started.getTime()) / 100) / 10,
    quick: o.quick,
    options: { reps: o.reps, warmupMs: o.warmupMs, durationMs: o.durationMs, fanIn: o.fanIn },
    ioready: info,
    machine: { ...mach, loadavgAfter: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    peers: peers.map(({ command: _command, env: _env, ...p }) => p),
    workloads,
    targets: checkTargets(workloads),
    runs,
  };
  printReport(results);
  fs.mkdirSync(o.outDir, { recursive: true });
  const jsonPath = path.join(o.outDir, 'results.json');
  const svgPath = path.join(o.outDir, 'results.svg');
  fs.writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(svgPath, renderChart(results));
  process.stdout.write(`\n${wroteLine(o.cl, [jsonPath, svgPath])}\n`);
  if (runs.some((r) => r.error !== undefined)) process.exitCode = 1;
}

if (require.main === module) main();
