// Parity with what users run today, in the VM on the same simulated lines:
// one onoff program run with the real onoff (sysfs) and with ioready/compat/onoff
// (the character device) gives the same callbacks in the same order; `ioready gpio
// info`, `mon`, `get` agree with libgpiod's own tools (Debian's gpiod, v1.6.3).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { openChip, requestLines } from '../../src/gpio/chip';
import { failsafe, ROOT, sleep, TSX, until } from '../helpers';
import { createChip, simAvailable, type SimChip } from './gpiosim';

/** Drive an input as a button would: 1 pulls it up, 0 down. */
function pull(chip: SimChip, offset: number, value: 0 | 1): void {
  chip.setPull(offset, value === 1 ? 'pull-up' : 'pull-down');
}

const skip = simAvailable() ? false : 'needs the VM (npm run test:gpio)';
const hasGpiod = spawnSync('sh', ['-c', 'command -v gpioinfo && command -v gpiomon && command -v gpioget']).status === 0;

/** dist/ when it is newer than src/ (tsx under TCG costs seconds per start), else the sources through tsx. */
function built(rel: string, src: string): { file: string; node: string[] } {
  const file = path.join(ROOT, 'dist', rel);
  const fresh = fs.existsSync(file) && fs.statSync(file).mtimeMs > fs.statSync(path.join(ROOT, 'src', src)).mtimeMs;
  return fresh ? { file, node: [] } : { file: path.join(ROOT, 'src', src), node: [...TSX] };
}

/** The children still running: each describe kills them before it removes its chip. */
const running = new Set<Child>();

/**
 * Kill every child still running and wait until each has exited: a request left open
 * on a chip that is then removed keeps the chip's global numbers in kernel 6.1 for good
 * (later files would find them taken), so no chip is removed under a live child.
 */
async function reap(): Promise<void> {
  await Promise.all([...running].map((c) => {
    c.proc.kill('SIGKILL');
    return c.exited;
  }));
}

/** A child whose stdout is collected; `until(re)` waits for it there. */
class Child {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  /** 'code 0' or 'signal SIGKILL' once it has exited, else null. */
  status: string | null = null;
  readonly exited: Promise<number | null>;

  constructor(cmd: string, args: string[]) {
    this.proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this);
    this.proc.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((resolve) =>
      this.proc.on('close', (code, signal) => {
        this.status = signal !== null ? `signal ${signal}` : `code ${code}`;
        running.delete(this);
        resolve(code);
      }),
    );
  }

  lines(): string[] {
    return this.out.split('\n').filter((l) => l !== '');
  }

  /** Wait for `re` in stdout (or stderr); fails at once, saying so, if the child exits first. */
  async until(re: RegExp, ms = 30000, stream: 'out' | 'err' = 'out'): Promise<void> {
    const have = (): string => `(have stdout ${JSON.stringify(this.out)}, stderr ${JSON.stringify(this.err)})`;
    await until(() => re.test(this[stream]) || this.status !== null, `${re} in std${stream}`, ms).catch((err: Error) => {
      throw new Error(`${err.message} ${have()}`);
    });
    if (!re.test(this[stream])) throw new Error(`the child exited (${this.status}) before ${re} in std${stream} ${have()}`);
  }

  /**
   * Wait until `ioready gpio mon` says it is monitoring: its request made, so the
   * kernel's edge detection is on. The line is marked used, and its bias applied, in
   * the middle of that request, before edge detection is: an edge made then is lost.
   */
  async monitoring(): Promise<void> {
    await this.until(/ - INFO - Monitoring /, 30000, 'err');
  }

  async exit(ms = 30000): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), failsafe(ms));
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

function used(chip: SimChip, offset: number): boolean {
  const c = openChip(chip.path);
  try {
    return c.lineInfo(offset).used;
  } finally {
    c.close();
  }
}

/** True while the child sleeps in poll(2) or ppoll(2) (x86-64's numbers: the VM's). */
function inPoll(child: Child): boolean {
  try {
    const nr = fs.readFileSync(`/proc/${child.proc.pid}/syscall`, 'utf8').split(' ')[0];
    return nr === '7' || nr === '271';
  } catch {
    return false;
  }
}

