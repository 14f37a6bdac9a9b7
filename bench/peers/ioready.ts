/**
 * ioready as the JavaScript peers see it: as users run it, tsc's CommonJS
 * output (bench/run.ts compiles src/ into bench/.build/dist and names it in
 * IOREADY_BENCH_DIST), or the TypeScript sources through tsx when run alone
 * or with `--from-src`. (tsx's re-export getters cost about 10% on the hot
 * path, so the sources are not what a user's process runs.)
 */
import type * as Ioready from '../../src/index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ioready = require(process.env.IOREADY_BENCH_DIST ?? '../../src/index') as typeof Ioready;
