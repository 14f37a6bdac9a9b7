/**
 * The native addon, loaded once per thread (node-gyp-build finds a prebuilt
 * binary under prebuilds/ or the one node-gyp built under build/).
 *
 * One typed interface for the whole addon, checked when it loads: a build of
 * the addon that lacks a function or constants table this TypeScript expects
 * (a stale build/, a mismatched IOREADY_NATIVE_PATH) fails here, at load, with
 * the names missing, instead of later as "x is not a function".
 *
 * Every wrapper returns its result, or -errno.
 */
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: two levels above both src/internal (tests) and dist/internal (published). */
export const packageRoot: string = path.join(__dirname, '..', '..');

/** An owned epoll fd and whichever watch runs on it (a native external). */
export interface NativeHandle {
  readonly __brand: 'ioready.handle';
}

type Constants = Readonly<Record<string, number>>;

/** Everything the addon exports. */
export interface Binding {
  // Constants, read from the system headers (native/*.c).
  epollConstants: Constants;
  fdConstants: Constants;
  fdkindConstants: Constants;
  socketConstants: Constants;
  pollConstants: Constants & { FD_SETSIZE: number };
  /** gpio_layout.c: <linux/gpio.h>'s request numbers, flags, sizes and offsets. */
  gpioConstants: Constants;

  // epoll.c
  epollCreate(cloexec: boolean): number;
  epollCtl(epfd: number, op: number, fd: number, events: number): number;
  /** Bind an Int32Array for epollWait to write its (fd, events) pairs into: its slot, or -errno. */
  epollScratch(out: Int32Array): number;
  epollWait(epfd: number, timeoutMs: number, slot: number, maxEvents?: number): number;

  // watch.c: the handle, and its bridge to the event loop (libuv, or the
  // thread of thread_watch.c for Bun and Deno, chosen at handleOpen)
  handleOpen(fd: number, threadMode: boolean): NativeHandle;
  handleClose(h: NativeHandle): number;
  /** Returns the handle's drain() (one more batch into out: n or -errno), or -errno. */
  watchBind(
    h: NativeHandle,
    out: Int32Array,
    ctl: Int32Array,
    callback: (n: number, round: number) => boolean,
  ): (() => number) | number;
  watchStart(h: NativeHandle, rounds: number): number;
  watchStop(h: NativeHandle): number;
  watchRef(h: NativeHandle, ref: boolean): number;

  // fd.c
  pipe2(flags: number, out: Int32Array): number;
  socketpair(domain: number, type: number, protocol: number, out: Int32Array): number;
  // The whole buffer without offset and length (the cheaper form), or that range.
  read(fd: number, buf: ArrayBufferView, offset?: number, length?: number): number;
  write(fd: number, buf: ArrayBufferView, offset?: number, length?: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;

  // fdkinds.c
  eventfd(initval: number, flags: number): number;
  timerfdCreate(clock: number, flags: number): number;
  timerfdSettime(fd: number, flags: number, spec: Float64Array): number;
  timerfdGettime(fd: number, out: Float64Array): number;
  inotifyInit1(flags: number): number;
  inotifyAddWatch(fd: number, path: Buffer, mask: number): number;
  inotifyRmWatch(fd: number, wd: number): number;

  // socket.c
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  accept4(fd: number, flags: number, addrOut: Buffer, lenOut: Int32Array): number;
  getsockname(fd: number, addrOut: Buffer, lenOut: Int32Array): number;
  getpeername(fd: number, addrOut: Buffer, lenOut: Int32Array): number;
  recv(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number): number;
  send(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number): number;
  recvfrom(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number, addrOut: Buffer, lenOut: Int32Array): number;
  sendto(fd: number, buf: ArrayBufferView, off: number, len: number, flags: number, addr: Buffer, addrLen: number): number;
  shutdown(fd: number, how: number): number;
  setsockopt(fd: number, level: number, option: number, values: Int32Array): number;
  getsockopt(fd: number, level: number, option: number, out: Int32Array): number;

  // poll.c
  pollWait(fds: Int32Array, nfds: number, timeoutMs: number, out: Int32Array): number;
  selectWait(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMs: number): number;

  // ioctl.c: a request that encodes its size takes a buffer of exactly that size
  // (a TypeError otherwise, before the call); an _IOC_NONE request takes none.
  ioctl(fd: number, request: number, buf?: ArrayBufferView): number;
}

/** The names the check below looks for, each with the type it must have. */
const SHAPE: Readonly<Record<keyof Binding, 'function' | 'object'>> = {
  epollConstants: 'object', fdConstants: 'object', fdkindConstants: 'object', socketConstants: 'object', pollConstants: 'object', gpioConstants: 'object',
  epollCreate: 'function', epollCtl: 'function', epollScratch: 'function', epollWait: 'function', handleOpen: 'function', handleClose: 'function',
  watchBind: 'function', watchStart: 'function', watchStop: 'function', watchRef: 'function',
  pipe2: 'function', socketpair: 'function', read: 'function', write: 'function', close: 'function', fcntl: 'function',
  eventfd: 'function', timerfdCreate: 'function', timerfdSettime: 'function', timerfdGettime: 'function',
  inotifyInit1: 'function', inotifyAddWatch: 'function', inotifyRmWatch: 'function',
  socket: 'function', bind: 'function', connect: 'function', listen: 'function', accept4: 'function',
  getsockname: 'function', getpeername: 'function', recv: 'function', send: 'function', recvfrom: 'function',
  sendto: 'function', shutdown: 'function', setsockopt: 'function', getsockopt: 'function',
  pollWait: 'function', selectWait: 'function', ioctl: 'function',
};

/** Check that `raw` is the addon this TypeScript was written against. */
function checked(raw: unknown, from: string): Binding {
  const obj = raw as Record<string, unknown>;
  const missing = Object.entries(SHAPE)
    .filter(([name, type]) => typeof obj[name] !== type)
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(`ioready: the native addon at ${from} does not match this version (missing: ${missing.join(', ')}); rebuild it with \`npm run build:native\``);
  }
  // A copy: the addon's exports object has too many properties for V8's fast
  // mode, so every `native.x` would be a dictionary lookup; the copy's are
  // plain fast properties.
  return { ...(raw as Binding) };
}

/**
 * The binding. IOREADY_NATIVE_PATH names another build of the addon (the
 * sanitizer, valgrind and qemu runs use it); otherwise node-gyp-build picks
 * prebuilds/ or build/.
 */
export const native: Binding = process.env.IOREADY_NATIVE_PATH
  ? checked(require(path.resolve(process.env.IOREADY_NATIVE_PATH)), process.env.IOREADY_NATIVE_PATH)
  : checked(load(packageRoot), packageRoot);
