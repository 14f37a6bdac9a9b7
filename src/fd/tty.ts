/**
 * Terminals and serial ports: a pseudo-terminal pair, and a tty's line
 * settings in one call (baud rate, framing, raw mode, flow control), read back
 * as the kernel holds them.
 *
 * The settings travel through the kernel's termios2 (TCGETS2/TCSETS2), so any
 * baud rate works, the non-standard ones too (BOTHER): 250000 for DMX, 74880
 * for an ESP8266's boot log, 31250 for MIDI. The flag arithmetic is here; the
 * addon only moves the struct (native/tty.c).
 */
import { check, invalidArgType, invalidArgValue } from '../internal/errors';
import { native } from '../internal/binding';
import { type FdLike, lookupName, toFd, validateBool, validateInt, validateOptions } from '../internal/validate';
import { fdFlags, type FdOptions, O_CLOEXEC, O_NONBLOCK } from './fd';

const t = native.ttyConstants;
const k = (name: string): number => t[name]!;
const WORDS = k('TERMIOS_WORDS');
const [IFLAG, OFLAG, CFLAG, LFLAG, ISPEED, OSPEED, CC] = [0, 1, 2, 3, 5, 6, 7];

/** Parity: none, even, odd; mark and space (the parity bit always 1 or 0: CMSPAR). */
export type TtyParity = 'none' | 'even' | 'odd' | 'mark' | 'space';
/** Flow control: none, hardware (RTS/CTS lines), or software (XON/XOFF characters). */
export type TtyFlowControl = 'none' | 'rtscts' | 'xonxoff';

/** A tty's line settings, as `ttyAttributes` reads them from the kernel. */
export interface TtyAttributes {
  /** Bits per second, output (and input: ttyConfigure sets both). */
  baudRate: number;
  /** Bits per character. */
  dataBits: 5 | 6 | 7 | 8;
  /** The parity bit. */
  parity: TtyParity;
  /** Stop bits per character. */
  stopBits: 1 | 2;
  /**
   * Raw mode: bytes pass unchanged (no line editing, no echo, no signal
   * characters, no CR/NL translation), as cfmakeraw(3) leaves a tty.
   */
  raw: boolean;
  /** Flow control: 'rtscts' if CRTSCTS is on, else 'xonxoff' if IXON or IXOFF is, else 'none'. */
  flowControl: TtyFlowControl;
}

/** What `ttyConfigure` changes: each setting given; the others are left as they are. */
export type TtyOptions = Partial<TtyAttributes>;

// The bits raw mode clears (cfmakeraw's, but for IXON, which belongs to flowControl).
const RAW_IFLAG = k('IGNBRK') | k('BRKINT') | k('PARMRK') | k('ISTRIP') | k('INLCR') | k('IGNCR') | k('ICRNL');
const RAW_OFLAG = k('OPOST');
const RAW_LFLAG = k('ECHO') | k('ECHONL') | k('ICANON') | k('ISIG') | k('IEXTEN');
// The bits raw: false sets: the line discipline of a fresh tty (the kernel's tty_std_termios).
const COOKED_IFLAG = k('ICRNL');
const COOKED_OFLAG = k('OPOST') | k('ONLCR');
const COOKED_LFLAG = k('ISIG') | k('ICANON') | k('ECHO') | k('ECHOE') | k('ECHOK') | k('ECHOCTL') | k('ECHOKE') | k('IEXTEN');

const SIZES: ReadonlyArray<[bits: 5 | 6 | 7 | 8, flag: number]> = [[5, k('CS5')], [6, k('CS6')], [7, k('CS7')], [8, k('CS8')]];
const PARITY_BITS = k('PARENB') | k('PARODD') | k('CMSPAR');
const PARITIES: Readonly<Record<TtyParity, number>> = {
  none: 0,
  even: k('PARENB'),
  odd: k('PARENB') | k('PARODD'),
  mark: k('PARENB') | k('CMSPAR') | k('PARODD'),
  space: k('PARENB') | k('CMSPAR'),
};
const FLOW_IFLAG = k('IXON') | k('IXOFF') | k('IXANY');
const FLOWS: Readonly<Record<TtyFlowControl, true>> = { none: true, rtscts: true, xonxoff: true };

// The B* speed codes by rate, and back (from the addon's names: 'B115200' -> 115200).
const CODE_OF_RATE = new Map<number, number>();
const RATE_OF_CODE = new Map<number, number>();
for (const [name, code] of Object.entries(t)) {
  const m = /^B(\d+)$/.exec(name);
  if (m) {
    CODE_OF_RATE.set(Number(m[1]), code);
    RATE_OF_CODE.set(code, Number(m[1]));
  }
}
const KEYS: ReadonlySet<string> = new Set(['baudRate', 'dataBits', 'parity', 'stopBits', 'raw', 'flowControl']);

