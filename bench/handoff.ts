/**
 * `npm run bench -- handoff`: fd passing and process-exit notice, against peers doing
 * the same work, in one run (ratios, not absolute numbers, are the result).
 *
 * 1. Passing fds: one message of 1 byte carrying 1 fd over a Unix socketpair,
 *    received, and the received fd closed; messages per second. Peers: ioready's
 *    sendFds/recvFds, Python's socket.send_fds/recv_fds (the same syscalls, from
 *    the interpreter), C (bench/c/fdpass.c: the limit), and the same 1-byte
 *    message with no fd (ioready's send/recv: what the fd costs). Each a fresh process, a fixed wall-time window, the
 *    median of the repetitions.
 * 2. Exit notice: a child killed with SIGKILL; the time from the kill to the
 *    pidfd turning readable (an Epoll's wait() on the event loop) and to
 *    child_process's 'exit' event (libuv's SIGCHLD handler and waitpid), both
 *    watched at once; medians over the children.
 *
 *   npm run bench -- handoff                   # 5 repetitions x 1 s, 40 children
 *   npm run bench -- handoff --quick           # 1 x 0.2 s, 5 children
 *
 * Results also go to bench/handoff-results.json after a full run
 * (bench/.build/handoff/ after a quick or partial one; --out DIR says where).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CommandLine, parseBenchArgs, wroteLine } from './cli';
import { close, Epoll, EPOLLIN, pidfdOpen, pidfdSendSignal, recv, recvFds, send, sendFds, socketpair } from '../src/index';

const USAGE = `usage: npm run bench -- handoff [options]
  --quick             1 repetition x 200 ms, 5 children (a smoke run)
  --reps N            repetitions per peer of the fd-passing loop (default 5)
  --window MS         measured window per repetition (default 1000)
  --children N        children killed for the exit notice (default 40)
  --out DIR           where handoff-results.json goes (default: bench/ after a full
                      run, bench/.build/handoff/ after a quick or partial one)
`;

function parseOptions(argv: string[]): { cl: CommandLine; reps: number; windowMs: number; children: number } {
  const cl = parseBenchArgs(argv, {
    part: 'handoff',
    prefix: 'bench handoff',
    usage: USAGE,
    options: { '--reps': { value: true }, '--window': { value: true }, '--children': { value: true } },
  });
  return { cl, reps: cl.int('--reps', cl.quick ? 1 : 5), windowMs: cl.int('--window', cl.quick ? 200 : 1000), children: cl.int('--children', cl.quick ? 5 : 40) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** In this process (a fresh child of the runner): messages per second for `mode`. */
function nodeLoop(mode: 'fds' | 'plain', windowMs: number): number {
  const [a, b] = socketpair();
  const [r] = socketpair(); // the fd passed each time (any open fd)
  const one = Buffer.from('x');
  const buf = Buffer.alloc(16);
  const round = mode === 'fds'
    ? () => {
        sendFds(a, one, [r!]);
        close(recvFds(b, buf, 1)!.fds[0]!);
      }
    : () => {
        send(a, one);
        recv(b, buf);
      };
  for (let i = 0; i < 20000; i++) round(); // warm-up: JIT, caches
  let count = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(windowMs) * 1000000n;
  let now = t0;
  while (now < end) {
    for (let i = 0; i < 1000; i++) round();
    count += 1000;
    now = process.hrtime.bigint();
  }
  return count / (Number(now - t0) / 1e9);
}

const PYTHON = `
import os, socket, sys, time
a, b = socket.socketpair()
r, _ = socket.socketpair()
one = [b'x']
fd = [r.fileno()]
def round():
    socket.send_fds(a, one, fd)
    msg, fds, flags, addr = socket.recv_fds(b, 16, 1)
    os.close(fds[0])
for i in range(20000): round()
window = float(sys.argv[1]) / 1000
count = 0
t0 = time.perf_counter()
end = t0 + window
now = t0
while now < end:
    for i in range(1000): round()
    count += 1000
    now = time.perf_counter()
print(count / (now - t0))
`;

const cPeer = path.join(__dirname, '.build', 'fdpass-c');

