// `ioready serve --workers N` with the way of sharing the port it does not
// take: one listener in every worker's Epoll with EPOLLEXCLUSIVE instead of a
// SO_REUSEPORT listener per worker (see src/cli/serve/serve.ts). No option of
// the product picks it; bench/serve.ts runs it through this file to measure it.
//
//   node bench/serve/ioready-exclusive.js <path to cli/serve/serve.js> [serve options]
//
// (the tests pass src/cli/serve/serve.ts, under node --import tsx).
'use strict';
const path = require('node:path');

const [servePath, ...args] = process.argv.slice(2);
if (servePath === undefined) {
  process.stderr.write('usage: node bench/serve/ioready-exclusive.js <path to cli/serve/serve.js> [serve options]\n');
  process.exit(2);
}
const { serve } = require(path.resolve(servePath));
serve(args, 'exclusive').then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ioready serve (EPOLLEXCLUSIVE): ${err && err.message ? err.message : String(err)}\n`);
    process.exit(err && typeof err.exitCode === 'number' ? err.exitCode : 1);
  },
);