describe('parity: one onoff program, the real onoff (sysfs) and ioready/compat/onoff', { skip }, () => {
  let chip: SimChip;
  before(() => {
    chip = createChip({ lines: 8, label: 'parity-board' });
  });
  afterEach(reap);
  after(async () => {
    await reap();
    chip.remove();
  });

  /** Run the program with `module`, press and release the button (bouncing, then clean), return its output. */
  async function run(module: string, node: string[]): Promise<{ lines: string[]; led: number[] }> {
    const base = chip.base();
    const [button, led] = [2, 5];
    pull(chip, button, 0);
    const p = new Child(process.execPath, [...node, path.join(__dirname, 'fixtures', 'button-led.cjs'), module, String(base + button), String(base + led)]);
    await p.until(/^ready/m, 60000);
    const leds: number[] = [];
    const steps: Array<Array<0 | 1>> = [[1, 0, 1], [0, 1, 0], [1], [0]]; // bouncing press and release, then clean ones
    for (const [i, step] of steps.entries()) {
      // A bounce: its edges in a row, well within the debounce however loaded the machine.
      for (const v of step) pull(chip, button, v);
      // Edges >= ~100 ms apart: sysfs merges closer ones.
      await p.until(new RegExp(`(^button .*\\n){${i + 1}}`, 'm'));
      await sleep(150);
      leds.push(chip.getValue(led));
    }
    p.proc.kill('SIGTERM');
    assert.equal(await p.exit(), 0, p.err);
    assert.ok(!used(chip, button) && !used(chip, led), 'both lines released (unexport)');
    return { lines: p.lines(), led: leds };
  }

  test('the same callbacks, in the same order, and the LED the same', async () => {
    const theirs = await run('onoff', []);
    const compat = built(path.join('compat', 'onoff.js'), path.join('compat', 'onoff.ts'));
    const ours = await run(compat.file, compat.node);
    const expected = ['ready in both out 0', 'button 1 led 1', 'button 0 led 0', 'button 1 led 1', 'button 0 led 0', 'bye'];
    assert.deepEqual(theirs.lines, expected, 'the real onoff');
    assert.deepEqual(ours.lines, theirs.lines, 'ioready/compat/onoff');
    assert.deepEqual(ours.led, [1, 0, 1, 0]);
    assert.deepEqual(ours.led, theirs.led);
  });
});

describe('parity: ioready gpio and libgpiod 1.6 tools (gpioinfo, gpiomon, gpioget)', { skip: skip || (hasGpiod ? false : 'no gpiod tools') }, () => {
  let chip: SimChip;
  const cli = built(path.join('cli', 'main.js'), path.join('cli', 'main.ts'));
  const ioready = (args: string[]): Child => new Child(process.execPath, [...cli.node, cli.file, 'gpio', ...args]);
  before(() => {
    chip = createChip({ lines: 6, label: 'parity-cli', names: { 0: 'BUTTON', 3: 'GPIO17', 4: 'LED' } });
  });
  afterEach(reap);
  after(async () => {
    await reap();
    chip.remove();
  });

  test('info: the same lines, names, consumers, directions, active state and flags', async () => {
    const held = requestLines(chip.path, {
      consumer: 'holder',
      lines: { 1: { direction: 'output', activeLow: true, value: 1 }, 2: { direction: 'input', bias: 'pull-up' }, 4: { direction: 'output', drive: 'open-drain' } },
    });
    try {
      const theirs = spawnSync('gpioinfo', [chip.name], { encoding: 'utf8' });
      assert.equal(theirs.status, 0, theirs.stderr);
      const ours = ioready(['info', chip.name]);
      assert.equal(await ours.exit(), 0, ours.err);
      const LINE = /^\s+line\s+(\d+):\s+(unnamed|"[^"]*")\s+(unused|"[^"]*")\s+(input|output)\s+(active-(?:high|low))\s*(?:\[([^\]]*)\])?\s*$/;
      const parse = (text: string): string[][] =>
        text.split('\n').filter((l) => /^\s+line/.test(l)).map((l) => {
          const m = LINE.exec(l);
          assert.ok(m, `line format: ${JSON.stringify(l)}`);
          // The flags both know: used, open-drain/source, pull-up/down, bias-disabled (we add edges and debounce).
          const flags = (m[6] ?? '').split(/[, ]+/).filter((f) => /^(used|open-drain|open-source|pull-up|pull-down|bias-disabled)$/.test(f));
          return [m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, flags.sort().join(',')];
        });
      const t = parse(theirs.stdout);
      assert.equal(t.length, 6);
      assert.deepEqual(parse(ours.out), t);
      assert.match(ours.out, new RegExp(`^${chip.name} \\[parity-cli\\] \\(6 lines\\)$`, 'm'));
      assert.deepEqual(t[1], ['1', 'unnamed', '"holder"', 'output', 'active-low', 'used']);
    } finally {
      held.release();
    }
  });

  /** The edges a monitor printed, as 'rising 3'. */
  async function monitor(child: Child, parse: (line: string) => string | null, offset: number, pulls: Array<0 | 1>): Promise<string[]> {
    if (child.proc.spawnfile === 'gpiomon') {
      // The line is marked used a moment before its edge detection is on (gpiomon's v1
      // request reports no edge in the line info, and gpiomon says nothing): wait until
      // gpiomon sleeps in poll(2), its request made.
      await until(() => used(chip, offset) && inPoll(child), 'gpiomon waiting in poll(2) on its request', 30000);
    } else {
      await child.monitoring();
    }
    for (const v of pulls) {
      pull(chip, offset, v);
      await sleep(20);
    }
    assert.equal(await child.exit(), 0, child.err);
    return child.lines().map(parse).filter((x): x is string => x !== null);
  }

  test('mon: the same edges as gpiomon, both edges and rising only', async () => {
    const gpiomonLine = (l: string): string | null => {
      const m = /event:\s+(RISING|FALLING) EDGE offset: (\d+)/.exec(l);
      return m ? `${m[1]!.toLowerCase()} ${m[2]}` : null;
    };
    const oursLine = (l: string): string | null => {
      const m = /^\d+\.\d{9} (rising|falling) (gpiochip\d+) (\d+)/.exec(l);
      assert.ok(m, `line format: ${JSON.stringify(l)}`);
      assert.equal(m[2], chip.name);
      return `${m[1]} ${m[3]}`;
    };
    const pulls: Array<0 | 1> = [1, 0, 1, 0, 1, 0];
    pull(chip, 3, 0);
    const theirs = await monitor(new Child('gpiomon', ['-b', '-n', '4', chip.name, '3']), gpiomonLine, 3, pulls);
    pull(chip, 3, 0);
    const ours = await monitor(ioready(['mon', '-n', '4', '--chip', chip.name, '3']), oursLine, 3, pulls);
    assert.deepEqual(theirs, ['rising 3', 'falling 3', 'rising 3', 'falling 3']);
    assert.deepEqual(ours, theirs);
    pull(chip, 3, 0);
    const theirsRising = await monitor(new Child('gpiomon', ['-b', '-r', '-n', '2', chip.name, '3']), gpiomonLine, 3, pulls);
    pull(chip, 3, 0);
    const oursRising = await monitor(ioready(['mon', '--edge', 'rising', '-n', '2', '--chip', chip.name, 'GPIO17']), oursLine, 3, pulls);
    assert.deepEqual(oursRising, theirsRising);
    assert.deepEqual(oursRising, ['rising 3', 'rising 3']);
  });

  test('get: the same values as gpioget, by offset and by name', async () => {
    pull(chip, 0, 1);
    pull(chip, 3, 0);
    const theirs = spawnSync('gpioget', [chip.name, '0', '3'], { encoding: 'utf8' });
    assert.equal(theirs.status, 0, theirs.stderr);
    const byOffset = ioready(['get', '--chip', chip.name, '0', '3']);
    assert.equal(await byOffset.exit(), 0, byOffset.err);
    assert.equal(byOffset.out, theirs.stdout);
    assert.equal(byOffset.out, '1 0\n');
    const byName = ioready(['get', 'BUTTON', 'GPIO17']);
    assert.equal(await byName.exit(), 0, byName.err);
    assert.equal(byName.out, '1 0\n');
  });
});

