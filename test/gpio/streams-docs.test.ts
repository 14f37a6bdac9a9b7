// The `ts vm` block of docs/streams.md (an input device as a stream: a virtual keyboard
// through /dev/uinput), run in the VM as test/docs.test.ts runs the others on the host
// (which type-checks this one): its stdout must be its `text output` block.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

import { failsafe, ROOT, TSX } from '../helpers';

const canRun = fs.existsSync('/dev/uinput') && process.getuid?.() === 0 && spawnSync('/usr/bin/python3', ['-c', 'import evdev']).status === 0;
const skip = !canRun && 'needs /dev/uinput, root and python3-evdev (run in the VM: npm run test:gpio)';

function vmBlocks(file: string): Array<{ line: number; code: string; output: string }> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const re = /^```ts vm\n([\s\S]*?)^```\n\s*^```text output\n([\s\S]*?)^```$/gm;
  return [...text.matchAll(re)].map((m) => ({ line: text.slice(0, m.index).split('\n').length, code: m[1]!, output: m[2]! }));
}

describe('docs/streams.md: the input device', { skip }, () => {
  const blocks = vmBlocks('docs/streams.md');
  it('has one such block', () => {
    assert.equal(blocks.length, 1);
  });
  for (const b of blocks) {
    it(`docs/streams.md:${b.line}: prints its text output and exits by itself`, async () => {
      fs.mkdirSync(path.join(ROOT, '.tmp'), { recursive: true });
      const dir = fs.mkdtempSync(path.join(ROOT, '.tmp', 'streams-docs-'));
      try {
        const file = path.join(dir, 'input-device.ts');
        fs.writeFileSync(file, b.code);
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT;
        const child = spawn(process.execPath, [...TSX, file], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        const killer = setTimeout(() => child.kill('SIGKILL'), failsafe(60_000));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        clearTimeout(killer);
        assert.equal(stderr, '');
        assert.equal(code, 0);
        assert.equal(stdout, b.output);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