const attrs = new Uint32Array(WORDS);
const pairOut = new Int32Array(2);

/**
 * A pseudo-terminal pair (/dev/ptmx, unlocked, its tty side opened through it):
 * `[controller, tty]`. The tty side is a real terminal with real termios, which
 * `ttyConfigure` sets like a serial port's; what is written to one side is read
 * from the other. Both fds are non-blocking and close-on-exec unless told
 * otherwise, and neither becomes the caller's controlling terminal (O_NOCTTY).
 * The tty starts in the kernel's default (cooked) mode: `ttyConfigure(tty, { raw: true })`
 * passes bytes unchanged. Once every fd of the tty side is closed, reading the
 * controller fails with EIO: that is its end of file (epoll reports EPOLLHUP).
 * @param options `{ nonblock, cloexec }`, both true by default
 * @returns `[controller, tty]`; the tty's path is `fs.readlinkSync('/proc/self/fd/' + tty)`
 * @throws TypeError ERR_INVALID_ARG_TYPE for a bad options object;
 *   SystemError ENOENT (no /dev/ptmx), ENOSPC (the pty limit), EMFILE...
 */
export function openpty(options?: FdOptions): [controller: number, tty: number] {
  const [nonblock, cloexec] = fdFlags(options);
  check(native.ptyOpen((nonblock ? O_NONBLOCK : 0) | (cloexec ? O_CLOEXEC : 0), pairOut), 'openpty');
  return [pairOut[0]!, pairOut[1]!];
}

function getAttr(fd: number): Uint32Array {
  check(native.ttyGetAttr(fd, attrs), 'ioctl');
  return attrs;
}

function decode(a: Uint32Array): TtyAttributes {
  const c = a[CFLAG]!;
  const code = c & k('CBAUD');
  const baudRate = code === k('BOTHER') ? a[OSPEED]! : (RATE_OF_CODE.get(code) ?? a[OSPEED]!);
  const size = c & k('CSIZE');
  const dataBits = SIZES.find(([, f]) => f === size)![0];
  let parity: TtyParity = 'none';
  if (c & k('PARENB')) {
    if (c & k('CMSPAR')) parity = c & k('PARODD') ? 'mark' : 'space';
    else parity = c & k('PARODD') ? 'odd' : 'even';
  }
  const raw = (a[IFLAG]! & RAW_IFLAG) === 0 && (a[OFLAG]! & RAW_OFLAG) === 0 && (a[LFLAG]! & RAW_LFLAG) === 0;
  const flowControl: TtyFlowControl = c & k('CRTSCTS') ? 'rtscts' : a[IFLAG]! & (k('IXON') | k('IXOFF')) ? 'xonxoff' : 'none';
  return { baudRate, dataBits, parity, stopBits: c & k('CSTOPB') ? 2 : 1, raw, flowControl };
}

/**
 * A tty's line settings as the kernel holds them (TCGETS2). On a pty the kernel
 * keeps 8 data bits and no parity whatever was asked (there is no wire), but
 * keeps the baud rate, stop bits and flow control flags.
 * @param fd a tty: a serial port, a pty's tty side (or its controller, which
 *   reports and sets its tty side's settings), a console
 * @returns `{ baudRate, dataBits, parity, stopBits, raw, flowControl }`
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd that is not an FdLike;
 *   RangeError ERR_OUT_OF_RANGE for a negative fd;
 *   SystemError ENOTTY for an fd that is not a tty, EBADF for a closed one
 */
export function ttyAttributes(fd: FdLike): TtyAttributes {
  return decode(getAttr(toFd(fd)));
}

