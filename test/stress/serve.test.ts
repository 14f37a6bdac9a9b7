// `ioready serve` under load and attack:
//  - load: 10,000 concurrent connections (two client processes of 5,000, a small
//    C program compiled here), all streaming at once; every byte accounted for
//    (each connection sends one byte value, so stdout's count of every value must
//    equal what was sent with it);
//  - a flood of connections beyond --max-connections is refused at once, while
//    the connections already served keep streaming and lose nothing;
//  - the default bind is loopback only (/proc/net/tcp, and a refused connect from
//    the machine's other address);
//  - on a terminal (a real pty), no escape byte reaches it without --raw.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { MAIN, NODE_TSX, Proc, sq, startServe } from '../cli-helpers';
import { hasPython, ROOT, sleep } from '../helpers';

const say = (line: string): void => void process.stdout.write(`# ${line}\n`);

const hasCC = spawnSync('sh', ['-c', 'command -v cc']).status === 0;

/** Compile the load client once. */
function loadClient(): string {
  const bin = path.join(os.tmpdir(), `ioready-load-client-${process.pid}`);
  if (!fs.existsSync(bin)) {
    const r = spawnSync('cc', ['-O2', '-o', bin, path.join(__dirname, 'load-client.c')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return bin;
}

/** A load-client process: N connections, driven line by line. */
class Clients {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  err = '';
  constructor(bin: string, port: number, n: number, bytes: number, first: number) {
    this.child = spawn('sh', ['-c', `ulimit -n ${n + 100} && exec "$0" "$@"`, bin, String(port), String(n), String(bytes), String(first)]);
    this.child.stdout.on('data', (d: Buffer) => (this.out += d));
    this.child.stderr.on('data', (d: Buffer) => (this.err += d));
  }
  async waitFor(re: RegExp, ms = 120_000): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.out);
      if (m) return m;
      if (this.child.exitCode !== null || Date.now() > end) throw new Error(`load client: no ${re}; stderr: ${this.err}`);
      await sleep(20);
    }
  }
  next(): void {
    this.child.stdin.write('next\n');
  }
}

/** How many bytes of each value a buffer holds. */
function histogram(buf: Buffer): number[] {
  const h = new Array<number>(256).fill(0);
  for (const b of buf) h[b]!++;
  return h;
}

/** The bytes of each value `n` connections starting at `first` send, `bytes` each. */
function expected(h: number[], n: number, bytes: number, first: number): void {
  for (let i = 0; i < n; i++) h[32 + ((first + i) % 64)]! += bytes;
}

