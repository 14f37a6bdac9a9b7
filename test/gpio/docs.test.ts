// The `ts vm` blocks of docs/gpio.md (programs that need GPIO chips), run in the VM as
// test/docs.test.ts runs the others on the host (which type-checks these): here against
// a simulated chip labelled and named as a Raspberry Pi 4's header chip, with the button
// pressed through the simulator and the LED read back from it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { failsafe, ROOT, TSX, until } from '../helpers';
import { createChip, simAvailable } from './gpiosim';

const HAS_SIM = simAvailable();
const skip = !HAS_SIM && 'needs gpio-sim (run in the VM: npm run test:gpio)';

/** The `ts vm` blocks of a Markdown file, each with the `text output` block after it. */
function vmBlocks(file: string): Array<{ line: number; code: string; output: string }> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const re = /^```ts vm\n([\s\S]*?)^```\n\s*^```text output\n([\s\S]*?)^```$/gm;
  return [...text.matchAll(re)].map((m) => ({ line: text.slice(0, m.index).split('\n').length, code: m[1]!, output: m[2]! }));
}

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
      fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
      const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'gpio-docs-'));
      try {
        const file = path.join(dir, 'button-led.ts');
        fs.writeFileSync(file, b.code);
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT;
        const child = spawn(process.execPath, [...TSX, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
        const killer = setTimeout(() => child.kill('SIGKILL'), failsafe(120000));
        try {
          await until(() => stdout.includes('press the button') || child.exitCode !== null, 'the program to start', 100000);
          assert.equal(sim.getValue(17), 1, "the request's pull-up holds the button's line high");
          for (let i = 0; i < 3; i++) {
            sim.setPull(17, 'pull-down'); // pressed: to ground
            await until(() => sim.getValue(27) === 1, `the LED on after press ${i + 1}`);
            sim.setPull(17, 'pull-up'); // released
            await until(() => sim.getValue(27) === 0 || child.exitCode !== null, `the LED off after release ${i + 1}`);
          }
          const code = await exited;
          assert.equal(stderr, '');
          assert.equal(code, 0);
          assert.equal(stdout, b.output);
        } finally {
          clearTimeout(killer);
          // Gone before after() removes the chip: a chip removed under an open request
          // keeps its global numbers in kernel 6.1 for good (later files would find them taken).
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