describe('ioready gpio on simulated chips: set holds until Ctrl-C, mon --bias, errors', { skip }, () => {
  let chip: SimChip;
  const cli = built(path.join('cli', 'main.js'), path.join('cli', 'main.ts'));
  const ioready = (args: string[]): Child => new Child(process.execPath, [...cli.node, cli.file, 'gpio', ...args]);
  before(() => {
    chip = createChip({ lines: 4, label: 'cli-board', names: { 1: 'GPIO17', 2: 'LED' } });
  });
  afterEach(reap);
  after(async () => {
    await reap();
    chip.remove();
  });

  test('set LINE=VALUE drives the lines until SIGINT, then exits 0 and lets go', async () => {
    const p = ioready(['set', '--chip', chip.name, 'LED=1', '3=0']);
    await until(() => used(chip, 2) && chip.getValue(2) === 1, 'LED driven high', 30000);
    assert.equal(chip.getValue(3), 0);
    p.proc.kill('SIGINT');
    assert.equal(await p.exit(), 0, p.err);
    assert.ok(!used(chip, 2) && !used(chip, 3), 'released');
  });

  test("mon --bias pull-up GPIO17: the bias is applied, an edge is printed, Ctrl-C exits 0", async () => {
    pull(chip, 1, 0);
    const p = ioready(['mon', '--bias', 'pull-up', 'GPIO17']);
    await p.monitoring();
    assert.ok(used(chip, 1), 'the line requested');
    assert.equal(chip.getValue(1), 1, 'pulled up by the request');
    pull(chip, 1, 0);
    await p.until(/ falling gpiochip\d+ 1 "GPIO17"\n/);
    p.proc.kill('SIGINT');
    assert.equal(await p.exit(), 0, p.err);
    assert.equal(p.lines().length, 1);
  });

  test('a busy line, an unknown name, an offset past the end: one line on stderr, exit 1', async () => {
    const held = requestLines(chip.path, { consumer: 'other', lines: { 0: { direction: 'input' } } });
    try {
      const busy = ioready(['get', '--chip', chip.name, '0']);
      assert.equal(await busy.exit(), 1);
      assert.equal(busy.err, `ioready gpio: line 0 of ${chip.name} is busy (EBUSY): another program holds it\n`);
    } finally {
      held.release();
    }
    const unknown = ioready(['mon', 'NO_SUCH_LINE']);
    assert.equal(await unknown.exit(), 1);
    assert.equal(unknown.err, "ioready gpio: no line named 'NO_SUCH_LINE' on any chip\n");
    const past = ioready(['get', '--chip', chip.name, '9']);
    assert.equal(await past.exit(), 1);
    assert.equal(past.err, `ioready gpio: no line 9 on ${chip.name} (it has 4: 0-3)\n`);
  });
});
