/**
 * `npm run bench`: every benchmark, one after the other, on the same machine:
 * bench/run.ts (ping-pong and fan-in against every peer) then bench/serve.ts
 * (`ioready serve` against the C, Python and Node servers).
 *
 *   npm run bench                    # both, full
 *   npm run bench -- --quick         # both, smoke-sized
 *   npm run bench -- pipes [opts]    # only bench/run.ts, with its options
 *   npm run bench -- serve [opts]    # only bench/serve.ts, with its options
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const args = process.argv.slice(2);
const only = args[0] === 'pipes' || args[0] === 'serve' ? args.shift() : undefined;
const quick = args.includes('--quick');

function run(script: string, scriptArgs: string[]): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...scriptArgs], { stdio: 'inherit' });
  return r.status ?? 1;
}

let status = 0;
if (only !== 'serve') status ||= run('run.ts', only === 'pipes' ? args : quick ? ['--quick'] : []);
if (only !== 'pipes') status ||= run('serve.ts', only === 'serve' ? args : quick ? ['--quick'] : []);
process.exit(status);
