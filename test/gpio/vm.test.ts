// What the test VM (scripts/vm-run.sh) gives the suites besides gpio-sim: uinput → evdev
// (Debian's python3-evdev making a device, its records read here), uhid → hidraw, and
// the mounts. Runs in the VM: `npm run test:gpio`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { once } from 'node:events';
import readline from 'node:readline';
import { before, test } from 'node:test';

import { failsafe } from '../helpers';

before(() => {
  assert.ok(fs.existsSync('/sys/kernel/config/gpio-sim'), 'not in the test VM: these tests run with npm run test:gpio');
});

test('the VM: root, configfs with gpio-sim, tmpfs /tmp, the working directory writable', () => {
  assert.equal(process.getuid?.(), 0);
  const mounts = fs.readFileSync('/proc/mounts', 'utf8');
  assert.match(mounts, /^configfs \/sys\/kernel\/config configfs /m);
  assert.match(mounts, /^tmpfs \/tmp tmpfs /m);
  assert.match(mounts, /^hostroot \/ 9p ro,/m);
  const probe = `vm-test-${process.pid}.tmp`;
  fs.writeFileSync(probe, 'x');
  fs.unlinkSync(probe);
  assert.equal(process.env.NO_COLOR, '1');
});

test('uinput → evdev: a python3-evdev UInput device appears as /dev/input/eventN and its key records arrive', async () => {
  assert.ok(fs.statSync('/dev/uinput').isCharacterDevice());
  const py = spawn(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import sys, evdev',
        'from evdev import UInput, ecodes as e',
        "ui = UInput({e.EV_KEY: [e.KEY_A]}, name='ioready-uinput')",
        'print(ui.device.path, flush=True)',
        'sys.stdin.readline()',
        'ui.write(e.EV_KEY, e.KEY_A, 1); ui.syn()',
        'sys.stdin.readline()',
        'ui.close()',
      ].join('\n'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'], timeout: failsafe(60_000) },
  );
  const lines = readline.createInterface({ input: py.stdout! })[Symbol.asyncIterator]();
  const devPath = String((await lines.next()).value);
  assert.match(devPath, /^\/dev\/input\/event\d+$/);
  const node = devPath.split('/').pop()!;
  assert.equal(fs.readFileSync(`/sys/class/input/${node}/device/name`, 'utf8').trim(), 'ioready-uinput');
  const fh = await fs.promises.open(devPath, 'r');
  try {
    py.stdin!.write('go\n');
    // struct input_event on x86-64: 16 bytes of time, u16 type, u16 code, s32 value.
    const buf = Buffer.alloc(24 * 2);
    let got = 0;
    while (got < buf.length) got += (await fh.read(buf, got, buf.length - got)).bytesRead;
    assert.deepEqual([buf.readUInt16LE(16), buf.readUInt16LE(18), buf.readInt32LE(20)], [1, 30, 1], 'EV_KEY KEY_A pressed');
    assert.deepEqual([buf.readUInt16LE(24 + 16), buf.readUInt16LE(24 + 18)], [0, 0], 'EV_SYN SYN_REPORT');
  } finally {
    await fh.close();
    py.stdin!.end('\n');
  }
  const [code] = await once(py, 'exit');
  assert.equal(code, 0);
});

test('uhid → hidraw: a device made through /dev/uhid appears as /dev/hidrawN (hid-generic)', async () => {
  const before = new Set(fs.readdirSync('/dev').filter((e) => e.startsWith('hidraw')));
  // struct uhid_event (packed): u32 type, then struct uhid_create2_req: name[128],
  // phys[64], uniq[64], u16 rd_size, u16 bus, u32 vendor, product, version, country,
  // rd_data[4096].
  const ev = Buffer.alloc(4 + 128 + 64 + 64 + 2 + 2 + 4 * 4 + 4096);
  const UHID_CREATE2 = 11;
  const BUS_USB = 3;
  // A vendor-defined report: 8 input bytes.
  const rd = Buffer.from([0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x08, 0x09, 0x01, 0x81, 0x02, 0xc0]);
  ev.writeUInt32LE(UHID_CREATE2, 0);
  ev.write('ioready-uhid', 4);
  let o = 4 + 128 + 64 + 64;
  ev.writeUInt16LE(rd.length, o);
  ev.writeUInt16LE(BUS_USB, o + 2);
  ev.writeUInt32LE(0x1209, o + 4);
  ev.writeUInt32LE(0x0001, o + 8);
  o += 4 + 16;
  rd.copy(ev, o);
  const fd = fs.openSync('/dev/uhid', 'r+');
  try {
    assert.equal(fs.writeSync(fd, ev), ev.length);
    let found: string | undefined;
    const end = Date.now() + failsafe(5000);
    while (!found && Date.now() < end) {
      found = fs.readdirSync('/dev').find((e) => e.startsWith('hidraw') && !before.has(e));
      if (!found) await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(found, 'a new /dev/hidrawN');
    assert.match(fs.readFileSync(`/sys/class/hidraw/${found}/device/uevent`, 'utf8'), /^HID_NAME=ioready-uhid$/m);
  } finally {
    fs.closeSync(fd); // destroys the device
  }
});
