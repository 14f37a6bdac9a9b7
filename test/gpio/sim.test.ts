// The simulated chips themselves (test/gpio/gpiosim.ts), checked against the kernel's
// other views of them: /dev, sysfs, debugfs, and Debian's libgpiod tools (gpiodetect,
// gpioinfo, gpioget, gpioset: libgpiod 1.6, the v1 tools). Runs in the test VM:
// `npm run test:gpio` (or scripts/vm-run.sh node scripts/test.mjs test/gpio/sim.test.ts).
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { failsafe, TSX } from '../helpers';
import { createAtBase, createChip, globalRanges, GPIO_SIM_CONFIGFS, nextBase, removeAll, SimDevice, simAvailable } from './gpiosim';

const run = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mine = (pid = process.pid): string[] => fs.readdirSync(GPIO_SIM_CONFIGFS).filter((e) => e.startsWith(`ioready-${pid}-`));

/** Waits until check() holds, polling (a line's sysfs value has no event to wait on). */
async function until(what: string, check: () => boolean, ms = failsafe(5000)): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

before(() => {
  assert.ok(simAvailable(), `no writable ${GPIO_SIM_CONFIGFS}: these tests run in the test VM (npm run test:gpio)`);
});
after(() => {
  removeAll();
  assert.deepEqual(mine(), [], 'every simulated device of this process is gone');
});

test('a chip appears with its label and line names: /dev, sysfs, debugfs, gpiodetect, gpioinfo', () => {
  const chip = createChip({ lines: 8, label: 'sim-label-a', names: ['LED', undefined, 'BUTTON'], hogs: { 6: { name: 'hogger', direction: 'output-high' } } });
  try {
    assert.match(chip.name, /^gpiochip\d+$/);
    assert.equal(chip.path, `/dev/${chip.name}`);
    assert.ok(fs.statSync(chip.path).isCharacterDevice());
    assert.equal(chip.label, 'sim-label-a');
    assert.equal(chip.lines, 8);
    assert.match(chip.device.devName, /^gpio-sim\.\d+$/);
    assert.ok(fs.existsSync(path.join(chip.sysfsDir, 'sim_gpio7', 'value')));
    assert.ok(!fs.existsSync(path.join(chip.sysfsDir, 'sim_gpio8')));
    // The global range, as sysfs GPIO lists it.
    const base = chip.base();
    assert.equal(fs.readFileSync(`/sys/class/gpio/gpiochip${base}/label`, 'utf8').trim(), 'sim-label-a');
    assert.equal(fs.readFileSync(`/sys/class/gpio/gpiochip${base}/ngpio`, 'utf8').trim(), '8');
    assert.match(fs.readFileSync('/sys/kernel/debug/gpio', 'utf8'), new RegExp(`^${chip.name}: GPIOs ${base}-${base + 7}, parent: platform/${chip.device.devName}, sim-label-a(, can sleep)?:$`, 'm'));
    // libgpiod's tools, through the character device.
    assert.match(run('gpiodetect'), new RegExp(`^${chip.name} \\[sim-label-a\\] \\(8 lines\\)$`, 'm'));
    const info = run('gpioinfo', chip.name).split('\n');
    assert.equal(info[0], `${chip.name} - 8 lines:`);
    assert.match(info[1]!, /line +0: +"LED" +unused +input/);
    assert.match(info[2]!, /line +1: +unnamed +unused +input/);
    assert.match(info[3]!, /line +2: +"BUTTON" +unused +input/);
    assert.match(info[7]!, /line +6: +unnamed +"hogger" +output .*\[used\]/);
    assert.equal(chip.getValue(6), 1, 'an output-high hog drives 1');
    assert.equal(run('gpiofind', 'BUTTON').trim(), `${chip.name} 2`);
  } finally {
    chip.remove();
  }
});

test('setPull drives an input: gpioget reads what the pull says, both ways', () => {
  const chip = createChip({ lines: 4, label: 'sim-pull' });
  try {
    for (const offset of [0, 3]) {
      assert.equal(chip.getPull(offset), 'pull-down', "gpio-sim's default");
      assert.equal(run('gpioget', chip.name, String(offset)).trim(), '0');
      chip.setPull(offset, 'pull-up');
      assert.equal(chip.getPull(offset), 'pull-up');
      assert.equal(chip.getValue(offset), 1);
      assert.equal(run('gpioget', chip.name, String(offset)).trim(), '1');
      chip.setPull(offset, 'pull-down');
      assert.equal(run('gpioget', chip.name, String(offset)).trim(), '0');
      assert.equal(chip.getValue(offset), 0);
    }
    chip.setPull(1, 'pull-up');
    assert.equal(run('gpioget', chip.name, '0', '1', '2', '3').trim(), '0 1 0 0', 'one line pulled, the others not');
    // A request's own bias wins over the simulated pull while it holds the line.
    assert.equal(run('gpioget', '--bias=pull-down', chip.name, '1').trim(), '0');
  } finally {
    chip.remove();
  }
});

