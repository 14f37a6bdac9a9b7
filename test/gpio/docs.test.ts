// The `ts vm` blocks of docs/gpio.md (programs that need GPIO chips), run in the VM as
// test/docs.test.ts runs the others on the host (which type-checks these): here against
// a simulated chip labelled and named as a Raspberry Pi 4's header chip, with the button
// pressed through the simulator and the LED read back from it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { until } from '../helpers';
import { vmBlocks, withDocProgram } from './doc-programs';
import { createChip, simAvailable } from './gpiosim';

const HAS_SIM = simAvailable();
const skip = !HAS_SIM && 'needs gpio-sim (run in the VM: npm run test:gpio)';

describe('docs/gpio.md: the button and the LED', { skip }, () => {
  const blocks = vmBlocks('docs/gpio.md');
  // A Pi 4's header chip: 58 lines, GPIO0..GPIO27 at offsets 0..27.
  const names = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [i, `GPIO${i}`]));
  const sim = HAS_SIM ? createChip({ label: 'pinctrl-bcm2711', lines: 58, names }) : null!;
  after(() => sim?.remove());

  it('has one such block', () => {
    assert.equal(blocks.length, 1);
  });

  for (const b of blocks) {
    it(`docs/gpio.md:${b.line}: three presses light the LED three times, then it exits`, async () => {
      // The program is gone before after() removes the chip (withDocProgram waits for its
      // exit): a chip removed under an open request keeps its global numbers in kernel 6.1
      // for good (later files would find them taken).
      await withDocProgram('button-led.ts', b.code, 120_000, async (p) => {
        await until(() => p.stdout().includes('press the button') || p.child.exitCode !== null, 'the program to start', 100000);
        assert.equal(sim.getValue(17), 1, "the request's pull-up holds the button's line high");
        for (let i = 0; i < 3; i++) {
          sim.setPull(17, 'pull-down'); // pressed: to ground
          await until(() => sim.getValue(27) === 1, `the LED on after press ${i + 1}`);
          sim.setPull(17, 'pull-up'); // released
          await until(() => sim.getValue(27) === 0 || p.child.exitCode !== null, `the LED off after release ${i + 1}`);
        }
        const code = await p.exited;
        assert.equal(p.stderr(), '');
        assert.equal(code, 0);
        assert.equal(p.stdout(), b.output);
      });
    });
  }
});
