// The memory guard of many slow streams: 1,000 idle FIFO streams (flowing, waiting
// for the kernel) in a child process with --expose-gc. Each may cost well under 2 KB
// of heap + external memory (an idle net.Socket costs 4-9 KB), no thread is added,
// a byte written to each now and then arrives, and idle they use no CPU.
import assert from 'node:assert/strict';
import { it } from 'node:test';

import { runNode } from './helpers';

/** The bound asserted: 2 KB less a margin, so that creeping memory fails here first. */
const BYTES_PER_STREAM_BOUND = 1536;

it('1,000 idle FIFO streams: bytes per stream under the bound, threads unchanged, every byte delivered', async () => {
  const r = await runNode(['bench/streams/idle.ts', '1000', 'ioready', '3'], { nodeArgs: ['--expose-gc'], timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout) as { bytesPerStream: number; threads: number[]; received: number; expected: number; idleCpuMs: number };
  assert.ok(m.bytesPerStream > 0 && m.bytesPerStream < BYTES_PER_STREAM_BOUND, `${m.bytesPerStream} bytes per idle stream (bound ${BYTES_PER_STREAM_BOUND})`);
  assert.equal(m.threads[1], m.threads[0], `threads ${m.threads.join(' -> ')}: no thread per stream`);
  assert.equal(m.threads[2], m.threads[0], `threads ${m.threads.join(' -> ')}`);
  assert.equal(m.received, m.expected);
  assert.ok(m.idleCpuMs < 50, `${m.idleCpuMs} ms CPU in 200 ms idle`);
});