test('load: 10,000 concurrent connections streaming at once, every byte accounted for', { skip: !hasCC && 'no cc' }, async () => {
  const PER = 5000;
  const BYTES = 2000;
  const bin = loadClient();
  // A backlog as deep as somaxconn allows: 10,000 connects arrive within a second.
  const [serve, port] = await startServe(['--log-level', 'info', '--backlog', '4096'], { ulimit: 20000 });
  const a = new Clients(bin, port, PER, BYTES, 0);
  const b = new Clients(bin, port, PER, BYTES, PER);
  try {
    const t0 = Date.now();
    await Promise.all([a.waitFor(/connected (\d+)/), b.waitFor(/connected (\d+)/)]);
    // Every connection is accepted and held at once before anyone streams.
    const live = (): string => {
      const opened = (serve.stderr.match(/Connection \(\d+\) from \S+$/gm) ?? []).length;
      const closed = (serve.stderr.match(/Connection \(\d+\) from \S+ closed/g) ?? []).length;
      const states = spawnSync('sh', ['-c', `ss -tan | grep ':${port} ' | awk '{print $1}' | sort | uniq -c`], { encoding: 'utf8' }).stdout;
      return `server fds ${serve.fdCount()}, ${opened} accepted, ${closed} closed; sockets: ${states.replace(/\s+/g, ' ')}`;
    };
    // Held at once: 10,000 accepted and none closed (the log), and 10,000 more fds open.
    // (The fd count at start-up is no baseline: tsx holds files open for a while.)
    const accepted = (): number => (serve.stderr.match(/Connection \(\d+\) from \S+$/gm) ?? []).length;
    const closedNow = (): number => (serve.stderr.match(/Connection \(\d+\) from \S+ closed/g) ?? []).length;
    await serve.until(() => accepted() - closedNow() === 2 * PER && serve.fdCount() >= 2 * PER, `the server holding ${2 * PER} connections`, 120_000).catch((err: Error) => {
      throw new Error(`${live()}\n${err.message.slice(0, 500)}`);
    });
    const held = accepted() - closedNow();
    const fdsHeld = serve.fdCount();
    const tConnected = Date.now() - t0;
    a.next();
    b.next();
    const [sa, sb] = await Promise.all([a.waitFor(/sent (\d+)/), b.waitFor(/sent (\d+)/)]);
    const sent = Number(sa[1]) + Number(sb[1]);
    assert.equal(sent, 2 * PER * (BYTES + 1), 'each connection: a greeting byte, then BYTES');
    await serve.waitOut(sent, 120_000);
    const tStreamed = Date.now() - t0;
    await sleep(200);
    assert.equal(serve.outLength, sent, 'stdout holds exactly the bytes sent, nothing more');
    const want = new Array<number>(256).fill(0);
    expected(want, PER, BYTES + 1, 0);
    expected(want, PER, BYTES + 1, PER);
    assert.deepEqual(histogram(serve.out), want, 'every byte value counted as sent');
    a.next();
    b.next();
    await Promise.all([a.waitFor(/closed/), b.waitFor(/closed/)]);
    await serve.until(() => serve.fdCount() < 100, 'the server closing all 10,000', 120_000);
    const opened = (serve.stderr.match(/Connection \(\d+\) from \S+$/gm) ?? []).length;
    const closedLines = (serve.stderr.match(/Connection \(\d+\) from \S+ closed/g) ?? []).length;
    say(
      `load: ${held} connections held at once (server fds ${fdsHeld}, then ${serve.fdCount()} after they closed); ` +
        `${sent.toLocaleString('en')} bytes streamed, all on stdout, per-value counts exact; ` +
        `connected in ${tConnected} ms, streamed by ${tStreamed} ms; ${opened} connection lines, ${closedLines} close lines`,
    );
    assert.ok(held >= 2 * PER);
    assert.equal(opened, 2 * PER, 'a log line for each connection');
    assert.equal(closedLines, 2 * PER, 'and one for each close');
  } finally {
    a.child.kill('SIGKILL');
    b.child.kill('SIGKILL');
    serve.kill('SIGTERM');
    await serve.exited;
  }
});

/** A net client that streams `value` bytes every few ms until stopped; counts what it wrote. */
function streamer(port: number, value: number): { sent: () => number; stop: () => Promise<void>; ready: Promise<void>; alive: () => boolean } {
  const sock = net.connect(port, '127.0.0.1');
  let sent = 0;
  let alive = true;
  sock.on('end', () => (alive = false)); // the server closed it
  sock.on('error', () => (alive = false));
  let timer: NodeJS.Timeout | undefined;
  const chunk = Buffer.alloc(512, value);
  const ready = new Promise<void>((resolve, reject) => {
    sock.once('connect', () => {
      timer = setInterval(() => {
        sock.write(chunk);
        sent += chunk.length;
      }, 20);
      resolve();
    });
    sock.once('error', reject);
  });
  return {
    ready,
    alive: () => alive,
    sent: () => sent,
    stop: () =>
      new Promise<void>((resolve) => {
        clearInterval(timer);
        sock.end(() => resolve());
      }),
  };
}

