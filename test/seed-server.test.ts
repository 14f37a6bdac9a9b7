// examples/seed-server.ts, the seed's program on ioready: it serves, and each
// of the seed's bugs is fixed (checked from outside: /proc and the kernel).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { Proc, connect, sendAll } from './cli-helpers';
import { until } from './helpers';

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
    await until(() => listeners(port).length > 0 || p.child.exitCode !== null, `port ${port} listening`, 20000);
    assert.equal(p.child.exitCode, null, `not listening: ${p.stderr}`);
    // FIX 0.0.0.0: it listens on 127.0.0.1 only.
    assert.deepEqual(listeners(port), [`0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`]);
    // Its sockets, by identity (tsx may close files of its own meanwhile): the listener, stdio.
    const baseline = new Set(p.fds());
    const noConnectionLeft = (): boolean => p.fds().every((t) => baseline.has(t));
    const accepted = (): number => (p.stderr.match(/ - DEBUG - Received connection: /g) ?? []).length;

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
    await p.until(noConnectionLeft, 'every connection closed');

    // FIX IN|PRI|OUT: an idle connection costs no CPU (OUT would wake the loop forever).
    const before = accepted();
    const idle = await connect(port);
    await p.until(() => accepted() === before + 1, 'the idle client accepted');
    const logged = p.stderr.length;
    const t0 = p.cpuTicks();
    await new Promise((r) => setTimeout(r, 1000)); // a window to measure CPU time over, not a wait for anything
    const spent = p.cpuTicks() - t0;
    assert.ok(spent < 20, `CPU ticks in 1 s with an idle client: ${spent}`);
    // A barrier: another client's bytes on stdout. Had the idle one been reported (its
    // events come level-triggered, again and again), the log would name a third fd
    // besides the listener and this client's.
    await sendAll(port, 'barrier\n');
    await p.waitOut(6 + 1024 + 30 + 8);
    const fds = new Set([...p.stderr.slice(logged).matchAll(/ - DEBUG - Received \((\d+)\): /g)].map((m) => m[1]));
    assert.ok(fds.size <= 2, `no events for the idle client: ${p.stderr.slice(logged)}`);
    idle.destroy();
    await p.until(noConnectionLeft, 'every connection closed');
  } finally {
    p.kill('SIGKILL');
  }
});
