// A fast run of the property-based fuzzer (test/stress/fuzz-engine.ts): about
// 20,000 random calls across Epoll, Poll, select(), the selectors and the fd
// toolkit, the kernel's interest lists checked after every call. The million-call
// run is `npm run test:stress`. Replay a failure with FUZZ_SEED=<seed printed>.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fuzzSeed, runFuzz, summarize } from './stress/fuzz-engine';

test('fuzz: 20k random calls, library and kernel agree after each', (t) => {
  const seed = fuzzSeed();
  t.diagnostic(`FUZZ_SEED=${seed}`);
  process.stdout.write(`# fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npm test)\n`);
  const stats = runFuzz({ seed, runs: 55, opsPerRun: 1000, path: process.env.FUZZ_PATH });
  t.diagnostic(summarize(stats));
  assert.ok(stats.calls >= 15_000, `enough calls were made (${stats.calls})`);
  // The runs reached the interesting paths, not only argument errors.
  for (const outcome of ['ok', 'arg', 'closed', 'key', 'EBADF', 'ENOENT', 'EEXIST']) {
    assert.ok((stats.outcomes.get(outcome) ?? 0) > 0, `some calls ended with ${outcome}`);
  }
});
