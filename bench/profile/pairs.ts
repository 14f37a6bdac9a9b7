/**
 * N one-byte write+read pairs on a pipe, for callgrind. A warm-up first; then
 * the N pairs run inside one setImmediate callback, so that callgrind
 * --collect-atstart=no --toggle-collect='*CheckImmediate*' (bench/profile.sh)
 * counts exactly them, none of Node's start-up:
 *
 *   node --import tsx bench/profile/pairs.ts api|range|range64|binding|noop N
 *
 * - api:     ioready's read()/write() (what users call)
 * - range, range64: the same with (buf, 0, 1), of a 1-byte and of a 64-byte buffer
 * - binding: the addon's read/write called directly (no TypeScript layer), with a range
 * - binding2: the same, whole buffer (the two-argument form the API uses)
 * - noop:    the addon's fcntl(F_GETFD) wrapper on a bad fd: a Node-API call with
 *            int arguments and a cheap failing syscall (near the floor of one call)
 * The work runs in a function called in chunks, as a listener is, so that it is
 * optimised code that gets measured (not a top-level loop in the interpreter).
 */
import path from 'node:path';
import { ioready } from '../peers/ioready';
import type { Binding } from '../../src/internal/binding';

// The binding from the same build as `ioready` (tsc's output when IOREADY_BENCH_DIST names it, as the bench runs).
const dist = process.env.IOREADY_BENCH_DIST;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { native } = require(dist ? path.join(path.dirname(dist), 'internal', 'binding') : '../../src/internal/binding') as {
  native: Binding;
};

const [mode, count] = [process.argv[2], Number(process.argv[3])];
const [r, w] = ioready.pipe();
const byte = Buffer.from('x');
const { read, write } = ioready;
const F_GETFD = native.fdConstants.F_GETFD!;

function api(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) {
    write(w, byte);
    sink += read(r, byte)!;
  }
  return sink;
}

function binding(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) {
    native.write(w, byte, 0, 1);
    sink += native.read(r, byte, 0, 1);
  }
  return sink;
}

function binding2(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) {
    native.write(w, byte);
    sink += native.read(r, byte);
  }
  return sink;
}

/** ioready's read()/write() with an offset and a length, as users often write them (#18). */
function range(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) {
    write(w, byte, 0, 1);
    sink += read(r, byte, 0, 1)!;
  }
  return sink;
}

/** The same, one byte of a larger buffer: a real range. */
const big = Buffer.alloc(64);
function range64(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) {
    write(w, big, 0, 1);
    sink += read(r, big, 0, 1)!;
  }
  return sink;
}

function noop(k: number): number {
  let sink = 0;
  for (let i = 0; i < k; i++) sink += native.fcntl(-1, F_GETFD, 0);
  return sink;
}

const modes: Record<string, (k: number) => number> = { api, range, range64, binding, binding2, noop };
const run = modes[mode!];
if (run === undefined) throw new Error(`unknown mode ${mode}`);
let sink = 0;
const chunks = (n: number): void => {
  for (let done = 0; done < n; done += 100) sink += run(Math.min(100, n - done));
};
chunks(20_000); // warm-up: optimised by now
setImmediate(() => {
  chunks(count);
  if (sink === 0.5) console.log(sink);
});