test("getValue reads what an output drives (gpioset holding a line), and the pull again once it is released", async () => {
  const chip = createChip({ lines: 4, label: 'sim-value' });
  try {
    for (const v of [1, 0] as const) {
      chip.setPull(2, v === 1 ? 'pull-down' : 'pull-up'); // the opposite of what gpioset drives
      const setter = spawn('gpioset', ['--mode=signal', chip.name, `2=${v}`], { stdio: 'ignore' });
      const exited = new Promise<void>((resolve) => setter.once('exit', () => resolve()));
      try {
        await until(`line 2 driven to ${v}`, () => chip.getValue(2) === v);
        assert.match(run('gpioinfo', chip.name).split('\n')[3]!, /line +2: +unnamed +"gpioset" +output/);
      } finally {
        setter.kill('SIGTERM');
        await exited;
      }
      assert.equal(chip.getValue(2), v === 1 ? 0 : 1, 'released: the line follows its pull again');
    }
  } finally {
    chip.remove();
  }
});

test('remove() takes the chip away: /dev, sysfs, configfs, gpiodetect; idempotent; setPull after it throws', () => {
  const chip = createChip({ lines: 2, label: 'sim-removed' });
  const { path: dev, sysfsDir } = chip;
  const base = chip.base();
  assert.ok(mine().length >= 1);
  chip.remove();
  assert.equal(chip.device.live, false);
  assert.ok(!fs.existsSync(dev), `${dev} is gone`);
  assert.ok(!fs.existsSync(sysfsDir));
  assert.ok(!fs.existsSync(chip.device.dir));
  assert.ok(!fs.existsSync(`/sys/class/gpio/gpiochip${base}`));
  assert.doesNotMatch(run('gpiodetect'), /sim-removed/);
  assert.ok(!globalRanges().some((r) => r.label === 'sim-removed'));
  chip.remove(); // again: nothing
  assert.throws(() => chip.setPull(0, 'pull-up'), { code: 'ENOENT' });
});

test('two devices at once, one with two banks: separate chips, separate lines', () => {
  const dev = SimDevice.create([{ lines: 4, label: 'sim-two-a', names: { 3: 'A3' } }, { lines: 6, label: 'sim-two-b', names: { 3: 'B3' } }]);
  const other = createChip({ lines: 4, label: 'sim-two-c' });
  try {
    const [a, b] = dev.chips;
    assert.ok(a && b);
    const names = new Set([a.name, b.name, other.name]);
    assert.equal(names.size, 3, 'three chips');
    assert.deepEqual([a.label, b.label, other.label, a.lines, b.lines], ['sim-two-a', 'sim-two-b', 'sim-two-c', 4, 6]);
    assert.equal(a.device, b.device);
    const detect = run('gpiodetect');
    for (const c of [a, b, other]) assert.match(detect, new RegExp(`^${c.name} \\[${c.label}\\] \\(${c.lines} lines\\)$`, 'm'));
    assert.equal(run('gpiofind', 'B3').trim(), `${b.name} 3`);
    a.setPull(1, 'pull-up');
    assert.deepEqual([a.getValue(1), b.getValue(1), other.getValue(1)], [1, 0, 0]);
    assert.equal(run('gpioget', b.name, '1').trim(), '0');
    assert.equal(run('gpioget', a.name, '1').trim(), '1');
    // Their global ranges do not overlap.
    const ranges = [a, b, other].map((c) => c.globalRange()).sort((x, y) => x.base - y.base);
    for (let i = 1; i < ranges.length; i++) assert.ok(ranges[i - 1]!.base + ranges[i - 1]!.lines <= ranges[i]!.base);
  } finally {
    dev.remove();
    other.remove();
  }
  assert.doesNotMatch(run('gpiodetect'), /sim-two/);
});

