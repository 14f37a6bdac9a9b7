// Chip removal under an open request. A chip removed while a request holds its lines
// stays in kernel 6.1's list for good, its global numbers too, unseen in sysfs (so
// gpiosim's createAtBase would miscount): this file runs last (`z-`: test:gpio runs the
// files in name order, one at a time).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { type EdgeEvent, requestLines } from '../../src/index';
import { failsafe, fdLeakCheck, until } from '../helpers';
import { createChip, simAvailable } from './gpiosim';

const skip = !simAvailable() && 'needs gpio-sim (run in the VM: npm run test:gpio)';
const leakCheckAtEnd = fdLeakCheck();

describe('chip removal under an open request', { skip }, () => {
  it('the iterator ends with ENODEV (no busy loop); reads, values and waits say ENODEV', async () => {
    const sim = createChip({ label: 'ioready-removed', lines: 4 });
    const req = requestLines(sim.path, { lines: { 0: { edge: 'both' }, 1: { direction: 'output' } } });
    const iterated: EdgeEvent[] = [];
    const ended = (async () => {
      for await (const e of req.edgeEvents()) iterated.push(e);
    })();
    sim.setPull(0, 'pull-up');
    await until(() => iterated.length === 1, 'the first edge');
    const cpu0 = process.cpuUsage();
    sim.remove();
    await assert.rejects(ended, { code: 'ENODEV', syscall: 'read' });
    const cpu = process.cpuUsage(cpu0);
    assert.ok(cpu.user + cpu.system < failsafe(2_000_000), `the end cost ${cpu.user + cpu.system} µs of CPU`);
    assert.throws(() => req.readEdgeEvents(), { code: 'ENODEV' });
    assert.throws(() => req.getValue(1), { code: 'ENODEV' });
    assert.throws(() => req.setValue(1, 1), { code: 'ENODEV' });
    assert.equal(req.waitEdgeEvents(failsafe(1000)), true, 'poll reports the hang-up at once');
    await assert.rejects(req.edgeEvents().next(), { code: 'ENODEV' });
    req.release();
    assert.equal(req.closed, true);
  });
});

leakCheckAtEnd();
