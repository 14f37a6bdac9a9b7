// scripts/vm-run.sh from the outside (on the host: `npm run test:vm`): CMD's stdout and
// stderr exactly, its exit status, the working directory and the environment, several
// runs at once, the failsafe timeout. Each test boots the VM (seconds each).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { failsafe, ROOT } from '../helpers';

const VM_RUN = path.join(ROOT, 'scripts', 'vm-run.sh');

interface Result {
  status: number | null;
  stdout: Buffer;
  stderr: string;
  ms: number;
}

/** Runs vm-run.sh with pipes (Node's: socket pairs) for stdout and stderr. */
function vmRun(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const t0 = Date.now();
  const child = spawn('bash', [VM_RUN, ...args], { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const kill = setTimeout(() => child.kill('SIGKILL'), failsafe(300_000));
  return new Promise((resolve) => {
    child.on('close', (status) => {
      clearTimeout(kill);
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), ms: Date.now() - t0 });
    });
  });
}

test('CMD runs as root in the VM: its exact stdout and stderr, its status, the cwd (writable, here under /tmp) and the environment', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-vmrun-'));
  try {
    const script = [
      'printf "a\\000b\\n"',
      'printf "to stderr" >&2',
      'pwd',
      'id -u',
      'echo "$IOREADY_PROBE|${SECRET-unset}|$NO_COLOR|${PASSED-unset}"',
      'grep -c "^gpio_sim " /proc/modules',
      'echo made >made-in-vm',
      'exit 7',
    ].join('\n');
    const r = await vmRun(['sh', '-c', script], { cwd: dir, env: { ...process.env, IOREADY_PROBE: "a b'c\"d", SECRET: 'x', PASSED: 'y', VM_ENV: 'PASSED' } });
    assert.equal(r.stderr, 'to stderr', 'stderr is exactly CMD\'s');
    assert.deepEqual(r.stdout, Buffer.from(`a\0b\n${fs.realpathSync(dir)}\n0\na b'c"d|unset|1|y\n1\n`), 'stdout is exactly CMD\'s');
    assert.equal(r.status, 7);
    assert.equal(fs.readFileSync(path.join(dir, 'made-in-vm'), 'utf8'), 'made\n', 'written through the share');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a megabyte of output arrives whole and in order; a command that is not there is 127', async () => {
  const big = vmRun(['seq', '1', '150000']);
  const missing = vmRun(['no-such-command-ioready']); // at the same time: their temp dirs and shares do not collide
  const [b, m] = await Promise.all([big, missing]);
  assert.equal(b.status, 0, b.stderr);
  const expected = Array.from({ length: 150000 }, (_, i) => `${i + 1}\n`).join('');
  assert.equal(b.stdout.length, expected.length);
  assert.ok(b.stdout.equals(Buffer.from(expected)));
  assert.equal(m.status, 127);
  assert.match(m.stderr, /no-such-command-ioready/);
  assert.equal(m.stdout.length, 0);
});

test('VM_TIMEOUT stops a hung VM: exit 124 and a message', async () => {
  const r = await vmRun(['sleep', '600'], { env: { ...process.env, VM_TIMEOUT: '2' } });
  assert.equal(r.status, 124);
  assert.match(r.stderr, /timed out after 2 s \(VM_TIMEOUT\)/);
  assert.ok(r.ms < 60_000 * Math.min(failsafe(1), 3), `stopped in ${r.ms} ms`);
});

test('usage: no command is exit 2 with the help on stderr', async () => {
  const r = await vmRun([]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /vm-run\.sh CMD/);
  assert.equal(r.stdout.length, 0);
});
