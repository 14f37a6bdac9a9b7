// The `ts vm` block of docs/streams.md (an input device as a stream: a virtual keyboard
// through /dev/uinput), run in the VM as test/docs.test.ts runs the others on the host
// (which type-checks this one): its stdout must be its `text output` block.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { vmBlocks, withDocProgram } from './doc-programs';

const canRun = fs.existsSync('/dev/uinput') && process.getuid?.() === 0 && spawnSync('/usr/bin/python3', ['-c', 'import evdev']).status === 0;
const skip = !canRun && 'needs /dev/uinput, root and python3-evdev (run in the VM: npm run test:gpio)';

describe('docs/streams.md: the input device', { skip }, () => {
  const blocks = vmBlocks('docs/streams.md');
  it('has one such block', () => {
    assert.equal(blocks.length, 1);
  });
  for (const b of blocks) {
    it(`docs/streams.md:${b.line}: prints its text output and exits by itself`, async () => {
      await withDocProgram('input-device.ts', b.code, 60_000, async (p) => {
        const code = await p.exited;
        assert.equal(p.stderr(), '');
        assert.equal(code, 0);
        assert.equal(p.stdout(), b.output);
      });
    });
  }
});
