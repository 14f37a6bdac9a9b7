// examples/seed-server.ts, the seed's program on ioready: it serves, and each
// of the seed's bugs is fixed (checked from outside: /proc and the kernel).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { Proc, connect, sendAll } from './cli-helpers';
import { sleep } from './helpers';

/** A port free right now (the example takes its port on the command line). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

/** The listening sockets' lines of /proc/net/tcp for `port`: [local address, backlog queue state]. */
function listeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((l) => l.includes(`:${hex} 00000000:0000 0A`)) // state 0A: LISTEN
    .map((l) => l.trim().split(/\s+/)[1]!);
}

test('the seed server: prints what clients send, in the seed log format, with its bugs fixed', async () => {
  const port = await freePort();
  const p = new Proc([String(port)], { script: 'examples/seed-server.ts' });
  try {
    const end = Date.now() + 20000;
    while (listeners(port).length === 0) {
      assert.ok(Date.now() < end && p.child.exitCode === null, `not listening: ${p.stderr}`);
      await sleep(50);
    }
    // FIX 0.0.0.0: it listens on 127.0.0.1 only.
    assert.deepEqual(listeners(port), [`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`]);
    await sleep(200);
    const baseline = p.fdCount();

    await sendAll(port, 'hello\n');
    await p.waitOut(6);
    assert.equal(p.out.toString(), 'hello\n');
    assert.match(p.stderr, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - __main__ - DEBUG - Received \(\d+\): \['EPOLLIN'\]\n/m);
    assert.match(p.stderr, / - __main__ - DEBUG - Received connection: \(1\)\n/);

    // FIX bytes to a text stream: every byte value passes through.
    const bytes = Buffer.from(Array.from({ length: 1024 }, (_, i) => i & 255));
    await sendAll(port, bytes);
    await p.waitOut(6 + 1024);
    assert.ok(p.out.subarray(6).equals(bytes));

    // FIX backlog 1: ten clients connecting at once are all served.
    await Promise.all(Array.from({ length: 10 }, (_, i) => sendAll(port, `c${i}\n`)));
    await p.waitOut(6 + 1024 + 30);
    assert.deepEqual(p.out.subarray(6 + 1024).toString().split('\n').filter(Boolean).sort(), Array.from({ length: 10 }, (_, i) => `c${i}`));

    // FIX hang-ups: closed connections are unregistered and closed, not kept spinning.
    await p.until(() => p.fdCount() === baseline, 'fds back to baseline', 5000);

    // FIX IN|PRI|OUT: an idle connection costs no CPU (OUT would wake the loop forever).
    const idle = await connect(port);
    await sleep(200);
    const t0 = p.cpuTicks();
    await sleep(1000);
    const spent = p.cpuTicks() - t0;
    assert.ok(spent < 20, `CPU ticks in 1 s with an idle client: ${spent}`);
    const lines = p.stderr.split('\n').length;
    await sleep(300);
    assert.equal(p.stderr.split('\n').length, lines, 'no events logged while the client is idle');
    idle.destroy();
    await p.until(() => p.fdCount() === baseline, 'fds back to baseline', 5000);
  } finally {
    p.kill('SIGKILL');
  }
});
