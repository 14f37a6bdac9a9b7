/**
 * N one-byte write+read pairs on a pipe, for callgrind (bench/profile.sh runs
 * it twice with different N and takes the difference, so start-up cancels):
 *
 *   node --import tsx bench/profile/pairs.ts api|binding|noop N
 *
 * - api:     ioready's read()/write() (what users call)
 * - binding: the addon's read/write called directly (no TypeScript layer)
 * - noop:    the addon's fcntl(F_GETFD) wrapper on a bad fd: a Node-API call with
 *            int arguments and a cheap failing syscall (the floor of one call)
 */
import { ioready } from '../peers/ioready';
import { native } from '../../src/internal/binding';

const [mode, count] = [process.argv[2], Number(process.argv[3])];
const [r, w] = ioready.pipe();
const byte = Buffer.from('x');
let sink = 0;
if (mode === 'api') {
  for (let i = 0; i < count; i++) {
    ioready.write(w, byte);
    sink += ioready.read(r, byte)!;
  }
} else if (mode === 'binding') {
  for (let i = 0; i < count; i++) {
    native.write(w, byte, 0, 1);
    sink += native.read(r, byte, 0, 1);
  }
} else if (mode === 'noop') {
  const F_GETFD = native.fdConstants.F_GETFD!;
  for (let i = 0; i < count; i++) sink += native.fcntl(-1, F_GETFD, 0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
if (sink === 0.5) console.log(sink);
