// ioready/compat/onoff on the character device, in the VM (gpio-sim): onoff's
// numbers (BCM and the Pi's global ones, and global numbers elsewhere), values,
// directions, edges, watch callbacks, debounce and onoff's errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Gpio, type BinaryValue } from '../../src/compat/onoff';
import { openChip, requestLines } from '../../src/gpio/chip';
import { fdLeakCheck, ROOT, runNode, sleep, until } from '../helpers';
import { createAtBase, createChip, simAvailable, type SimChip } from './gpiosim';

/** Drive an input as a button would: 1 pulls it up, 0 down. */
function pull(chip: SimChip, offset: number, value: 0 | 1): void {
  chip.setPull(offset, value === 1 ? 'pull-up' : 'pull-down');
}

const skip = simAvailable() ? false : 'needs the VM (npm run test:gpio)';

/** The consumer of a line, '' if free. */
function consumer(chip: SimChip, offset: number): string {
  const c = openChip(chip.path);
  try {
    return c.lineInfo(offset).consumer;
  } finally {
    c.close();
  }
}

/** Pull a line and wait for `calls` to reach n entries. */
async function pullAndWait(chip: SimChip, offset: number, value: 0 | 1, calls: unknown[], n: number): Promise<void> {
  pull(chip, offset, value);
  await until(() => calls.length >= n, `${n} callbacks (have ${JSON.stringify(calls)})`);
}

describe('compat/onoff: numbers reach the Pi header chip by label', { skip }, () => {
  for (const [label, lines, base] of [['pinctrl-bcm2711', 58, 512], ['pinctrl-rp1', 54, 571]] as const) {
    test(`${label} at base ${base}: 17 and ${base + 17} are offset 17; ${lines - 1} is the last BCM number`, () => {
      const chip = createAtBase(base, lines, label, { 17: 'GPIO17' });
      try {
        assert.equal(chip.base(), base);
        const bcm = new Gpio(17, 'in');
        assert.equal(consumer(chip, 17), 'ioready/onoff');
        const global = new Gpio(base + 17, 'in');
        pull(chip, 17, 1);
        assert.equal(bcm.readSync(), 1);
        assert.equal(global.readSync(), 1);
        pull(chip, 17, 0);
        assert.equal(global.readSync(), 0);
        bcm.unexport();
        assert.equal(consumer(chip, 17), 'ioready/onoff', 'still held by the other Gpio of it');
        global.unexport();
        assert.equal(consumer(chip, 17), '', 'released with the last one');
        const last = new Gpio(lines - 1, 'out');
        assert.equal(consumer(chip, lines - 1), 'ioready/onoff');
        last.unexport();
        assert.throws(() => new Gpio(2000, 'in'), { code: 'EINVAL', syscall: 'write', message: /no chip has GPIO 2000/ });
      } finally {
        chip.remove();
      }
    });
  }

  test('elsewhere: a global number maps through the chip whose base covers it; others are EINVAL', () => {
    const chip = createChip({ lines: 8, label: 'some-board' });
    try {
      const base = chip.base();
      const g = new Gpio(base + 3, 'high');
      assert.equal(chip.getValue(3), 1);
      g.unexport();
      assert.throws(() => new Gpio(3, 'in'), { code: 'EINVAL', message: /no chip has GPIO 3/ });
    } finally {
      chip.remove();
    }
  });
});