/** One measurement in a fresh process. */
function measure(peer: 'ioready' | 'python' | 'c' | 'plain', windowMs: number): number {
  const r =
    peer === 'python'
      ? spawnSync('python3', ['-c', PYTHON, String(windowMs)], { encoding: 'utf8' })
      : peer === 'c'
      ? spawnSync(cPeer, [String(windowMs)], { encoding: 'utf8' })
      : spawnSync(process.execPath, ['--require', 'tsx/cjs', __filename, '--child', peer === 'plain' ? 'plain' : 'fds', String(windowMs)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${peer}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** Kill a child and time both notices, in ms after the kill. */
async function exitNotice(): Promise<{ pidfd: number; exit: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const pidfd = pidfdOpen(child.pid!);
  const ep = new Epoll();
  ep.register(pidfd, EPOLLIN);
  const t0 = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  const viaPidfd = ep.wait(10000).then(ms);
  const viaExit = once(child, 'exit').then(ms);
  pidfdSendSignal(pidfd, 'SIGKILL');
  const [p, e] = await Promise.all([viaPidfd, viaExit]);
  ep.close();
  close(pidfd);
  return { pidfd: p, exit: e };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    process.stdout.write(`${nodeLoop(process.argv[3] as 'fds' | 'plain', Number(process.argv[4]))}\n`);
    return;
  }
  const { cl, reps: REPS, windowMs: WINDOW_MS, children: CHILDREN } = parseOptions(process.argv.slice(2));
  fs.mkdirSync(path.dirname(cPeer), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', cPeer, path.join(__dirname, 'c', 'fdpass.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.error?.message ?? cc.stderr}`);
  const started = new Date();
  const loadavg = os.loadavg().map((l) => Math.round(l * 100) / 100);
  const peers = ['ioready', 'python', 'c', 'plain'] as const;
  const runs: Record<(typeof peers)[number], number[]> = { ioready: [], python: [], c: [], plain: [] };
  // Interleaved, the order rotating per repetition.
  for (let rep = 0; rep < REPS; rep++) {
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[(i + rep) % peers.length]!;
      runs[peer].push(measure(peer, WINDOW_MS));
    }
  }
  const m = Object.fromEntries(peers.map((p) => [p, median(runs[p])])) as Record<(typeof peers)[number], number>;
  const k = (x: number): string => `${(x / 1000).toFixed(0)}k/s`.padStart(7);
  if (REPS === 1) console.log('ONE repetition: each figure and ratio is a single sample (10-30% apart between runs\non a shared machine), not a verdict; run without --quick for medians of 5.\n');
  console.log(`passing 1 fd per 1-byte message (median of ${REPS} x ${WINDOW_MS} ms; ratios: ioready ÷ it):`);
  console.log(`  ioready sendFds/recvFds + close   ${k(m.ioready)}  ${(1e6 / m.ioready).toFixed(2)} µs per message`);
  console.log(`  python send_fds/recv_fds + close  ${k(m.python)}  ioready ${(m.ioready / m.python).toFixed(2)}x python`);
  console.log(`  C sendmsg/recvmsg + close         ${k(m.c)}  ioready ${(m.ioready / m.c).toFixed(2)}x C`);
  console.log(`  ioready send/recv, no fd (floor)  ${k(m.plain)}  an fd costs ${(1e6 / m.ioready - 1e6 / m.plain).toFixed(2)} µs`);

  const notices: Array<{ pidfd: number; exit: number }> = [];
  for (let c = 0; c < CHILDREN; c++) notices.push(await exitNotice());
  const p = median(notices.map((n) => n.pidfd));
  const e = median(notices.map((n) => n.exit));
  const first = notices.filter((n) => n.pidfd <= n.exit).length;
  console.log(`\nexit notice after SIGKILL (median of ${CHILDREN} children):`);
  console.log(`  pidfd readable (Epoll wait)       ${p.toFixed(3)} ms`);
  console.log(`  child_process 'exit'              ${e.toFixed(3)} ms   (the pidfd first in ${first}/${CHILDREN})`);

  const results = {
    date: started.toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version, loadavg },
    quick: cl.quick,
    options: { reps: REPS, windowMs: WINDOW_MS, children: CHILDREN },
    fdPassing: { messagesPerSecond: m, ratios: { python: m.ioready / m.python, c: m.ioready / m.c, plain: m.ioready / m.plain }, runs },
    exitNotice: { pidfdMs: p, exitMs: e, pidfdFirst: first, children: CHILDREN, samples: notices },
  };
  fs.mkdirSync(cl.outDir, { recursive: true });
  const file = path.join(cl.outDir, 'handoff-results.json');
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${wroteLine(cl, [file])}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
