/**
 * The native addon, loaded once per thread (node-gyp-build finds a prebuilt
 * binary under prebuilds/ or the one node-gyp built under build/).
 *
 * Each concept module declares the slice of the binding it uses; the core
 * slice is typed here. Every wrapper returns its result, or -errno.
 */
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: one level above both src/ (tests) and dist/ (published). */
export const packageRoot: string = path.join(__dirname, '..');

/**
 * The raw binding: concept modules cast it to their own interface.
 * IOREADY_NATIVE_PATH names another build of the addon (the sanitizer and
 * valgrind runs use it); otherwise node-gyp-build picks prebuilds/ or build/.
 */
export const raw: unknown = process.env.IOREADY_NATIVE_PATH
  ? require(path.resolve(process.env.IOREADY_NATIVE_PATH))
  : load(packageRoot);

/** An owned epoll fd (a native external). */
export interface NativeHandle {
  readonly __brand: 'ioready.handle';
}

export interface CoreBinding {
  epollConstants: Record<string, number>;
  fdConstants: Record<string, number>;
  epollCreate(cloexec: boolean): number;
  epollCtl(epfd: number, op: number, fd: number, events: number): number;
  epollWait(epfd: number, timeoutMs: number, maxEvents: number, out: Int32Array): number;
  handleOpen(fd: number): NativeHandle;
  handleClose(h: NativeHandle): number;
  watchStart(h: NativeHandle, out: Int32Array, callback: (n: number) => void, rounds: number): number;
  watchStop(h: NativeHandle): number;
  watchRef(h: NativeHandle, ref: boolean): number;
  pipe2(flags: number, out: Int32Array): number;
  socketpair(domain: number, type: number, protocol: number, out: Int32Array): number;
  read(fd: number, buf: ArrayBufferView, offset: number, length: number): number;
  write(fd: number, buf: ArrayBufferView, offset: number, length: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
}

export const native = raw as CoreBinding;