test("createAtBase: a Pi 4's pinctrl-bcm2711 at 512, a Pi 5's pinctrl-rp1 at 571, as sysfs GPIO numbers them", () => {
  const bystander = createChip({ lines: 5, label: 'sim-bystander' }); // a gap-maker: ranges are not all at the top
  try {
    const names = Array.from({ length: 58 }, (_, i) => `GPIO${i}`);
    const pi4 = createAtBase(512, 58, 'pinctrl-bcm2711', names);
    try {
      assert.equal(pi4.base(), 512);
      assert.equal(fs.readFileSync('/sys/class/gpio/gpiochip512/label', 'utf8').trim(), 'pinctrl-bcm2711');
      assert.equal(fs.readFileSync('/sys/class/gpio/gpiochip512/ngpio', 'utf8').trim(), '58');
      assert.equal(run('gpiofind', 'GPIO17').trim(), `${pi4.name} 17`);
      assert.ok(pi4.device.companions.length >= 1, 'a filler was needed above it');
    } finally {
      pi4.remove();
    }
    assert.ok(!fs.existsSync('/sys/class/gpio/gpiochip512'));
    assert.ok(!globalRanges().some((r) => r.label === 'ioready-filler'), 'the fillers went with it');

    const pi5 = createAtBase(571, 54, 'pinctrl-rp1', Array.from({ length: 54 }, (_, i) => `GPIO${i}`));
    try {
      assert.equal(pi5.base(), 571);
      // GPIO17 is 588 on a Pi 5 with kernel 6.6+: export it through sysfs and read the pull.
      pi5.setPull(17, 'pull-up');
      fs.writeFileSync('/sys/class/gpio/export', '588');
      try {
        assert.equal(fs.readFileSync('/sys/class/gpio/gpio588/value', 'utf8').trim(), '1');
        pi5.setPull(17, 'pull-down');
        assert.equal(fs.readFileSync('/sys/class/gpio/gpio588/value', 'utf8').trim(), '0');
      } finally {
        fs.writeFileSync('/sys/class/gpio/unexport', '588');
      }
    } finally {
      pi5.remove();
    }
    // A taken range is refused before anything is made.
    const taken = bystander.globalRange();
    const before = mine().length;
    assert.throws(() => createAtBase(taken.base, 3, 'overlap'), RangeError);
    assert.equal(mine().length, before);
  } finally {
    bystander.remove();
  }
});

test('nextBase simulates 6.1: from 1024 down, first gap from the top that fits', () => {
  assert.equal(nextBase(58, []), 966);
  assert.equal(nextBase(8, [{ base: 1016, lines: 8 }]), 1008);
  assert.equal(nextBase(4, [{ base: 1000, lines: 8 }, { base: 1016, lines: 8 }]), 1012, 'a gap above that fits');
  assert.equal(nextBase(9, [{ base: 1000, lines: 8 }, { base: 1016, lines: 8 }]), 991, 'one that does not');
  // And the kernel agrees.
  const predicted = nextBase(7);
  const chip = createChip({ lines: 7, label: 'sim-next' });
  try {
    // Another base means numbers held that globalRanges() does not show: a chip some earlier
    // test removed under an open request (kept by 6.1 for good; no test may leave one).
    assert.equal(chip.base(), predicted, `a 7-line chip lands at nextBase(7); ranges seen: ${JSON.stringify(globalRanges().map((r) => [r.base, r.lines, r.label]))}`);
  } finally {
    chip.remove();
  }
});

test('bad configurations throw before anything is left behind', () => {
  const before = mine().length;
  assert.throws(() => createChip({ lines: 0 }), RangeError);
  assert.throws(() => createChip({ lines: 1.5 }), RangeError);
  assert.throws(() => SimDevice.create([]), RangeError);
  assert.throws(() => createChip({ lines: 4, names: { 4: 'too-far' } }), RangeError);
  assert.throws(() => createChip({ lines: 4, hogs: { 9: { name: 'h', direction: 'input' } } }), RangeError);
  assert.throws(() => createChip({ lines: 4, hogs: { 1: { name: 'h', direction: 'sideways' as 'input' } } }), { code: 'EINVAL' });
  assert.equal(mine().length, before, 'no configfs directory left');
  const chip = createChip({ lines: 2 });
  try {
    assert.throws(() => chip.setPull(2, 'pull-up'), RangeError);
    assert.throws(() => chip.getValue(-1), RangeError);
    assert.throws(() => chip.setPull(0, 'up' as 'pull-up'), TypeError);
  } finally {
    chip.remove();
  }
});

test('what a process leaves is taken away at its exit', () => {
  const child = spawnSync(
    process.execPath,
    [...TSX, '-e', `const s = require(${JSON.stringify(path.join(__dirname, 'gpiosim.ts'))}); const c = s.createChip({ lines: 3, label: 'sim-orphan' }); console.log(c.path);`],
    { encoding: 'utf8', timeout: failsafe(60_000) },
  );
  assert.equal(child.status, 0, child.stderr);
  const dev = child.stdout.trim();
  assert.match(dev, /^\/dev\/gpiochip\d+$/);
  assert.deepEqual(mine(child.pid), [], "the child's configfs entries are gone");
  assert.doesNotMatch(run('gpiodetect'), /sim-orphan/);
});
