/**
 * `npm run bench:handoff`: fd passing and process-exit notice, against peers doing
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
 *   npm run bench:handoff                      # 5 repetitions x 1 s, 40 children
 *   npm run bench:handoff -- --quick           # 1 x 0.2 s, 5 children
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { close, Epoll, EPOLLIN, pidfdOpen, pidfdSendSignal, recv, recvFds, send, sendFds, socketpair } from '../src/index';

const quick = process.argv.includes('--quick');
const REPS = quick ? 1 : 5;
const WINDOW_MS = quick ? 200 : 1000;
const CHILDREN = quick ? 5 : 40;

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
function measure(peer: 'ioready' | 'python' | 'c' | 'plain'): number {
  const r =
    peer === 'python'
      ? spawnSync('python3', ['-c', PYTHON, String(WINDOW_MS)], { encoding: 'utf8' })
      : peer === 'c'
      ? spawnSync(cPeer, [String(WINDOW_MS)], { encoding: 'utf8' })
      : spawnSync(process.execPath, ['--require', 'tsx/cjs', __filename, '--child', peer === 'plain' ? 'plain' : 'fds', String(WINDOW_MS)], { encoding: 'utf8' });
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
  const i = process.argv.indexOf('--child');
  if (i >= 0) {
    process.stdout.write(`${nodeLoop(process.argv[i + 1] as 'fds' | 'plain', Number(process.argv[i + 2]))}\n`);
    return;
  }
  fs.mkdirSync(path.dirname(cPeer), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', cPeer, path.join(__dirname, 'c', 'fdpass.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.error?.message ?? cc.stderr}`);
  const peers = ['ioready', 'python', 'c', 'plain'] as const;
  const runs: Record<(typeof peers)[number], number[]> = { ioready: [], python: [], c: [], plain: [] };
  for (let rep = 0; rep < REPS; rep++) for (const p of peers) runs[p].push(measure(p)); // interleaved
  const m = Object.fromEntries(peers.map((p) => [p, median(runs[p])])) as Record<(typeof peers)[number], number>;
  const k = (x: number): string => `${(x / 1000).toFixed(0)}k/s`;
  console.log(`passing 1 fd per 1-byte message (median of ${REPS} x ${WINDOW_MS} ms):`);
  console.log(`  ioready sendFds/recvFds + close   ${k(m.ioready)}  ${(1e6 / m.ioready).toFixed(2)} µs per message`);
  console.log(`  python send_fds/recv_fds + close  ${k(m.python)}  ioready ${(m.ioready / m.python).toFixed(2)}x python`);
  console.log(`  C sendmsg/recvmsg + close         ${k(m.c)}  ioready ${(m.ioready / m.c).toFixed(2)}x C`);
  console.log(`  ioready send/recv, no fd (floor)  ${k(m.plain)}  an fd costs ${(1e6 / m.ioready - 1e6 / m.plain).toFixed(2)} µs`);

  const notices: Array<{ pidfd: number; exit: number }> = [];
  for (let c = 0; c < CHILDREN; c++) notices.push(await exitNotice());
  const p = median(notices.map((n) => n.pidfd));
  const e = median(notices.map((n) => n.exit));
  const first = notices.filter((n) => n.pidfd <= n.exit).length;
  console.log(`exit notice after SIGKILL (median of ${CHILDREN} children):`);
  console.log(`  pidfd readable (Epoll wait)       ${p.toFixed(3)} ms`);
  console.log(`  child_process 'exit'              ${e.toFixed(3)} ms   (the pidfd first in ${first}/${CHILDREN})`);
}

void main();
