// An input device as a stream, in the test VM (scripts/vm-run.sh; npm run test:gpio):
// a virtual keyboard made through /dev/uinput by python3-evdev, its /dev/input/eventN
// read with createReadStream(fd, { recordSize }) as whole `struct input_event` records;
// unplugging it (the uinput device destroyed) ends the stream at once with an error
// (ENODEV) and no re-armed watch; a process with an idle device stream ends at once
// after destroy(). Skipped where there is no /dev/uinput (the host).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import fs from 'node:fs';
import readline from 'node:readline';
import { describe, it } from 'node:test';

import { createReadStream } from '../../src/index';
import { reactorState } from '../../src/stream/reactor';
import { failsafe, isOpen, ROOT, TSX, until } from '../helpers';

const PY = '/usr/bin/python3';
const canRun =
  fs.existsSync('/dev/uinput') && process.getuid?.() === 0 && spawnSync(PY, ['-c', 'import evdev']).status === 0;
const skip = !canRun && 'needs /dev/uinput, root and python3-evdev: runs in the VM (scripts/vm-run.sh)';

// struct input_event: struct timeval (two longs), type u16, code u16, value s32.
const LONG = process.arch === 'arm' || process.arch === 'ia32' ? 4 : 8;
const RECORD = 2 * LONG + 8;
const EV_SYN = 0;
const EV_KEY = 1;
const SYN_DROPPED = 3;
const KEYS = [30, 48, 46, 32]; // KEY_A KEY_B KEY_C KEY_D

/** The virtual keyboard: "type N FROM" presses and releases N keys (KEYS[FROM...], cycling), "close" unplugs it. */
const KEYBOARD = `
import sys, evdev
from evdev import ecodes as e
keys = [${KEYS.join(', ')}]
ui = evdev.UInput({e.EV_KEY: keys}, name='ioready test keyboard')
print(ui.device.path, flush=True)
for line in sys.stdin:
    cmd = line.split()
    if cmd[0] == 'type':
        for i in range(int(cmd[2]), int(cmd[2]) + int(cmd[1])):
            k = keys[i % len(keys)]
            ui.write(e.EV_KEY, k, 1); ui.syn()
            ui.write(e.EV_KEY, k, 0); ui.syn()
        print('typed', flush=True)
    elif cmd[0] == 'close':
        ui.close()
        print('closed', flush=True)
`;

interface Keyboard {
  path: string;
  proc: ChildProcessByStdio<Writable, Readable, null>;
  /** Send a command, resolve with the answer line. */
  say(cmd: string): Promise<string>;
  end(): Promise<void>;
}

async function keyboard(): Promise<Keyboard> {
  const proc = spawn(PY, ['-c', KEYBOARD], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error('the keyboard process ended');
    return r.value;
  };
  const path = await next();
  return {
    path,
    proc,
    say: async (cmd) => {
      proc.stdin.write(`${cmd}\n`);
      return next();
    },
    end: async () => {
      proc.stdin.end();
      if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    },
  };
}

const openDevice = (p: string): number => fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);

describe('an input device as a stream (evdev, in the VM)', { skip }, () => {
  it(`records: ${RECORD}-byte input_events, whole in every chunk, every key in order`, async () => {
    const kb = await keyboard();
    const fd = openDevice(kb.path);
    const events = createReadStream(fd, { recordSize: RECORD });
    try {
      const keys: Array<[number, number]> = [];
      const sizes: number[] = [];
      let syns = 0;
      let dropped = 0;
      events.on('data', (chunk: Buffer) => {
        sizes.push(chunk.length);
        for (let off = 0; off < chunk.length; off += RECORD) {
          const type = chunk.readUInt16LE(off + 2 * LONG);
          const code = chunk.readUInt16LE(off + 2 * LONG + 2);
          const value = chunk.readInt32LE(off + 2 * LONG + 4);
          if (type === EV_KEY) keys.push([code, value]);
          else if (type === EV_SYN && code === SYN_DROPPED) dropped++;
          else if (type === EV_SYN) syns++;
        }
      });
      // In batches: evdev's buffer per reader holds a few dozen events, and drops the
      // rest (SYN_DROPPED) if the reader is slower than the writer (qemu TCG is slow).
      const N = 100;
      const BATCH = 4;
      for (let i = 0; i < N; i += BATCH) {
        assert.equal(await kb.say(`type ${BATCH} ${i}`), 'typed');
        await until(() => keys.length >= 2 * (i + BATCH), `${2 * (i + BATCH)} key events (have ${keys.length})`, 20_000);
      }
      assert.equal(dropped, 0, 'no SYN_DROPPED');
      assert.ok(sizes.every((n) => n > 0 && n % RECORD === 0), `chunk sizes ${sizes.join(',')}`);
      assert.equal(keys.length, 2 * N);
      assert.equal(syns, 2 * N);
      for (let i = 0; i < N; i++) {
        assert.deepEqual(keys[2 * i], [KEYS[i % KEYS.length], 1]);
        assert.deepEqual(keys[2 * i + 1], [KEYS[i % KEYS.length], 0]);
      }
    } finally {
      events.destroy();
      await kb.end();
    }
    await until(() => !isOpen(fd), 'the fd closed');
  });

  it('unplugged while the stream waits: an error (ENODEV, syscall read) at once, the fd closed, nothing re-armed', async (t) => {
    const kb = await keyboard();
    const fd = openDevice(kb.path);
    const events = createReadStream(fd, { recordSize: RECORD });
    t.after(() => {
      events.destroy();
      kb.proc.kill();
    });
    events.resume();
    const failed = new Promise<NodeJS.ErrnoException | null>((resolve) => {
      events.once('error', resolve);
      events.once('end', () => resolve(null));
    });
    assert.equal(await kb.say('close'), 'closed');
    const t0 = performance.now();
    const err = await failed;
    const ms = performance.now() - t0;
    assert.ok(err !== null, 'an unplugged device is an error, not a quiet end');
    assert.equal(err.code, 'ENODEV');
    assert.equal(err.syscall, 'read');
    assert.ok(ms < failsafe(1000), `${ms.toFixed(0)} ms after the unplug`);
    await until(() => events.destroyed && !isOpen(fd), 'the stream destroyed, its fd closed');
    assert.equal(reactorState().watchers, 0, 'no watch left on the dead fd');
    await kb.end();
  });

  it('a process with an idle device stream ends at once after destroy()', async (t) => {
    const kb = await keyboard();
    const child = spawn(process.execPath, [...TSX, 'bench/streams/exit.ts', 'destroy', kb.path], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let at = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (at === 0 && out.includes('destroy\n')) at = performance.now();
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), failsafe(30_000));
    t.after(() => kb.proc.kill());
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(kill);
    const ms = performance.now() - at;
    assert.equal(code, 0);
    assert.ok(at > 0 && ms < failsafe(3000), `exit ${ms.toFixed(0)} ms after destroy() (qemu TCG)`);
    await kb.end();
  });
});
