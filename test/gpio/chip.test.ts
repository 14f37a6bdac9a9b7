// GPIO chips on gpio-sim (in the VM): listing, info, labels, line info by offset and by
// name, findLine across chips, line-info watch events, misuse, fd leaks.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Chip, findLine, gpioChips, openChip, requestLines } from '../../src/index';
import { fdLeakCheck } from '../helpers';
import { createChip, simAvailable } from './gpiosim';

const HAS_SIM = simAvailable();
const skip = !HAS_SIM && 'needs gpio-sim (run in the VM: npm run test:gpio)';
const leakCheckAtEnd = fdLeakCheck();

describe('GPIO chips', { skip }, () => {
  const a = HAS_SIM ? createChip({ label: 'ioready-chip-a', lines: 8, names: { 0: 'A0', 3: 'SHARED', 5: 'LED_A' } }) : null!;
  const b = HAS_SIM ? createChip({ label: 'ioready-chip-b', lines: 4, names: { 1: 'SHARED', 2: 'ONLY_B' } }) : null!;
  after(() => {
    a?.remove();
    b?.remove();
  });

  it('gpioChips() lists both, by number, with name, label and lines', () => {
    const chips = gpioChips();
    const mine = chips.filter((c) => c.path === a.path || c.path === b.path);
    assert.deepEqual(mine, [
      { path: a.path, name: a.name, label: 'ioready-chip-a', lines: 8 },
      { path: b.path, name: b.name, label: 'ioready-chip-b', lines: 4 },
    ].sort((x, y) => Number(x.name.slice(8)) - Number(y.name.slice(8))));
    const numbers = chips.map((c) => Number(c.name.slice(8)));
    assert.deepEqual(numbers, [...numbers].sort((x, y) => x - y));
  });

  it('openChip by path, by name and by label; info()', () => {
    for (const how of [a.path, a.name, 'ioready-chip-a']) {
      const chip = openChip(how);
      try {
        assert.ok(chip instanceof Chip);
        assert.equal(chip.path, a.path);
        assert.ok(chip.fd >= 0);
        assert.deepEqual(chip.info(), { path: a.path, name: a.name, label: 'ioready-chip-a', lines: 8 });
      } finally {
        chip.close();
      }
    }
    assert.throws(() => openChip('no-such-label'), { code: 'ENOENT' });
  });

  it('lineInfo by offset (number or digits) and by name; lineOffset', () => {
    using chip = openChip(a.path);
    const free = { consumer: '', used: false, direction: 'input', activeLow: false, debounceUs: 0, bias: 'as-is', drive: 'push-pull', edge: 'none', eventClock: 'monotonic' };
    assert.deepEqual(chip.lineInfo(5), { offset: 5, name: 'LED_A', ...free });
    assert.deepEqual(chip.lineInfo('5'), chip.lineInfo('LED_A'));
    assert.deepEqual(chip.lineInfo(1), { offset: 1, name: '', ...free });
    assert.equal(chip.lineOffset('SHARED'), 3);
    assert.equal(chip.lineOffset('A0'), 0);
    assert.equal(chip.lineOffset('7'), 7);
    assert.throws(() => chip.lineOffset('ONLY_B'), { code: 'ENOENT', message: /no line named 'ONLY_B' on .*ioready-chip-a/ });
    assert.throws(() => chip.lineInfo('NOPE'), { code: 'ENOENT' });
  });

  it('EINVAL: an offset beyond the chip, for lineInfo and requestLines', () => {
    using chip = openChip(b.path);
    assert.throws(() => chip.lineInfo(4), { code: 'EINVAL', syscall: 'ioctl' });
    assert.throws(() => chip.lineInfo(2 ** 32 - 1), { code: 'EINVAL' });
    assert.throws(() => chip.requestLines({ lines: { 4: { direction: 'input' } } }), { code: 'EINVAL' });
    assert.throws(() => requestLines(b.path, { lines: { 0: {}, 9: {} } }), { code: 'EINVAL' });
    assert.throws(() => chip.lineInfo(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => chip.lineInfo(1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => chip.lineInfo(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('findLine: the first chip (by number) with the name, across chips', () => {
    const first = Number(a.name.slice(8)) < Number(b.name.slice(8)) ? a : b;
    assert.deepEqual(findLine('SHARED'), { chip: first.path, offset: first === a ? 3 : 1 });
    assert.deepEqual(findLine('ONLY_B'), { chip: b.path, offset: 2 });
    assert.deepEqual(findLine('LED_A'), { chip: a.path, offset: 5 });
    assert.equal(findLine('NO_SUCH_LINE'), null);
  });

  it('line-info watch: requested, reconfigured, released by another request', async () => {
    using chip = openChip(a.path);
    assert.equal(chip.readInfoEvents(), null, 'nothing pending: null');
    const now = chip.watchLineInfo('LED_A');
    assert.equal(now.used, false);
    assert.throws(() => chip.watchLineInfo(5), { code: 'EBUSY' }, 'watching twice');
    const other = requestLines(a.path, { consumer: 'someone-else', lines: { LED_A: { direction: 'output', value: 1 } } });
    assert.equal(chip.waitInfoEvents(5000), true);
    other.reconfigureLines({ 5: { direction: 'output', drive: 'open-drain' } });
    other.release();
    const events = [];
    while (events.length < 3) {
      assert.equal(chip.waitInfoEvents(5000), true);
      events.push(...(chip.readInfoEvents() ?? []));
    }
    assert.deepEqual(events.map((e) => [e.type, e.info.offset, e.info.consumer, e.info.used, e.info.drive]), [
      ['requested', 5, 'someone-else', true, 'push-pull'],
      ['reconfigured', 5, 'someone-else', true, 'open-drain'],
      ['released', 5, '', false, 'push-pull'],
    ]);
    assert.ok(events.every((e) => typeof e.timestampNs === 'bigint' && e.timestampNs > 0n));
    assert.ok(events[0]!.timestampNs <= events[2]!.timestampNs);
    // A line not watched: nothing.
    requestLines(a.path, { lines: { 0: { direction: 'input' } } }).release();
    assert.equal(chip.waitInfoEvents(50), false);
    chip.unwatchLineInfo('LED_A');
    assert.throws(() => chip.unwatchLineInfo(5), { code: 'EBUSY' }, 'not watched any more');
    requestLines(a.path, { lines: { 5: { direction: 'input' } } }).release();
    assert.equal(chip.readInfoEvents(), null);
  });

  it('infoEvents(): on the event loop, ends when the chip closes', async () => {
    const chip = openChip(a.path);
    chip.watchLineInfo(2);
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of chip.infoEvents()) {
        seen.push(e.type);
        if (seen.length === 2) setImmediate(() => chip.close());
      }
    })();
    const req = requestLines(a.path, { lines: { 2: { direction: 'input' } } });
    req.release();
    await done;
    assert.deepEqual(seen, ['requested', 'released']);
    assert.equal(chip.closed, true);
  });

  it('a closed chip: ERR_IOREADY_CLOSED everywhere but close()', () => {
    const chip = openChip(a.path);
    chip.close();
    chip.close();
    assert.equal(chip.fd, -1);
    assert.equal(chip.closed, true);
    const closed = { code: 'ERR_IOREADY_CLOSED' };
    assert.throws(() => chip.info(), closed);
    assert.throws(() => chip.lineInfo(0), closed);
    assert.throws(() => chip.lineOffset('A0'), closed);
    assert.throws(() => chip.watchLineInfo(0), closed);
    assert.throws(() => chip.unwatchLineInfo(0), closed);
    assert.throws(() => chip.readInfoEvents(), closed);
    assert.throws(() => chip.waitInfoEvents(0), closed);
    assert.throws(() => chip.infoEvents(), closed);
    assert.throws(() => chip.requestLines({ lines: { 0: {} } }), closed);
    assert.throws(() => requestLines(chip, { lines: { 0: {} } }), closed);
  });

  it('a request outlives the chip object it was made through', () => {
    const chip = openChip(a.path);
    const req = chip.requestLines({ lines: { 6: { direction: 'output', value: 1 } } });
    chip.close();
    try {
      assert.equal(req.getValue(6), 1);
      req.setValue(6, 0);
      assert.equal(a.getValue(6), 0);
    } finally {
      req.release();
    }
  });
});

leakCheckAtEnd();
