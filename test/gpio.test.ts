// GPIO on the host, where no chip exists: the struct layout against the kernel header's,
// the generic ioctl's length check, and every argument check that comes before a system
// call. The tests on real (simulated) chips run in the VM: test/gpio/*.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { close, findLine, gpioChips, ioctl, openChip, pipe, requestLines } from '../src/index';
import { native } from '../src/internal/binding';
import { iocSize } from '../src/fd/ioctl';
import { groupConfig, resolveSettings } from '../src/gpio/settings';
import { checkConfig } from '../src/gpio/request';
import { FLAG, GPIO_V2_GET_LINE_IOCTL, LAYOUT, layoutMismatches } from '../src/gpio/uapi';
import { fdLeakCheck, qemuUser, ROOT, TSX, unemulatedIoctl } from './helpers';

const leakCheckAtEnd = fdLeakCheck();
const g = native.gpioConstants;
const noChips = !fs.readdirSync('/dev').some((n) => /^gpiochip\d+$/.test(n));

describe('GPIO uAPI layout', () => {
  it("TypeScript's struct layout is the header's (sizeof/offsetof from the addon)", () => {
    assert.deepEqual(layoutMismatches(), []);
    assert.equal(g.SIZEOF_gpio_v2_line_event, 48);
    assert.equal(g.SIZEOF_gpio_v2_line_request, 592);
  });

  it('a layout that differs is reported, field by field', () => {
    const wrong = { ...g, SIZEOF_gpio_v2_line_event: 40, OFFSETOF_gpio_v2_line_request_fd: 584 };
    assert.deepEqual(layoutMismatches(wrong), [
      'OFFSETOF_gpio_v2_line_request_fd: 588 here, 584 in <linux/gpio.h>',
      'SIZEOF_gpio_v2_line_event: 48 here, 40 in <linux/gpio.h>',
    ]);
  });

  it("the request numbers are the header's, and each encodes its struct's size", () => {
    // _IOWR(0xB4, 0x07, struct gpio_v2_line_request): the same number on x86 and arm.
    assert.equal(GPIO_V2_GET_LINE_IOCTL, 0xc250b407);
    assert.equal(iocSize(g.GPIO_V2_GET_LINE_IOCTL!), LAYOUT.SIZEOF_gpio_v2_line_request);
    assert.equal(iocSize(g.GPIO_V2_GET_LINEINFO_IOCTL!), LAYOUT.SIZEOF_gpio_v2_line_info);
    assert.equal(iocSize(g.GPIO_V2_LINE_SET_CONFIG_IOCTL!), LAYOUT.SIZEOF_gpio_v2_line_config);
    assert.equal(iocSize(g.GPIO_V2_LINE_GET_VALUES_IOCTL!), LAYOUT.SIZEOF_gpio_v2_line_values);
    assert.equal(iocSize(g.GPIO_GET_CHIPINFO_IOCTL!), LAYOUT.SIZEOF_gpiochip_info);
    assert.equal(iocSize(g.GPIO_GET_LINEINFO_UNWATCH_IOCTL!), 4);
  });
});

