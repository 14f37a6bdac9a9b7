// Line requests on gpio-sim (in the VM): inputs and bias, outputs read back through the
// simulator, active-low, drive, reconfigure, edge events (seqno, lineSeqno, debounce,
// overflow), the three ways to wait, EBUSY/EINVAL/ENOENT and every misuse. Chip removal
// under an open request: z-removal.test.ts, the last file.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Epoll, EPOLLIN, type EdgeEvent, LineRequest, openChip, requestLines } from '../../src/index';
import { elapsedMs, failsafe, fdLeakCheck, until } from '../helpers';
import { createChip, simAvailable } from './gpiosim';

const HAS_SIM = simAvailable();
const skip = !HAS_SIM && 'needs gpio-sim (run in the VM: npm run test:gpio)';
const leakCheckAtEnd = fdLeakCheck();

/** Wait (blocking, with a failsafe) for n edge events. */
function takeEvents(req: LineRequest, n: number): EdgeEvent[] {
  const out: EdgeEvent[] = [];
  while (out.length < n) {
    assert.equal(req.waitEdgeEvents(failsafe(5000)), true, `waiting for event ${out.length + 1} of ${n}`);
    out.push(...(req.readEdgeEvents() ?? []));
  }
  return out;
}

describe('line requests', { skip }, () => {
  const sim = HAS_SIM ? createChip({ label: 'ioready-req', lines: 40, names: { 2: 'BUTTON', 3: 'LED', 39: 'LAST' } }) : null!;
  const other = HAS_SIM ? createChip({ label: 'ioready-req-2', lines: 4 }) : null!;
  after(() => {
    sim?.remove();
    other?.remove();
  });

  it('an input with a bias: the request overwrites the simulated pull', () => {
    sim.setPull(0, 'pull-down');
    using req = requestLines(sim.path, { consumer: 'bias-test', lines: { 0: { direction: 'input', bias: 'pull-up' } } });
    assert.deepEqual([...req.offsets], [0]);
    assert.equal(req.chip, sim.path);
    assert.equal(req.getValue(0), 1);
    assert.equal(sim.getValue(0), 1);
    sim.setPull(0, 'pull-down');
    assert.equal(req.getValue('0'), 0);
    using chip = openChip(sim.path);
    const info = chip.lineInfo(0);
    assert.deepEqual([info.consumer, info.used, info.direction, info.bias], ['bias-test', true, 'input', 'pull-up']);
    req.reconfigureLines({ 0: { direction: 'input', bias: 'pull-down' } });
    assert.equal(chip.lineInfo(0).bias, 'pull-down');
    assert.equal(req.getValue(0), 0);
  });

  it('outputs: the initial value, setValue(s), read back through the simulator; by name and offset', () => {
    using req = requestLines(sim.path, { lines: new Map<number | string, object>([['LED', { direction: 'output', value: 1 }], [4, { direction: 'output' }], [39, { direction: 'output', value: 1 }]]) });
    assert.deepEqual([...req.offsets], [3, 4, 39]);
    assert.deepEqual([sim.getValue(3), sim.getValue(4), sim.getValue(39)], [1, 0, 1]);
    assert.deepEqual(req.getValues(), [1, 0, 1]);
    req.setValue('LED', 0);
    req.setValue(4, 1);
    assert.deepEqual([sim.getValue(3), sim.getValue(4), sim.getValue(39)], [0, 1, 1]);
    req.setValues({ LAST: 0, 3: 1 });
    assert.deepEqual([sim.getValue(3), sim.getValue(4), sim.getValue(39)], [1, 1, 0], 'line 39: bit 2 of the request, the u64 mask works');
    req.setValues(new Map([[39, 1]]));
    assert.equal(sim.getValue(39), 1);
    assert.deepEqual(req.getValues(['LAST', 3]), [1, 1]);
    assert.equal(req.getValue('LAST'), 1);
    req.setValues({});
  });

  it('a request of 40 lines: values of lines past bit 31 of the masks', () => {
    const lines = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), { direction: 'output' as const, value: (i % 3 === 0 ? 1 : 0) as 0 | 1 }]));
    using req = requestLines(sim.path, { lines });
    const expected = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    assert.deepEqual(Array.from({ length: 40 }, (_, i) => sim.getValue(i)), expected);
    assert.deepEqual(req.getValues(), expected);
    req.setValue(38, 1);
    req.setValue(39, 0);
    assert.deepEqual([sim.getValue(38), sim.getValue(39), sim.getValue(37)], [1, 0, 0]);
    assert.equal(req.getValue(38), 1);
  });

  it('active-low: logical values, inverted on the pin, for inputs and outputs', () => {
    sim.setPull(5, 'pull-down');
    using req = requestLines(sim.path, { lines: { 5: { direction: 'input', activeLow: true }, 6: { direction: 'output', activeLow: true, value: 1 } } });
    assert.equal(req.getValue(5), 1, 'pin low: logical 1');
    sim.setPull(5, 'pull-up');
    assert.equal(req.getValue(5), 0);
    assert.equal(sim.getValue(6), 0, 'logical 1 drives the pin low');
    req.setValue(6, 0);
    assert.equal(sim.getValue(6), 1);
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(5).activeLow, true);
  });

  it('drive: open-drain and open-source show in line info', () => {
    using req = requestLines(sim.path, { lines: { 7: { direction: 'output', drive: 'open-drain' }, 8: { direction: 'output', drive: 'open-source' }, 9: { direction: 'output' } } });
    using chip = openChip(sim.path);
    assert.deepEqual([7, 8, 9].map((o) => chip.lineInfo(o).drive), ['open-drain', 'open-source', 'push-pull']);
    req.reconfigureLines({ 7: { direction: 'output', drive: 'push-pull' } });
    assert.equal(chip.lineInfo(7).drive, 'push-pull');
    assert.equal(chip.lineInfo(8).drive, 'open-source', 'a line not named keeps its settings');
  });

  it('reconfigure: input to output and back; outputs not named keep their values', () => {
    sim.setPull(10, 'pull-down');
    using req = requestLines(sim.path, { lines: { 10: { direction: 'input' }, 11: { direction: 'output', value: 1 } } });
    req.reconfigureLines({ 10: { direction: 'output', value: 1 } });
    assert.deepEqual([sim.getValue(10), sim.getValue(11)], [1, 1]);
    req.setValue(11, 0);
    req.reconfigureLines({ 10: { direction: 'output', activeLow: true } });
    assert.deepEqual([sim.getValue(10), sim.getValue(11)], [0, 0], 'line 10 keeps logical 1 (now the pin low); line 11 keeps 0');
    assert.equal(req.getValue(10), 1);
    req.reconfigureLines({ 10: { direction: 'input', bias: 'pull-up' } });
    assert.equal(req.getValue(10), 1);
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(10).direction, 'input');
    assert.throws(() => req.setValue(10, 1), { code: 'EPERM' }, 'an input cannot be set');
    assert.throws(() => req.reconfigureLines({ 12: { direction: 'input' } }), { code: 'ERR_INVALID_ARG_VALUE', message: /not a line of this request/ });
    assert.throws(() => req.reconfigureLines({ 10: { edge: 'both', direction: 'output' } }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => req.reconfigureLines({}), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  it('more than 10 attributes: a RangeError, nothing requested', () => {
    const lines = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(12 + i), { direction: 'input' as const, debounceUs: 1000 * (i + 1) }]));
    assert.throws(() => requestLines(sim.path, { lines }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', message: /at most 10 attributes/ });
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(12).used, false);
    // Ten are fine: each line its own debounce period.
    delete lines['22'];
    using req = requestLines(sim.path, { lines });
    assert.deepEqual([12, 16, 21].map((o) => chip.lineInfo(o).debounceUs), [1000, 5000, 10000]);
  });

  it('EBUSY: a line another request holds (this process or another chip object)', () => {
    using first = requestLines(sim.path, { consumer: 'first', lines: { 13: { direction: 'input' } } });
    assert.throws(() => requestLines(sim.path, { lines: { 13: { direction: 'input' } } }), { code: 'EBUSY', syscall: 'ioctl' });
    assert.throws(() => requestLines('ioready-req', { lines: { 14: {}, 13: {} } }), { code: 'EBUSY' });
    assert.equal(first.getValue(13), first.getValue(13));
    first.release();
    using again = requestLines(sim.path, { lines: { 13: { direction: 'input' }, 14: {} } });
    assert.deepEqual([...again.offsets], [13, 14]);
  });

  it('misuse: the same line twice, unknown names (ENOENT), lines outside the request', () => {
    assert.throws(() => requestLines(sim.path, { lines: { 2: {}, BUTTON: {} } }), { code: 'ERR_INVALID_ARG_VALUE', message: /names line 2 twice/ });
    assert.throws(() => requestLines(sim.path, { lines: { NO_SUCH: {} } }), { code: 'ENOENT', message: /no line named 'NO_SUCH'/ });
    using req = requestLines(sim.path, { lines: { BUTTON: { direction: 'input' } } });
    assert.throws(() => req.getValue(3), { code: 'ERR_INVALID_ARG_VALUE', message: /not a line of this request/ });
    assert.throws(() => req.getValue('LED'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => req.getValue(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => req.getValue({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => req.getValues('BUTTON' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => req.setValue(2, 2 as never), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => req.setValue(2, true as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => req.setValues([1] as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => req.readEdgeEvents(0), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => req.waitEdgeEvents(NaN), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => req.edgeEvents({ signal: 'x' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(req.getValue('BUTTON'), req.getValue(2));
  });

  it('a released request: ERR_IOREADY_CLOSED everywhere but release()/close(); the line is free', () => {
    const req = requestLines(sim.path, { lines: { 15: { direction: 'output' } } });
    const fd = req.fd;
    req.release();
    req.close();
    assert.equal(req.fd, -1);
    assert.equal(req.closed, true);
    const closed = { code: 'ERR_IOREADY_CLOSED' };
    assert.throws(() => req.getValue(15), closed);
    assert.throws(() => req.getValues(), closed);
    assert.throws(() => req.setValue(15, 1), closed);
    assert.throws(() => req.setValues({ 15: 1 }), closed);
    assert.throws(() => req.reconfigureLines({ 15: {} }), closed);
    assert.throws(() => req.readEdgeEvents(), closed);
    assert.throws(() => req.waitEdgeEvents(0), closed);
    assert.throws(() => req.edgeEvents(), closed);
    assert.ok(fd >= 0);
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(15).used, false);
  });

  it('edges: rising, falling, both, with seqno across lines and lineSeqno per line', () => {
    sim.setPull(16, 'pull-down');
    sim.setPull(17, 'pull-up');
    sim.setPull(18, 'pull-down');
    using req = requestLines(sim.path, { lines: { 16: { edge: 'rising' }, 17: { edge: 'falling' }, 18: { edge: 'both' } } });
    assert.equal(req.readEdgeEvents(), null, 'nothing yet');
    sim.setPull(16, 'pull-up'); // rising: reported
    sim.setPull(16, 'pull-down'); // falling: not asked for
    sim.setPull(17, 'pull-down'); // falling: reported
    sim.setPull(18, 'pull-up');
    sim.setPull(18, 'pull-down');
    sim.setPull(16, 'pull-up');
    const events = takeEvents(req, 5);
    assert.deepEqual(events.map((e) => [e.type, e.offset, e.seqno, e.lineSeqno]), [
      ['rising', 16, 1, 1],
      ['falling', 17, 2, 1],
      ['rising', 18, 3, 1],
      ['falling', 18, 4, 2],
      ['rising', 16, 5, 2],
    ]);
    const now = process.hrtime.bigint();
    for (let i = 1; i < events.length; i++) assert.ok(events[i]!.timestampNs >= events[i - 1]!.timestampNs);
    assert.ok(events[4]!.timestampNs <= now && now - events[0]!.timestampNs < BigInt(failsafe(30000)) * 1_000_000n, 'CLOCK_MONOTONIC, as process.hrtime');
    assert.equal(req.lostEvents, 0);
    // Pulling a line to the value it has makes no event.
    sim.setPull(16, 'pull-up');
    assert.equal(req.waitEdgeEvents(50), false);
  });

  it("active-low edges are logical: a button to ground pressed is 'rising'", () => {
    sim.setPull(19, 'pull-up');
    using req = requestLines(sim.path, { lines: { 19: { edge: 'both', bias: 'pull-up', activeLow: true } } });
    sim.setPull(19, 'pull-down');
    sim.setPull(19, 'pull-up');
    assert.deepEqual(takeEvents(req, 2).map((e) => e.type), ['rising', 'falling']);
  });

  it('realtime event clock: timestamps in ns since the epoch', () => {
    sim.setPull(20, 'pull-down');
    using req = requestLines(sim.path, { lines: { 20: { edge: 'rising', eventClock: 'realtime' } } });
    sim.setPull(20, 'pull-up');
    const [e] = takeEvents(req, 1);
    const ms = Number(e!.timestampNs / 1_000_000n);
    assert.ok(Math.abs(ms - Date.now()) < failsafe(30000), `${ms} is near ${Date.now()}`);
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(20).eventClock, 'realtime');
  });

  it('debounce: line info reports it; a burst shorter than the period is one event, after it', () => {
    sim.setPull(21, 'pull-down');
    using req = requestLines(sim.path, { lines: { 21: { edge: 'both', debounceUs: 20000 } } });
    using chip = openChip(sim.path);
    assert.equal(chip.lineInfo(21).debounceUs, 20000);
    // A bounce: four changes within far less than 20 ms, settling high.
    sim.setPull(21, 'pull-up');
    sim.setPull(21, 'pull-down');
    sim.setPull(21, 'pull-up');
    const events = takeEvents(req, 1);
    assert.deepEqual(events.map((e) => [e.type, e.seqno]), [['rising', 1]]);
    assert.equal(req.waitEdgeEvents(60), false, 'no more after the settled one');
    req.reconfigureLines({ 21: { edge: 'both', debounceUs: 0 } });
    assert.equal(chip.lineInfo(21).debounceUs, 0);
  });

  it('overflow: eventBufferSize 2, ten edges: the newest two stay; seqno jumps; lostEvents counts', () => {
    sim.setPull(22, 'pull-down');
    using req = requestLines(sim.path, { eventBufferSize: 2, lines: { 22: { edge: 'both' } } });
    for (let i = 0; i < 5; i++) {
      sim.setPull(22, 'pull-up');
      sim.setPull(22, 'pull-down');
    }
    const events = req.readEdgeEvents()!;
    assert.deepEqual(events.map((e) => [e.seqno, e.lineSeqno, e.type]), [[9, 9, 'rising'], [10, 10, 'falling']]);
    assert.equal(req.lostEvents, 8);
    sim.setPull(22, 'pull-up');
    assert.deepEqual(takeEvents(req, 1).map((e) => e.seqno), [11]);
    assert.equal(req.lostEvents, 8, 'no gap: no new loss');
    // readEdgeEvents(maxEvents) takes fewer; the rest stays pending.
    sim.setPull(22, 'pull-down');
    sim.setPull(22, 'pull-up');
    assert.deepEqual(req.readEdgeEvents(1)!.map((e) => e.seqno), [12]);
    assert.deepEqual(req.readEdgeEvents(1)!.map((e) => e.seqno), [13]);
    assert.equal(req.readEdgeEvents(1), null);
  });

  it('waitEdgeEvents: false after the timeout, true at once when events are pending', () => {
    using req = requestLines(sim.path, { lines: { 23: { edge: 'both' } } });
    const [r, ms] = elapsedMs(() => req.waitEdgeEvents(100));
    assert.equal(r, false);
    assert.ok(ms >= 99, `waited ${ms} ms`);
    assert.equal(req.waitEdgeEvents(0), false);
    assert.equal(req.waitEdgeEvents(0.1), false, 'a fraction rounds up');
    sim.setPull(23, 'pull-up');
    assert.equal(req.waitEdgeEvents(), true);
    assert.equal(req.readEdgeEvents()!.length, 1);
  });

  it('edgeEvents(): on the event loop; ends at release(); AbortSignal ends it with an AbortError', async () => {
    sim.setPull(24, 'pull-down');
    const req = requestLines(sim.path, { lines: { 24: { edge: 'both' } } });
    const got: string[] = [];
    const done = (async () => {
      for await (const e of req.edgeEvents()) {
        got.push(`${e.type}:${e.seqno}`);
        if (got.length === 3) setImmediate(() => req.release());
      }
    })();
    setImmediate(() => {
      sim.setPull(24, 'pull-up');
      setTimeout(() => {
        sim.setPull(24, 'pull-down');
        sim.setPull(24, 'pull-up');
      }, 20);
    });
    await done;
    assert.deepEqual(got, ['rising:1', 'falling:2', 'rising:3']);
    assert.equal(req.closed, true);

    using req2 = requestLines(sim.path, { lines: { 24: { edge: 'both' } } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(async () => {
      for await (const e of req2.edgeEvents({ signal: ac.signal })) assert.fail(`no event expected, got ${e.type}`);
    }, { name: 'AbortError', code: 'ABORT_ERR' });
    // An aborted signal: at once, even with events pending.
    sim.setPull(24, 'pull-down');
    await until(() => req2.waitEdgeEvents(0), 'an event pending');
    await assert.rejects(req2.edgeEvents({ signal: AbortSignal.abort() }).next(), { name: 'AbortError' });
    assert.equal(req2.readEdgeEvents()!.length, 1, 'the event is still there');
  });

  it("the request's fd in the user's own Epoll: non-blocking, readable when events are pending", async () => {
    sim.setPull(25, 'pull-down');
    using req = requestLines(sim.path, { lines: { 25: { edge: 'rising' } } });
    using ep = new Epoll();
    ep.register(req.fd, EPOLLIN);
    assert.deepEqual(ep.poll(0), []);
    const ready = ep.wait(failsafe(5000));
    sim.setPull(25, 'pull-up');
    assert.deepEqual(await ready, [[req.fd, EPOLLIN]]);
    assert.equal(req.readEdgeEvents()!.length, 1);
    assert.deepEqual(ep.poll(0), []);
    ep.unregister(req.fd);
  });

  it('requestLines through a Chip object, and a chip given by label', () => {
    using chip = openChip('ioready-req-2');
    using a = chip.requestLines({ lines: { 0: { direction: 'output', value: 1 } } });
    using b = requestLines(chip, { lines: { 1: { direction: 'output', value: 1 } } });
    using c = requestLines('ioready-req-2', { lines: { 2: { direction: 'output', value: 1 } } });
    assert.deepEqual([other.getValue(0), other.getValue(1), other.getValue(2)], [1, 1, 1]);
    assert.deepEqual([a.chip, b.chip, c.chip], [other.path, other.path, other.path]);
  });
});

leakCheckAtEnd();