describe('compat/onoff: values, directions, edges, callbacks', { skip }, () => {
  let chip: SimChip;
  let base = 0;
  before(() => {
    chip = createAtBase(512, 8, 'pinctrl-bcm2711');
    base = chip.base();
  });
  after(() => chip.remove());
  const leakCheck = fdLeakCheck();

  test("outputs: 'out' starts at 0, 'high' at 1, 'low' at 0; writeSync(1) sets, any other value clears", () => {
    const out = new Gpio(1, 'out');
    assert.equal(out.direction(), 'out');
    assert.equal(chip.getValue(1), 0);
    out.writeSync(1);
    assert.equal(chip.getValue(1), 1);
    assert.equal(out.readSync(), 1);
    out.writeSync(5 as BinaryValue);
    assert.equal(chip.getValue(1), 0, 'onoff writes 1 only for 1');
    out.setDirection('high');
    assert.equal(chip.getValue(1), 1);
    out.setDirection('low');
    assert.equal(chip.getValue(1), 0);
    out.unexport();
    const high = new Gpio(base + 2, 'high');
    assert.equal(chip.getValue(2), 1);
    high.unexport();
  });

  test('activeLow: values inverted, high/low are physical levels (as sysfs), setActiveLow keeps the level', () => {
    const al = new Gpio(3, 'high', { activeLow: true });
    assert.equal(al.activeLow(), true);
    assert.equal(chip.getValue(3), 1, "'high' is the physical level");
    assert.equal(al.readSync(), 0);
    al.writeSync(1);
    assert.equal(chip.getValue(3), 0);
    al.setActiveLow(false);
    assert.equal(chip.getValue(3), 0, 'the level stays');
    assert.equal(al.readSync(), 0);
    al.unexport();
    const input = new Gpio(4, 'in', { activeLow: true });
    pull(chip, 4, 1);
    assert.equal(input.readSync(), 0);
    pull(chip, 4, 0);
    assert.equal(input.readSync(), 1);
    input.unexport();
  });

  test("errors as onoff's: EPERM writing an input, EIO for edges on an output, EINVAL for bad strings", () => {
    const input = new Gpio(5, 'in', 'both');
    assert.throws(() => input.writeSync(1), { code: 'EPERM' });
    assert.throws(() => input.setDirection('out'), { code: 'EIO', syscall: 'write' });
    assert.throws(() => input.setEdge('sideways' as never), { code: 'EINVAL', syscall: 'write' });
    assert.throws(() => input.setDirection('up' as never), { code: 'EINVAL' });
    assert.equal(input.edge(), 'both');
    input.setEdge('none');
    input.setDirection('out');
    assert.equal(input.direction(), 'out');
    assert.throws(() => input.setEdge('rising'), { code: 'EIO' });
    input.unexport();
    // An edge given with an output is ignored (onoff #87).
    const out = new Gpio(5, 'out', 'both');
    assert.equal(out.edge(), 'none');
    out.unexport();
  });

  test('a line another process holds is EBUSY; after unexport(): EBADF on the value, ENOENT on the settings, unexport again does nothing', () => {
    const held = requestLines(chip.path, { consumer: 'other', lines: { 6: { direction: 'input' } } });
    try {
      assert.throws(() => new Gpio(6, 'in'), { code: 'EBUSY' });
    } finally {
      held.release();
    }
    const g = new Gpio(6, 'in');
    g.unexport();
    assert.throws(() => g.readSync(), { code: 'EBADF', syscall: 'read' });
    assert.throws(() => g.writeSync(1), { code: 'EBADF' });
    assert.throws(() => g.direction(), { code: 'ENOENT' });
    assert.throws(() => g.setEdge('both'), { code: 'ENOENT' });
    g.unexport();
  });

  test('reconfigureDirection: false leaves an output in place (its value kept)', () => {
    const a = new Gpio(7, 'high');
    const b = new Gpio(7, 'out', { reconfigureDirection: false });
    assert.equal(chip.getValue(7), 1);
    assert.equal(b.readSync(), 1);
    const c = new Gpio(7, 'out');
    assert.equal(chip.getValue(7), 0, 'reconfigured: out is 0');
    for (const g of [a, b, c]) g.unexport();
  });

  test('read() and write(): callbacks and promises', async () => {
    const g = new Gpio(1, 'out');
    await g.write(1);
    assert.equal(await g.read(), 1);
    const viaCallback = await new Promise<[unknown, unknown]>((resolve) => g.read((err, value) => resolve([err, value])));
    assert.deepEqual(viaCallback, [null, 1]);
    const writeErr = await new Promise((resolve) => g.write(0, resolve));
    assert.equal(writeErr, null);
    assert.equal(chip.getValue(1), 0);
    g.unexport();
    await assert.rejects(g.read(), { code: 'EBADF' });
    const err = await new Promise<Error | null | undefined>((resolve) => g.write(1, resolve));
    assert.equal((err as NodeJS.ErrnoException).code, 'EBADF');
  });

  test("watch: 'both' gives each edge's value in order; 'rising' and 'falling' only theirs; unwatch stops", async () => {
    pull(chip, 0, 0);
    const button = new Gpio(0, 'in', 'both');
    const calls: Array<[unknown, number]> = [];
    const cb = (err: Error | null | undefined, value: BinaryValue): void => void calls.push([err, value]);
    button.watch(cb);
    await pullAndWait(chip, 0, 1, calls, 1);
    await pullAndWait(chip, 0, 0, calls, 2);
    await pullAndWait(chip, 0, 1, calls, 3);
    assert.deepEqual(calls, [[null, 1], [null, 0], [null, 1]]);
    button.setEdge('falling');
    await pullAndWait(chip, 0, 0, calls, 4);
    pull(chip, 0, 1);
    button.setEdge('rising');
    await pullAndWait(chip, 0, 0, calls, 4);
    await pullAndWait(chip, 0, 1, calls, 5);
    assert.deepEqual(calls.slice(3), [[null, 0], [null, 1]]);
    button.unwatch(cb);
    pull(chip, 0, 0);
    pull(chip, 0, 1);
    await sleep(100);
    assert.equal(calls.length, 5, 'no callback once unwatched');
    button.unexport();
  });

  test('two Gpio objects of one line each get the callbacks; unwatchAll and unexport of one leave the other', async () => {
    pull(chip, 0, 0);
    const a = new Gpio(0, 'in', 'both');
    const b = new Gpio(base, 'in', 'both');
    const got: string[] = [];
    a.watch((_e, v) => got.push(`a${v}`));
    a.watch((_e, v) => got.push(`a'${v}`));
    b.watch((_e, v) => got.push(`b${v}`));
    await pullAndWait(chip, 0, 1, got, 3);
    assert.deepEqual(got.sort(), ["a'1", 'a1', 'b1']);
    a.unwatchAll();
    got.length = 0;
    await pullAndWait(chip, 0, 0, got, 1);
    a.unexport();
    await pullAndWait(chip, 0, 1, got, 2);
    assert.deepEqual(got, ['b0', 'b1']);
    b.unexport();
  });

  test("debounceTimeout: a bouncing press and release give one callback each (onoff's debounce test)", async () => {
    pull(chip, 0, 0);
    const button = new Gpio(0, 'in', 'both', { debounceTimeout: 20 });
    const values: number[] = [];
    button.watch((err, value) => {
      assert.equal(err, null);
      values.push(value);
    });
    // Nine edges in a row, without yielding: however loaded the machine, they come within the 20 ms.
    const bounce = (end: 0 | 1): void => {
      for (let i = 0; i < 9; i++) pull(chip, 0, i % 2 === 0 ? end : ((1 - end) as 0 | 1));
    };
    bounce(1);
    await until(() => values.length >= 1, 'the press');
    bounce(0);
    await until(() => values.length >= 2, 'the release');
    await sleep(60);
    assert.deepEqual(values, [1, 0]);
    button.unexport();
  });

  test('a watched Gpio keeps the process alive; unwatchAll() lets it exit; Gpio.accessible is true here', async () => {
    // The built module when it is fresh (tsx under TCG costs seconds per start).
    const built = path.join(ROOT, 'dist', 'compat', 'onoff.js');
    const fresh = fs.existsSync(built) && fs.statSync(built).mtimeMs > fs.statSync(path.join(ROOT, 'src', 'compat', 'onoff.ts')).mtimeMs;
    const program = (body: string): string => `
      const { Gpio } = require(${JSON.stringify(fresh ? built : require.resolve('../../src/compat/onoff'))});
      if (!Gpio.accessible) throw new Error('not accessible');
      const g = new Gpio(0, 'in', 'both');
      g.watch(() => {});
      ${body}`;
    const stays = await runNode(['-e', program("setTimeout(() => { console.log('alive'); process.exit(0); }, 500).unref();")], { tsx: !fresh });
    assert.equal(stays.code, 0, stays.stderr);
    assert.equal(stays.stdout.trim(), 'alive');
    const exits = await runNode(['-e', program('g.unwatchAll();')], { timeoutMs: 20000, tsx: !fresh });
    assert.equal(exits.code, 0, exits.stderr);
    assert.equal(exits.signal, null);
  });

  leakCheck();
});