describe('ioctl', () => {
  it('a buffer of the wrong length is refused before the call (native and public)', () => {
    const [r, w] = pipe();
    try {
      for (const len of [0, 591, 593, 4096]) {
        assert.throws(() => native.ioctl(r, GPIO_V2_GET_LINE_IOCTL, Buffer.alloc(len)), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
        assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL, Buffer.alloc(len)), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /592 bytes/ });
      }
      // The right length reaches the kernel, which says a pipe knows no such request.
      const refused = unemulatedIoctl('ENOTTY');
      assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL, Buffer.alloc(592)), { code: refused, syscall: 'ioctl' });
      // A TypedArray or DataView of the right byte length is as good as a Buffer.
      assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL, new Uint32Array(148)), { code: refused });
      assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL, new DataView(new ArrayBuffer(592))), { code: refused });
      assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL, new Uint32Array(147)), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      close(r);
      close(w);
    }
  });

  it('an _IOC_NONE request takes no buffer; any other needs one', () => {
    const [r, w] = pipe();
    try {
      const FIOCLEX = 0x5451; // _IOC_NONE: sets close-on-exec, no argument
      assert.equal(ioctl(r, FIOCLEX), 0);
      assert.throws(() => ioctl(r, FIOCLEX, Buffer.alloc(0)), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => native.ioctl(r, FIOCLEX, Buffer.alloc(0)), { code: 'ERR_INVALID_ARG_VALUE' });
      assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => native.ioctl(r, GPIO_V2_GET_LINE_IOCTL), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      close(r);
      close(w);
    }
  });

  it('bad arguments: TypeError / RangeError; a closed fd: EBADF', () => {
    assert.throws(() => ioctl(-1, 0x5451), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ioctl('3' as never, 0x5451), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ioctl(0, 1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ioctl(0, 2 ** 32), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ioctl(0, GPIO_V2_GET_LINE_IOCTL, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    const [r, w] = pipe();
    close(r);
    close(w);
    assert.throws(() => ioctl(r, 0x5451), { code: 'EBADF', syscall: 'ioctl' });
    // The signed form of a request with bit 31 set is its unsigned value.
    assert.throws(() => ioctl(r, GPIO_V2_GET_LINE_IOCTL | 0, Buffer.alloc(592)), { code: unemulatedIoctl('EBADF') });
  });
});

describe('GPIO without chips', { skip: !noChips && 'this machine has GPIO chips' }, () => {
  it('gpioChips() is [] and findLine() null', () => {
    assert.deepEqual(gpioChips(), []);
    assert.equal(findLine('GPIO17'), null);
  });

  it('openChip: ENOENT for a missing path, name or label; ENOTTY for a file that is no chip', () => {
    assert.throws(() => openChip('/dev/gpiochip99'), { code: 'ENOENT', syscall: 'open' });
    assert.throws(() => openChip('gpiochip0'), { code: 'ENOENT', message: /no GPIO chip named or labelled 'gpiochip0'/ });
    assert.throws(() => openChip('pinctrl-rp1'), { code: 'ENOENT', message: /'pinctrl-rp1'/ });
    if (qemuUser) return; // qemu answers GPIO's ioctls with ENOSYS: what the kernel says of /dev/null is not seen there
    assert.throws(() => openChip('/dev/null'), { code: 'ENOTTY', message: /\/dev\/null is not a GPIO chip/ });
    assert.throws(() => requestLines('/dev/null', { lines: { 0: {} } }), { code: 'ENOTTY' });
  });
});

describe('GPIO arguments, checked before any system call', () => {
  // A chip that does not exist: an argument error proves the check came before open().
  const nowhere = '/dev/gpiochip-none';
  const bad = (config: unknown, expected: { name?: string; code: string; message?: RegExp }): void => {
    assert.throws(() => requestLines(nowhere, config as never), expected);
  };

  it('chips and names', () => {
    assert.throws(() => openChip(3 as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => openChip(''), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => findLine(17 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => findLine(''), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('the config and its lines', () => {
    bad(undefined, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    bad({}, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    bad({ lines: [] }, { code: 'ERR_INVALID_ARG_TYPE' });
    bad({ lines: {} }, { code: 'ERR_INVALID_ARG_VALUE', message: /at least one line/ });
    bad({ lines: new Map() }, { code: 'ERR_INVALID_ARG_VALUE' });
    bad({ lines: new Map([[1.5, {}]]) }, { code: 'ERR_INVALID_ARG_TYPE' });
    bad({ lines: new Map([[-1, {}]]) }, { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    bad({ lines: new Map([[true, {}]]) }, { code: 'ERR_INVALID_ARG_TYPE' });
    bad({ lines: { '99999999999': {} } }, { code: 'ERR_OUT_OF_RANGE' });
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [String(i), {}]));
    bad({ lines: many }, { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /at most 64 lines/ });
    bad({ lines: { 0: {} }, consumer: 7 }, { code: 'ERR_INVALID_ARG_TYPE' });
    bad({ lines: { 0: {} }, consumer: 'a\0b' }, { code: 'ERR_INVALID_ARG_VALUE' });
    bad({ lines: { 0: {} }, consumer: 'x'.repeat(32) }, { code: 'ERR_OUT_OF_RANGE', message: /31 bytes/ });
    bad({ lines: { 0: {} }, consumer: 'é'.repeat(16) }, { code: 'ERR_OUT_OF_RANGE' }); // 32 bytes of UTF-8
    bad({ lines: { 0: {} }, eventBufferSize: -1 }, { code: 'ERR_OUT_OF_RANGE' });
    bad({ lines: { 0: {} }, eventBufferSize: 1025 }, { code: 'ERR_OUT_OF_RANGE' });
    bad({ lines: { 0: {} }, eventBufferSize: 2.5 }, { code: 'ERR_INVALID_ARG_TYPE' });
    // Valid configs reach open(): ENOENT.
    assert.throws(() => requestLines(nowhere, { lines: { 0: {} }, consumer: 'x'.repeat(31), eventBufferSize: 1024 }), { code: 'ENOENT' });
    assert.throws(() => requestLines(nowhere, { lines: { GPIO17: { edge: 'both', bias: 'pull-up', debounceUs: 10000 } } }), { code: 'ENOENT' });
  });

  it('each setting: unknown names, wrong types, combinations the kernel refuses', () => {
    const s = (settings: unknown, code: string, message?: RegExp): void =>
      bad({ lines: { 4: settings } }, message ? { code, message } : { code });
    s('input', 'ERR_INVALID_ARG_TYPE');
    s({ direction: 'in' }, 'ERR_INVALID_ARG_VALUE', /'as-is', 'input', 'output'/);
    s({ direction: 1 }, 'ERR_INVALID_ARG_TYPE');
    s({ edge: 'up' }, 'ERR_INVALID_ARG_VALUE');
    s({ bias: 'pullup', direction: 'input' }, 'ERR_INVALID_ARG_VALUE');
    s({ drive: 'open-collector', direction: 'output' }, 'ERR_INVALID_ARG_VALUE');
    s({ eventClock: 'boottime' }, 'ERR_INVALID_ARG_VALUE');
    s({ eventClock: 'toString' }, 'ERR_INVALID_ARG_VALUE');
    s({ activeLow: 1 }, 'ERR_INVALID_ARG_TYPE');
    s({ debounceUs: -1, direction: 'input' }, 'ERR_OUT_OF_RANGE');
    s({ debounceUs: 2 ** 32, direction: 'input' }, 'ERR_OUT_OF_RANGE');
    s({ debounceUs: NaN, direction: 'input' }, 'ERR_INVALID_ARG_TYPE');
    s({ value: 2, direction: 'output' }, 'ERR_OUT_OF_RANGE');
    s({ value: true, direction: 'output' }, 'ERR_INVALID_ARG_TYPE');
    s({ pull: 'up' }, 'ERR_INVALID_ARG_VALUE', /unknown setting 'pull'/);
    s({ edge: 'both', direction: 'output' }, 'ERR_INVALID_ARG_VALUE', /edge/);
    s({ drive: 'open-drain' }, 'ERR_INVALID_ARG_VALUE', /needs direction 'output'/);
    s({ drive: 'open-source', direction: 'input' }, 'ERR_INVALID_ARG_VALUE');
    s({ bias: 'pull-up' }, 'ERR_INVALID_ARG_VALUE', /needs direction 'input' or 'output'/);
    s({ value: 1 }, 'ERR_INVALID_ARG_VALUE', /needs direction 'output'/);
    s({ value: 1, direction: 'input' }, 'ERR_INVALID_ARG_VALUE');
    s({ debounceUs: 5, direction: 'output' }, 'ERR_INVALID_ARG_VALUE', /debounce/);
  });

  it('an edge implies input; the defaults', () => {
    assert.deepEqual(resolveSettings({ edge: 'rising' }, 's'), {
      direction: 'input', edge: 'rising', bias: 'as-is', drive: 'push-pull', activeLow: false, debounceUs: 0, eventClock: 'monotonic', value: undefined,
    });
    assert.equal(resolveSettings(undefined, 's').direction, 'as-is');
    assert.equal(resolveSettings({ bias: 'pull-down', edge: 'falling' }, 's').direction, 'input');
  });

  it('lines with different settings group into at most 10 attributes', () => {
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => resolveSettings({ direction: 'input', debounceUs: i + 1 }, 's'));
    // Ten debounce periods: ten attributes.
    const ok = groupConfig(inputs(10), []);
    assert.equal(ok.flags, FLAG.INPUT);
    assert.equal(ok.attrs.length, 10);
    assert.deepEqual(ok.attrs.map((a) => a.mask), Array.from({ length: 10 }, (_, i) => 1n << BigInt(i)));
    assert.throws(() => groupConfig(inputs(11), []), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /at most 10 attributes/ });
    // The most common flags are the default; the others an attribute each; outputs' values one.
    const mixed = [
      resolveSettings({ direction: 'input' }, 's'),
      resolveSettings({ direction: 'output', value: 1 }, 's'),
      resolveSettings({ direction: 'input' }, 's'),
      resolveSettings({ direction: 'output', activeLow: true }, 's'),
    ];
    const c = groupConfig(mixed, [0, 1, 0, 0]);
    assert.equal(c.flags, FLAG.INPUT);
    assert.deepEqual(c.attrs.map((a) => [a.id, a.value, a.mask]), [
      [g.GPIO_V2_LINE_ATTR_ID_FLAGS, BigInt(FLAG.OUTPUT), 0b0010n],
      [g.GPIO_V2_LINE_ATTR_ID_FLAGS, BigInt(FLAG.OUTPUT | FLAG.ACTIVE_LOW), 0b1000n],
      [g.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, 0b0010n, 0b1010n],
    ]);
    // Line 63's bit is the top bit of the u64 mask.
    assert.equal(checkConfig({ lines: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [String(i), {}])) }).lines.length, 64);
  });
});

describe('EACCES on a chip says what to do', { skip: process.getuid?.() !== 0 && 'needs root (to run a child as nobody)' }, () => {
  it('a device the user may not open: the group and the usermod line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-gpio-'));
    const dev = path.join(dir, 'gpiochip0');
    fs.writeFileSync(dev, '');
    fs.chmodSync(dev, 0o660);
    fs.chmodSync(dir, 0o755);
    try {
      const script = `const { openChip } = require(${JSON.stringify(path.join(ROOT, 'src/index.ts'))});
        try { openChip(${JSON.stringify(dev)}); } catch (e) { console.log(e.code + ' ' + e.syscall + ' ' + e.message); }`;
      const r = spawnSync(process.execPath, [...TSX, '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: ROOT, env: { ...process.env, HOME: '/tmp' } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^EACCES open EACCES: permission denied, open '.*gpiochip0': .* belongs to the group 'root': add your user to it \(sudo usermod -aG root \$USER\) and log in again/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

leakCheckAtEnd();