test('a flood beyond --max-connections is refused at once; those already served lose nothing', async () => {
  const MAX = 50;
  const FLOOD = 3000;
  const [serve, port] = await startServe(['--log-level', 'info', '--max-connections', String(MAX), '--backlog', '4096'], { ulimit: 20000 });
  try {
    const served = Array.from({ length: MAX }, (_, i) => streamer(port, 0x41 + (i % 26))); // A-Z: never the flood's '!'
    await Promise.all(served.map((s) => s.ready));
    await serve.until(() => (serve.stderr.match(/Connection \(\d+\) from \S+$/gm) ?? []).length >= MAX, `${MAX} connections logged`);
    // The flood: 3,000 more connections, opened as fast as possible, each sending a byte.
    let refused = 0;
    let errors = 0;
    const flood = Array.from(
      { length: FLOOD },
      () =>
        new Promise<void>((resolve) => {
          const s = net.connect(port, '127.0.0.1');
          s.on('connect', () => s.write('!'));
          // Closed by the server at once: an EOF, or ECONNRESET when our '!' was unread.
          s.on('error', () => {});
          s.on('close', (hadError) => {
            if (hadError) errors++;
            else refused++;
            resolve();
          });
          s.resume();
          s.setTimeout(30_000, () => s.destroy());
        }),
    );
    await Promise.all(flood);
    await sleep(1000); // the served clients stream on after the flood
    assert.ok(served.every((s) => s.alive()), 'no served connection was closed by the flood');
    const sent = served.map((s) => s.sent());
    await Promise.all(served.map((s) => s.stop()));
    const total = sent.reduce((x, y) => x + y, 0);
    // The flood's bytes ('!') never reach stdout: those connections were closed at once.
    await serve.until(() => serve.outLength >= total, `all ${total} bytes of the served clients`, 60_000);
    await sleep(200);
    const h = histogram(serve.out);
    const want = new Array<number>(256).fill(0);
    served.forEach((_, i) => (want[0x41 + (i % 26)]! += sent[i]!));
    const refusedLines = (serve.stderr.match(/closed at once: \d+ open \(--max-connections\)/g) ?? []).length;
    say(
      `max-connections ${MAX}: ${FLOOD} flood connections all closed by the server (${refused} EOF, ${errors} ECONNRESET, ` +
        `${refusedLines} 'closed at once' lines); the ${MAX} served sent ${total.toLocaleString('en')} bytes, all on stdout`,
    );
    assert.equal(h[0x21], 0, "no byte of the flood reached stdout (it would be '!')");
    assert.equal(serve.outLength, total, 'stdout holds exactly the served clients bytes');
    assert.deepEqual(h, want, 'each served client: every byte');
    assert.equal(refused + errors, FLOOD);
    assert.equal(refusedLines, FLOOD, 'every flood connection refused, and said so');
    assert.equal(serve.child.exitCode, null, 'the server is still running');
  } finally {
    serve.kill('SIGTERM');
    await serve.exited;
  }
});

/** The local IPv4 address this machine has besides loopback, if any. */
function otherAddress(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

test("serve's default bind is loopback: /proc/net/tcp says 127.0.0.1, and another address is refused", async () => {
  const serve = new Proc(['serve', '--port', '0']); // no --host
  try {
    const port = await serve.port();
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A'); // state 0A: LISTEN
    assert.deepEqual(
      listening.map((f) => f[1]),
      [`0100007F:${hexPort}`],
      'one listener, on 127.0.0.1',
    );
    const v6 = fs.existsSync('/proc/net/tcp6') ? fs.readFileSync('/proc/net/tcp6', 'utf8') : '';
    assert.ok(!new RegExp(`:${hexPort} [0-9A-F:]+ 0A`).test(v6), 'no IPv6 listener on the port');
    const other = otherAddress();
    if (other) {
      const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        const s = net.connect(port, other);
        s.once('connect', () => {
          s.destroy();
          resolve(null);
        });
        s.once('error', resolve);
      });
      assert.equal(err?.code, 'ECONNREFUSED', `a connection to ${other}:${port} is refused`);
      say(`default bind: 127.0.0.1:${port} only; ${other}:${port} refused`);
    } else {
      say(`default bind: 127.0.0.1:${port} only (no other address on this machine to try)`);
    }
  } finally {
    serve.kill('SIGTERM');
    await serve.exited;
  }
});