/**
 * Configure a tty in one call (TCGETS2, change, TCSETS2 at once, TCGETS2 again),
 * as a serial port needs it, e.g. `ttyConfigure(fd, { baudRate: 115200, raw: true })`
 * for 115200 8N1 raw. Only the settings given change:
 * - `baudRate`: any rate; one of the B* table (9600, 115200, ...) is set by its
 *   code, any other through BOTHER (the driver picks the nearest it can make:
 *   the result says which). Input and output speed are both set.
 * - `dataBits` 5-8, `parity`, `stopBits` 1 or 2: the character framing.
 * - `raw: true`: bytes pass unchanged, as cfmakeraw(3) (and VMIN 1, VTIME 0);
 *   it also turns XON/XOFF off unless this call asks for `flowControl: 'xonxoff'`.
 *   `raw: false`: the line discipline of a fresh tty (canonical lines, echo,
 *   signal characters, CR/NL translation). The framing is not touched by either.
 * - `flowControl`: 'rtscts' (CRTSCTS), 'xonxoff' (IXON | IXOFF), 'none'.
 * Modem control (CLOCAL, HUPCL) and the receiver (CREAD) are left as they are.
 * @returns the settings as the kernel holds them afterwards, which may differ
 *   from those asked (a pty keeps 8 data bits and no parity; a UART its nearest rate)
 * @throws TypeError ERR_INVALID_ARG_TYPE for an fd or option of the wrong type;
 *   TypeError ERR_INVALID_ARG_VALUE for an unknown parity, flow control or option name;
 *   RangeError ERR_OUT_OF_RANGE for baudRate < 1, dataBits outside 5-8, stopBits
 *   other than 1 or 2 (all before any system call); SystemError ENOTTY (not a tty),
 *   EBADF, EINVAL (a setting the driver refuses)
 */
export function ttyConfigure(fd: FdLike, options: TtyOptions): TtyAttributes {
  const n = toFd(fd);
  if (options === undefined) throw invalidArgType('options', 'of type object', options);
  const o = validateOptions<TtyOptions>(options);
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key)) throw invalidArgValue('options', key, `has an unknown property (known: ${[...KEYS].join(', ')})`);
  }
  const baudRate = o.baudRate === undefined ? undefined : validateInt(o.baudRate, 'options.baudRate', 1, 0x7fffffff);
  const dataBits = o.dataBits === undefined ? undefined : validateInt(o.dataBits, 'options.dataBits', 5, 8);
  const stopBits = o.stopBits === undefined ? undefined : validateInt(o.stopBits, 'options.stopBits', 1, 2);
  const parity = o.parity === undefined ? undefined : named(PARITIES, o.parity, 'options.parity');
  const flow = o.flowControl === undefined ? undefined : (named(FLOWS, o.flowControl, 'options.flowControl'), o.flowControl);
  const raw = o.raw === undefined ? undefined : validateBool(o.raw, 'options.raw', false);

  const a = getAttr(n);
  if (baudRate !== undefined) {
    const code = CODE_OF_RATE.get(baudRate) ?? k('BOTHER');
    a[CFLAG] = (a[CFLAG]! & ~(k('CBAUD') | k('CIBAUD'))) | code;
    a[ISPEED] = a[OSPEED] = baudRate;
  }
  if (dataBits !== undefined) a[CFLAG] = (a[CFLAG]! & ~k('CSIZE')) | SIZES[dataBits - 5]![1];
  if (stopBits !== undefined) a[CFLAG] = stopBits === 2 ? a[CFLAG]! | k('CSTOPB') : a[CFLAG]! & ~k('CSTOPB');
  if (parity !== undefined) {
    a[CFLAG] = (a[CFLAG]! & ~PARITY_BITS) | parity;
    a[IFLAG] = parity ? a[IFLAG]! | k('INPCK') : a[IFLAG]! & ~k('INPCK');
  }
  if (raw === true) {
    a[IFLAG] &= ~(RAW_IFLAG | (flow === 'xonxoff' ? 0 : FLOW_IFLAG));
    a[OFLAG] &= ~RAW_OFLAG;
    a[LFLAG] &= ~RAW_LFLAG;
    a[CC + k('VMIN')] = 1;
    a[CC + k('VTIME')] = 0;
  } else if (raw === false) {
    a[IFLAG] |= COOKED_IFLAG;
    a[OFLAG] |= COOKED_OFLAG;
    a[LFLAG] |= COOKED_LFLAG;
  }
  if (flow !== undefined) {
    a[CFLAG] = flow === 'rtscts' ? a[CFLAG]! | k('CRTSCTS') : a[CFLAG]! & ~k('CRTSCTS');
    a[IFLAG] = (a[IFLAG]! & ~FLOW_IFLAG) | (flow === 'xonxoff' ? k('IXON') | k('IXOFF') : 0);
  }
  check(native.ttySetAttr(n, a), 'ioctl');
  return decode(getAttr(n));
}

/** The value `table` gives the name `value`: a string it knows, else a TypeError. */
function named<T>(table: Readonly<Record<string, T>>, value: unknown, name: string): T {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  const v = lookupName(table, value);
  if (v === undefined) throw invalidArgValue(name, value, `must be one of ${Object.keys(table).map((s) => `'${s}'`).join(', ')}`);
  return v;
}
