// Pseudo-terminals with real termios: openpty, ttyConfigure and ttyAttributes,
// checked against what the kernel holds (read back by Python, a reader nobody here
// wrote), data through the pty both ways, and misuse.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import fs from 'node:fs';
import { isatty } from 'node:tty';
import {
  close, Epoll, EPOLLHUP, EPOLLIN, openpty, pipe, read, ttyAttributes, ttyConfigure, write,
  type TtyAttributes,
} from '../src/index';
import { native } from '../src/internal/binding';
import { fdFlags, fdLeakCheck, hasPython, O_CLOEXEC_FLAG, O_NONBLOCK_FLAG, qemuUser } from './helpers';

const leakCheck = fdLeakCheck();

/**
 * Under qemu-user (scripts/test-arm.sh), a reason to skip what needs TCGETS2/TCSETS2 if
 * qemu does not emulate them (7.2 answers ENOSYS); false elsewhere. struct termios2's
 * layout is then checked by tty.c's _Static_asserts, at build time, for every target.
 */
const noTermios2: string | false = (() => {
  if (!qemuUser) return false;
  const [c, t] = openpty();
  try {
    ttyAttributes(t);
    return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSYS') throw e;
    return `${qemuUser} does not emulate TCGETS2/TCSETS2 (ENOSYS)`;
  } finally {
    close(c);
    close(t);
  }
})();
const needsPython = noTermios2 || (!hasPython && 'no python3');

/** A pty pair for fn, closed after it (a side fn closed itself is left alone). */
function withPty(fn: (controller: number, tty: number) => void): void {
  const [c, t] = openpty();
  try {
    fn(c, t);
  } finally {
    for (const fd of [c, t]) {
      try {
        close(fd);
      } catch {
        /* closed by the test */
      }
    }
  }
}

/**
 * Read from fd until `length` bytes came (waiting for readiness in between, 5 s at most
 * in all: the line discipline may hand them over in more than one piece), and at most that.
 */
function readWhenReady(fd: number, length: number): string {
  const ep = new Epoll();
  const deadline = Date.now() + 5000;
  let got = '';
  try {
    ep.register(fd, EPOLLIN);
    const buf = Buffer.alloc(length);
    while (got.length < length) {
      assert.notDeepEqual(ep.poll(Math.max(0, deadline - Date.now())), [], `readable within 5 s (got ${JSON.stringify(got)})`);
      const n = read(fd, buf, 0, length - got.length);
      if (n) got += buf.toString('latin1', 0, n);
    }
    return got;
  } finally {
    ep.close();
  }
}

/**
 * The tty's termios as Python reads it (the tty handed over as its fd 3): the
 * four flag words through termios.tcgetattr, and the speeds through the kernel's
 * own TCGETS2 (struct termios2: 4 flags, line, 19 cc, ispeed, ospeed: 44 bytes).
 */