// Every byte value and the usual attack sequences: CSI (clear screen, cursor
// moves), OSC (window title, and OSC 52, which writes the clipboard), DCS, C1 CSI
// (U+009B), and a bare ESC.
const ATTACK = Buffer.concat([
  Buffer.from('\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1bP+q\x1b\\\x1b[6n'),
  Buffer.from('\u009b31m', 'utf8'),
  Buffer.from([0x9b, 0x1b, 0x07, 0x08, 0x7f, 0x00]),
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from('\nEND\n'),
]);

/**
 * Run serve with its stdout on a real pty (Python's pty.openpty), send ATTACK,
 * and return every byte that reached the terminal.
 */
function throughPty(extra: string[]): { code: number | null; bytes: Buffer; stderr: string } {
  // exec: Popen.terminate() must reach serve itself, not a shell that would leave it orphaned.
  const cmd = `exec ${NODE_TSX} ${MAIN} serve --port 0 --log-level info ${extra.map(sq).join(' ')}`;
  const py = `
import os, pty, re, select, socket, subprocess, sys, time
m, s = pty.openpty()
p = subprocess.Popen(['sh', '-c', ${JSON.stringify(cmd)}], stdin=subprocess.DEVNULL, stdout=s, stderr=subprocess.PIPE, cwd=${JSON.stringify(ROOT)})
os.close(s)
err = b''
while b'Listening on' not in err:
    err += os.read(p.stderr.fileno(), 4096)
port = int(re.search(rb'Listening on \\S+:(\\d+)', err).group(1))
c = socket.create_connection(('127.0.0.1', port))
c.sendall(sys.stdin.buffer.read())
c.close()
out, t0 = b'', time.time()
while b'END' not in out and time.time() - t0 < 20:
    r, _, _ = select.select([m], [], [], 0.5)
    if r:
        out += os.read(m, 65536)
time.sleep(0.2)
while select.select([m], [], [], 0.2)[0]:
    out += os.read(m, 65536)
p.terminate(); p.wait()
sys.stdout.buffer.write(out)
`;
  const r = spawnSync('python3', ['-c', py], { input: ATTACK, maxBuffer: 1 << 24, timeout: 60_000 });
  return { code: r.status, bytes: r.stdout, stderr: r.stderr.toString() };
}

test('on a terminal (a real pty), no escape or control byte reaches it without --raw; --raw passes them', { skip: !hasPython && 'no python3' }, () => {
  const safe = throughPty([]);
  assert.equal(safe.code, 0, safe.stderr);
  assert.ok(safe.bytes.includes('END'), 'the payload reached the terminal');
  // Allowed: printable bytes, \t \n \r (the pty turns \n into \r\n), and valid UTF-8
  // sequences of printable characters. Forbidden: ESC, the other C0 controls, DEL,
  // and C1 controls (0x80-0x9f alone, or U+0080-U+009F encoded as c2 80-9f).
  const text = safe.bytes;
  const bad: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) bad.push(i);
    if (c === 0xc2 && text[i + 1]! >= 0x80 && text[i + 1]! <= 0x9f) bad.push(i);
  }
  assert.deepEqual(bad.slice(0, 10), [], `control bytes reached the terminal: ${text.subarray(0, 200).toString('hex')}`);
  assert.ok(!text.includes(0x1b), 'no ESC at all');
  assert.ok(text.includes('\\x1b'), 'ESC is shown escaped');
  const raw = throughPty(['--raw']);
  assert.equal(raw.code, 0, raw.stderr);
  assert.ok(raw.bytes.includes(Buffer.from('\x1b]52;c;')), 'with --raw the bytes pass as they are');
  say(`tty: ${ATTACK.length} attack bytes sent; ${text.length} bytes on the pty without --raw, none of them control bytes; --raw passes ESC through`);
});
