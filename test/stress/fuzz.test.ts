// The million-call run of the property-based fuzzer (see fuzz-engine.ts for the
// properties). Prints its seed first; FUZZ_SEED=<seed> replays a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fuzzSeed, runFuzz, summarize } from './fuzz-engine';

const TARGET = Number(process.env.FUZZ_CALLS ?? 1_000_000);

test(`fuzz: >= ${TARGET.toLocaleString('en')} random calls, library and kernel agree after each`, (t) => {
  const seed = fuzzSeed();
  process.stdout.write(`# fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npm run test:stress)\n`);
  const t0 = performance.now();
  let shown = 0;
  // About 400 calls per run on average (lengths 0-1000): enough runs to pass the target.
  const stats = runFuzz({
    seed,
    runs: Math.ceil(TARGET / 330),
    opsPerRun: 1000,
    path: process.env.FUZZ_PATH,
    onRun: (s) => {
      if (s.calls - shown >= 100_000) {
        shown = s.calls;
        process.stdout.write(`# fuzz: ${s.calls} calls, ${Math.round((performance.now() - t0) / 1000)} s\n`);
      }
    },
  });
  const line = `${summarize(stats)}; ${Math.round((performance.now() - t0) / 1000)} s; seed ${seed}`;
  t.diagnostic(line);
  process.stdout.write(`# ${line}\n`);
  assert.ok(stats.calls >= TARGET, `made ${stats.calls} calls, want >= ${TARGET}`);
});