function pythonView(tty: number): { iflag: number; oflag: number; cflag: number; lflag: number; ispeed: number; ospeed: number; names: Record<string, number> } {
  const script = `
import fcntl, json, struct, termios
iflag, oflag, cflag, lflag, _, _, _ = termios.tcgetattr(3)
raw = fcntl.ioctl(3, 0x802C542A, bytes(44))  # TCGETS2 = _IOR('T', 0x2A, struct termios2)
i2, o2, c2, l2, line, cc, ispeed, ospeed = struct.unpack('=IIIIB19sII', raw)
names = {n: getattr(termios, n) for n in ['CSTOPB', 'CRTSCTS', 'PARENB', 'PARODD', 'CSIZE', 'CS7', 'CS8', 'ICANON', 'ECHO', 'ISIG', 'OPOST', 'ICRNL', 'IXON', 'IXOFF', 'CBAUD']}
print(json.dumps(dict(iflag=iflag, oflag=oflag, cflag=c2, lflag=lflag, ispeed=ispeed, ospeed=ospeed, names=names)))
`;
  const r = spawnSync('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe', tty], encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('openpty', () => {
  it('gives [controller, tty]: two ttys, non-blocking and close-on-exec, the tty at /dev/pts/N', () => {
    withPty((c, t) => {
      assert.notEqual(c, t);
      for (const fd of [c, t]) {
        assert.ok(isatty(fd), `fd ${fd} is a tty`);
        assert.equal(fdFlags(fd) & O_NONBLOCK_FLAG, O_NONBLOCK_FLAG);
        assert.equal(fdFlags(fd) & O_CLOEXEC_FLAG, O_CLOEXEC_FLAG);
      }
      assert.match(fs.readlinkSync(`/proc/self/fd/${t}`), /^\/dev\/pts\/\d+$/);
      assert.equal(fs.readlinkSync(`/proc/self/fd/${c}`), '/dev/ptmx');
    });
  });

  it('{ nonblock: false, cloexec: false } gives blocking, inheritable fds', () => {
    const [c, t] = openpty({ nonblock: false, cloexec: false });
    try {
      for (const fd of [c, t]) assert.equal(fdFlags(fd) & (O_NONBLOCK_FLAG | O_CLOEXEC_FLAG), 0);
    } finally {
      close(c);
      close(t);
    }
  });

  it('starts as the kernel makes a tty: 38400 baud, 8N1, cooked, XON/XOFF on', { skip: noTermios2 }, () => {
    withPty((_c, t) => {
      assert.deepEqual(ttyAttributes(t), { baudRate: 38400, dataBits: 8, parity: 'none', stopBits: 1, raw: false, flowControl: 'xonxoff' });
    });
  });

  it('refuses a bad options object before opening anything', () => {
    assert.throws(() => openpty({ nonblock: 1 as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => openpty('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('ttyConfigure and ttyAttributes on a pty', () => {
  it('raw 8N1 at 115200: what is returned is what the kernel holds', { skip: needsPython }, () => {
    withPty((_c, t) => {
      const want: TtyAttributes = { baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1, raw: true, flowControl: 'none' };
      assert.deepEqual(ttyConfigure(t, want), want);
      assert.deepEqual(ttyAttributes(t), want);
      const py = pythonView(t);
      const n = py.names;
      assert.equal(py.ospeed, 115200);
      assert.equal(py.ispeed, 115200);
      assert.equal(py.cflag & n.CSIZE!, n.CS8);
      assert.equal(py.cflag & (n.PARENB! | n.CSTOPB! | n.CRTSCTS!), 0);
      assert.equal(py.lflag & (n.ICANON! | n.ECHO! | n.ISIG!), 0, 'no line editing, echo or signals');
      assert.equal(py.oflag & n.OPOST!, 0, 'no output processing');
      assert.equal(py.iflag & (n.ICRNL! | n.IXON! | n.IXOFF!), 0, 'no CR/NL translation, no XON/XOFF');
    });
  });

  it('a non-standard rate, 250000, is set through BOTHER and read back through TCGETS2', { skip: needsPython }, () => {
    withPty((c, t) => {
      assert.equal(ttyConfigure(t, { baudRate: 250000, raw: true }).baudRate, 250000);
      assert.equal(ttyAttributes(t).baudRate, 250000);
      assert.equal(ttyAttributes(c).baudRate, 250000, 'the controller reports its tty side');
      const py = pythonView(t);
      assert.equal(py.ospeed, 250000);
      assert.equal(py.ispeed, 250000);
      assert.equal(py.cflag & py.names.CBAUD!, 0o010000, 'the speed code is BOTHER');
      // Back to a table rate: the code, no longer BOTHER.
      assert.equal(ttyConfigure(t, { baudRate: 9600 }).baudRate, 9600);
      assert.notEqual(pythonView(t).cflag & py.names.CBAUD!, 0o010000);
      // Odd rates a UART could not make are still held by a pty as given.
      assert.equal(ttyConfigure(t, { baudRate: 74880 }).baudRate, 74880);
      assert.equal(ttyConfigure(t, { baudRate: 31250 }).baudRate, 31250);
    });
  });

  it('a pty keeps 2 stop bits and RTS/CTS, but forces 8 data bits and no parity', { skip: needsPython }, () => {
    withPty((_c, t) => {
      const held = ttyConfigure(t, { dataBits: 7, parity: 'even', stopBits: 2, flowControl: 'rtscts', raw: true });
      assert.deepEqual(held, { baudRate: 38400, dataBits: 8, parity: 'none', stopBits: 2, raw: true, flowControl: 'rtscts' });
      assert.deepEqual(ttyAttributes(t), held);
      const py = pythonView(t);
      const n = py.names;
      assert.equal(py.cflag & n.CSTOPB!, n.CSTOPB);
      assert.equal((py.cflag & n.CRTSCTS!) >>> 0, n.CRTSCTS);
      assert.equal(py.cflag & n.CSIZE!, n.CS8);
      assert.equal(py.cflag & n.PARENB!, 0);
      // And back: one stop bit, no flow control.
      assert.deepEqual(ttyConfigure(t, { stopBits: 1, flowControl: 'none' }), { ...held, stopBits: 1, flowControl: 'none' });
    });
  });

  it('flowControl xonxoff sets IXON and IXOFF; raw: false brings the cooked line back', { skip: needsPython }, () => {
    withPty((_c, t) => {
      assert.equal(ttyConfigure(t, { raw: true }).flowControl, 'none', 'raw mode turns XON/XOFF off, as cfmakeraw');
      assert.equal(ttyConfigure(t, { raw: true, flowControl: 'xonxoff' }).flowControl, 'xonxoff', 'unless asked in the same call');
      let py = pythonView(t);
      assert.equal(py.iflag & (py.names.IXON! | py.names.IXOFF!), py.names.IXON! | py.names.IXOFF!);
      const cooked = ttyConfigure(t, { raw: false });
      assert.equal(cooked.raw, false);
      py = pythonView(t);
      assert.equal(py.lflag & (py.names.ICANON! | py.names.ECHO! | py.names.ISIG!), py.names.ICANON! | py.names.ECHO! | py.names.ISIG!);
      assert.equal(py.oflag & py.names.OPOST!, py.names.OPOST);
    });
  });

  it('every rate of the B* table, and odd ones between them, read back as set', { skip: noTermios2 }, () => {
    withPty((_c, t) => {
      const table = [50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
        230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000];
      const odd = [1, 45, 100, 10400, 31250, 74880, 76800, 128000, 153600, 256000, 1843200, 4000001, 12000000, 0x7fffffff];
      for (const rate of [...table, ...odd]) {
        assert.equal(ttyConfigure(t, { baudRate: rate }).baudRate, rate, `${rate}`);
        assert.equal(ttyAttributes(t).baudRate, rate, `${rate} read again`);
      }
      for (const dataBits of [5, 6, 7, 8] as const) assert.equal(ttyConfigure(t, { dataBits }).dataBits, 8, 'a pty keeps CS8');
      for (const parity of ['even', 'odd', 'mark', 'space', 'none'] as const) assert.equal(ttyConfigure(t, { parity }).parity, 'none', 'and no parity');
    });
  });

  it('an empty options object changes nothing and returns the settings', { skip: noTermios2 }, () => {
    withPty((_c, t) => {
      assert.deepEqual(ttyConfigure(t, {}), ttyAttributes(t));
    });
  });
});

describe('data through a pty', () => {
  it('raw: bytes pass unchanged both ways (no echo, no CR/NL translation)', { skip: noTermios2 }, () => {
    withPty((c, t) => {
      ttyConfigure(t, { baudRate: 115200, raw: true });
      assert.equal(write(c, Buffer.from('ping\r\n\x03\x13')), 8);
      assert.equal(readWhenReady(t, 8), 'ping\r\n\x03\x13', 'Ctrl-C and Ctrl-S arrive as bytes');
      assert.equal(write(t, Buffer.from('pong\n')), 5);
      assert.equal(readWhenReady(c, 5), 'pong\n');
      assert.equal(read(c, Buffer.alloc(16)), null, 'no echo came back (EAGAIN)');
    });
  });

  it('cooked: the kernel line discipline echoes, and delivers whole lines', () => {
    withPty((c, t) => {
      write(c, Buffer.from('ab'));
      assert.equal(readWhenReady(c, 2), 'ab', 'echoed');
      assert.equal(read(t, Buffer.alloc(16)), null, 'no whole line yet');
      write(c, Buffer.from('c\r'));
      assert.equal(readWhenReady(t, 4), 'abc\n', 'CR became NL, the line is there');
      assert.equal(readWhenReady(c, 3), 'c\r\n', 'echo, with NL as CR NL (ONLCR)');
    });
  });

  it('once the tty side is closed, the controller says EPOLLHUP and read() fails with EIO: its end of file', () => {
    withPty((c, t) => {
      write(t, Buffer.from('last'));
      close(t);
      const ep = new Epoll();
      try {
        ep.register(c, EPOLLIN);
        const [[fd, events]] = ep.poll(5000) as [[number, number]];
        assert.equal(fd, c);
        assert.equal(events & EPOLLHUP, EPOLLHUP);
      } finally {
        ep.close();
      }
      assert.equal(readWhenReadyOrEio(c), 'last', 'what was written before the close still arrives');
      assert.throws(() => read(c, Buffer.alloc(16)), { code: 'EIO', syscall: 'read' });
    });
  });
});

/** Read what is there on a controller whose tty side is gone (EIO would say it is all read). */
function readWhenReadyOrEio(fd: number): string {
  const buf = Buffer.alloc(64);
  const n = read(fd, buf);
  return buf.toString('latin1', 0, n ?? 0);
}

describe('misuse', () => {
  it('a closed fd: EBADF', { skip: noTermios2 }, () => {
    const [c, t] = openpty();
    close(c);
    close(t);
    assert.throws(() => ttyAttributes(t), { code: 'EBADF', syscall: 'ioctl' });
    assert.throws(() => ttyConfigure(t, { raw: true }), { code: 'EBADF', syscall: 'ioctl' });
  });

  it('an fd that is not a tty: ENOTTY', { skip: noTermios2 }, () => {
    const [r, w] = pipe();
    try {
      assert.throws(() => ttyAttributes(r), { code: 'ENOTTY', syscall: 'ioctl', message: /^ENOTTY: / });
      assert.throws(() => ttyConfigure(w, { baudRate: 9600 }), { code: 'ENOTTY', syscall: 'ioctl' });
    } finally {
      close(r);
      close(w);
    }
  });

  it('bad options: TypeError or RangeError before any system call, settings untouched', () => {
    withPty((_c, t) => {
      // The argument checks run everywhere; what the kernel holds is read where TCGETS2 is there.
      const before = noTermios2 ? null : ttyAttributes(t);
      const cases: Array<[unknown, string]> = [
        [{ dataBits: 9 }, 'ERR_OUT_OF_RANGE'],
        [{ dataBits: 4 }, 'ERR_OUT_OF_RANGE'],
        [{ dataBits: 7.5 }, 'ERR_INVALID_ARG_TYPE'],
        [{ stopBits: 3 }, 'ERR_OUT_OF_RANGE'],
        [{ stopBits: 1.5 }, 'ERR_INVALID_ARG_TYPE'],
        [{ baudRate: 0 }, 'ERR_OUT_OF_RANGE'],
        [{ baudRate: -9600 }, 'ERR_OUT_OF_RANGE'],
        [{ baudRate: NaN }, 'ERR_INVALID_ARG_TYPE'],
        [{ baudRate: '9600' }, 'ERR_INVALID_ARG_TYPE'],
        [{ parity: 'evn' }, 'ERR_INVALID_ARG_VALUE'],
        [{ parity: 'constructor' }, 'ERR_INVALID_ARG_VALUE'],
        [{ parity: 1 }, 'ERR_INVALID_ARG_TYPE'],
        [{ flowControl: 'hardware' }, 'ERR_INVALID_ARG_VALUE'],
        [{ raw: 'yes' }, 'ERR_INVALID_ARG_TYPE'],
        [{ baudrate: 9600 }, 'ERR_INVALID_ARG_VALUE'],
        [{ baudRate: 9600, dataBits: 9 }, 'ERR_OUT_OF_RANGE'],
        [null, 'ERR_INVALID_ARG_TYPE'],
        [undefined, 'ERR_INVALID_ARG_TYPE'],
        [9600, 'ERR_INVALID_ARG_TYPE'],
      ];
      for (const [opts, code] of cases) {
        assert.throws(() => ttyConfigure(t, opts as never), { code }, JSON.stringify(opts));
        assert.throws(() => ttyConfigure(987654, opts as never), { code }, 'checked before the fd is used');
      }
      if (before) assert.deepEqual(ttyAttributes(t), before, 'a refused call changed nothing');
      assert.throws(() => ttyAttributes(-1), { code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => ttyAttributes('0' as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => ttyConfigure(-1, { raw: true }), { code: 'ERR_OUT_OF_RANGE' });
    });
  });
});

describe('the addon itself, called directly with garbage (tty.c, proc.c, fdpass.c)', () => {
  it('throws a TypeError or returns -EINVAL, never reads outside a buffer', () => {
    const EINVAL = -osConstants.errno.EINVAL;
    const [c, t] = openpty();
    try {
      assert.throws(() => native.ttyGetAttr(t, new Uint32Array(3)), TypeError, 'a termios array too short');
      assert.throws(() => native.ttyGetAttr(t, new Int32Array(64) as never), TypeError, 'not a Uint32Array');
      assert.throws(() => native.ttySetAttr('x' as never, new Uint32Array(64)), TypeError);
      assert.equal(native.ptyOpen(0, new Int32Array(1)), EINVAL, 'no room for two fds: nothing opened');
      assert.throws(() => native.ptyOpen(0, new Uint32Array(2) as never), TypeError);
      assert.throws(() => native.pidfdOpen('1' as never, 0), TypeError);
      assert.throws(() => native.pidfdSendSignal(c, {} as never), TypeError);
      const buf = Buffer.alloc(4);
      assert.throws(() => native.sendFds(c, buf, 0, 5, new Int32Array(0), 0), RangeError, 'a range outside the buffer');
      assert.throws(() => native.sendFds(c, buf, 0, 4, [1] as never, 1), TypeError);
      assert.equal(native.sendFds(c, buf, 0, 4, new Int32Array(2), 3), EINVAL, 'a count beyond the array');
      assert.equal(native.sendFds(c, buf, 0, 4, new Int32Array(2), -1), EINVAL);
      assert.equal(native.sendFds(c, buf, 0, 4, new Int32Array(254), 254), EINVAL, 'more than SCM_MAX_FD');
      assert.equal(native.recvFds(c, buf, 0, 4, 254, new Int32Array(254), new Int32Array(2)), EINVAL);
      assert.equal(native.recvFds(c, buf, 0, 4, -1, new Int32Array(1), new Int32Array(2)), EINVAL);
      assert.equal(native.recvFds(c, buf, 0, 4, 1, new Int32Array(1), new Int32Array(1)), EINVAL, 'no room for the info');
      assert.throws(() => native.recvFds(c, buf, 2, 3, 1, new Int32Array(1), new Int32Array(2)), RangeError);
    } finally {
      close(c);
      close(t);
    }
  });
});

leakCheck();
