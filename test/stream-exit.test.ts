// Process exit as a user sees it: a child process with a stream over an idle FIFO
// ends within a bound after destroy(), ends by itself once the stream is unref()'d,
// stays alive while a stream flows (as with a socket), and burns no CPU while idle.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

import { failsafe, ROOT, sleep, TSX } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-exit-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
function fifo(): string {
  const p = path.join(dir, `f${n++}`);
  assert.equal(spawnSync('mkfifo', [p]).status, 0);
  return p;
}

/** How long a Node process may take to end once nothing holds it (scaled by IOREADY_TEST_SLOW). */
const EXIT_BOUND_MS = failsafe(1500);

interface Run {
  /** ms from the line `marker` on its stdout to its exit, as this process saw them. */
  afterMarker: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run bench/streams/exit.ts MODE FIFO ARG; `onMarker` runs when its stdout says `marker`. */
function runExit(args: string[], marker: string, onMarker?: (send: () => void) => void, killAfterMarkerMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...TSX, 'bench/streams/exit.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let at = 0;
    const kill = setTimeout(() => child.kill('SIGKILL'), failsafe(30_000));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (at === 0 && stdout.includes(`${marker}\n`)) {
        at = performance.now();
        onMarker?.(() => undefined);
        if (killAfterMarkerMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMarkerMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(kill);
      resolve({ afterMarker: at === 0 ? NaN : performance.now() - at, code, signal, stdout, stderr });
    });
  });
}

describe('process exit with a stream over an idle FIFO', { concurrency: true }, () => {
  it('ends within the bound after destroy()', async () => {
    const r = await runExit(['destroy', fifo()], 'destroy');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.afterMarker < EXIT_BOUND_MS, `exit ${r.afterMarker.toFixed(0)} ms after destroy() (bound ${EXIT_BOUND_MS})`);
  });

  it('unref(): ends by itself while the stream is open', async () => {
    const r = await runExit(['unref', fifo()], 'ready');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.afterMarker < EXIT_BOUND_MS, `exit ${r.afterMarker.toFixed(0)} ms after unref() (bound ${EXIT_BOUND_MS})`);
  });

  it('a flowing stream keeps the process alive, as a socket does, until it is told to quit', async () => {
    const p = fifo();
    let aliveWhenTold = false;
    let child: Promise<Run> | undefined;
    const told = new Promise<void>((resolve) => {
      child = runExit(['flowing', p], 'ready', () => {
        void sleep(400).then(() => {
          // The stream is waiting on the FIFO: a writer's "quit" reaches it. (Non-blocking:
          // with no reader left, the open fails with ENXIO instead of waiting.)
          try {
            const fd = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
            fs.writeSync(fd, 'quit\n');
            fs.closeSync(fd);
            aliveWhenTold = true;
          } catch {
            // gone already
          }
          resolve();
        });
      });
    });
    const r = await child!;
    await told;
    assert.equal(aliveWhenTold, true);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.afterMarker >= 400, `it stayed alive ${r.afterMarker.toFixed(0)} ms`);
  });

  it('a write waiting for room keeps the process alive; unref() lets it end', async () => {
    const held = await runExit(['write-full', fifo()], 'ready', undefined, 500);
    assert.equal(held.signal, 'SIGKILL', `it ended by itself (code ${held.code}): ${held.stderr}`);
    assert.ok(held.afterMarker >= 500, `alive ${held.afterMarker.toFixed(0)} ms after the write`);
    const r = await runExit(['write-full', fifo(), 'unref'], 'ready');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.afterMarker < EXIT_BOUND_MS, `exit ${r.afterMarker.toFixed(0)} ms after unref() (bound ${EXIT_BOUND_MS})`);
  });

  it('an idle flowing stream uses no CPU (no busy loop)', async () => {
    const r = await runExit(['idle-cpu', fifo(), '500'], 'never');
    assert.equal(r.code, 0, r.stderr);
    const cpu = Number(/cpuMs (\S+)/.exec(r.stdout)?.[1]);
    assert.ok(cpu >= 0 && cpu < 50, `${cpu} ms of CPU in 500 ms idle`);
  });
});
