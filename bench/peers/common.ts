/**
 * What every JavaScript bench peer shares: its arguments, the measuring
 * window, and the one JSON line it reports on stdout.
 *
 *   node --import tsx bench/peers/<peer>.ts pingpong|fanin WARMUP_MS DURATION_MS FAN_IN
 */
import fs from 'node:fs';
import { ioready } from './ioready';

export type Workload = 'pingpong' | 'fanin';

export interface PeerArgs {
  workload: Workload;
  warmupMs: number;
  durationMs: number;
  /** How many pipes the fan-in workload keeps readable. */
  fanIn: number;
}

/** Parse argv; exits with status 2 on a bad command line. */
export function peerArgs(): PeerArgs {
  const [workload, warmup, duration, fan] = process.argv.slice(2);
  const nums = [warmup, duration, fan].map(Number);
  if ((workload !== 'pingpong' && workload !== 'fanin') || nums.some((n) => !Number.isFinite(n) || n < 0)) {
    process.stderr.write('usage: <peer> pingpong|fanin WARMUP_MS DURATION_MS FAN_IN\n');
    process.exit(2);
  }
  return { workload, warmupMs: nums[0]!, durationMs: nums[1]!, fanIn: nums[2]! };
}

/**
 * A warm-up phase, then the measured window. The peer adds to `count` as it
 * works and asks `due()` now and then (not on every event: the clock costs);
 * `due()` restarts `count` when the warm-up ends, and reports and exits the
 * process when the window is over.
 */
export class Window {
  count = 0;
  #measuring = false;
  #t0 = 0;
  #cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
  #end: number;
  readonly #durationMs: number;

  constructor(args: PeerArgs) {
    this.#durationMs = args.durationMs;
    this.#end = performance.now() + args.warmupMs;
  }

  due(): boolean {
    const t = performance.now();
    if (t < this.#end) return false;
    if (!this.#measuring) {
      this.#measuring = true;
      this.count = 0;
      this.#t0 = t;
      this.#cpu0 = process.cpuUsage();
      this.#end = t + this.#durationMs;
      return false;
    }
    const cpu = process.cpuUsage(this.#cpu0);
    report(this.count, (t - this.#t0) / 1000, cpu.user / 1e6, cpu.system / 1e6);
    return true;
  }
}

/**
 * Print the result line and exit (threads of some peers would keep the
 * process alive). cpuSeconds is the process's CPU time in the window (user
 * + system, all threads): on a busy machine, count / cpuSeconds moves less
 * than count / seconds.
 */
export function report(count: number, seconds: number, userSeconds: number, systemSeconds: number): never {
  const rssMB = Math.round(process.memoryUsage.rss() / 2 ** 20);
  const cpuSeconds = userSeconds + systemSeconds;
  fs.writeSync(1, `${JSON.stringify({ count, seconds, cpuSeconds, userSeconds, systemSeconds, rssMB })}\n`);
  process.exit(0);
}


/**
 * The fan-in pipes: `count` pipes holding one byte each, their read ends
 * handed to `watch`. Returns writeEnd, indexed by read end (as the C and
 * Python peers' arrays), for the event handler to write the byte back.
 */
export function fanInPipes(count: number, watch: (readFd: number) => void): number[] {
  const writeEnd: number[] = [];
  const byte = Buffer.from('x');
  for (let i = 0; i < count; i++) {
    const [r, wr] = ioready.pipe();
    while (writeEnd.length < r) writeEnd.push(-1); // packed, as an array indexed by fd should be
    writeEnd[r] = wr;
    ioready.write(wr, byte);
    watch(r);
  }
  return writeEnd;
}
