// Streams over any fd (createReadStream, createWriteStream, createDuplex) on real
// pipes, FIFOs, socket pairs and ptys, against writers and readers in C, the shell,
// Python and Node.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';

import { close, createDuplex, createReadStream, createWriteStream, pipe, setBlocking, socketpair, write } from '../src/index';
import { reactorState } from '../src/stream/reactor';
import { fdFlags, fdLeakCheck, hasPython, isOpen, loopBarrier, O_NONBLOCK_FLAG, sleep, until } from './helpers';

const leakCheckAtEnd = fdLeakCheck();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ioready-stream-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let fifoCount = 0;
function fifo(): string {
  const p = path.join(dir, `fifo${fifoCount++}`);
  const r = spawnSync('mkfifo', [p]);
  assert.equal(r.status, 0, String(r.stderr));
  return p;
}
/** A FIFO's read end, opened before any writer (O_NONBLOCK: the open does not wait). */
const openFifoReader = (p: string): number => fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));

/** A pty: its controller (from /dev/ptmx) and the path of its tty side, unlocked by a Python child (TIOCSPTLCK, TIOCGPTN). */
function openPty(): { controller: number; tty: string } {
  const controller = fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY);
  const py = 'import fcntl,struct; fcntl.ioctl(3, 0x40045431, struct.pack("i", 0)); print(struct.unpack("i", fcntl.ioctl(3, 0x80045430, b"\\0\\0\\0\\0"))[0])';
  const r = spawnSync('python3', ['-c', py], { stdio: ['ignore', 'pipe', 'inherit', controller] });
  assert.equal(r.status, 0);
  return { controller, tty: `/dev/pts/${r.stdout.toString().trim()}` };
}

describe('read streams', () => {
  it('a pipe, written by a write stream: pipeline() moves 4 MiB intact, the fds are closed after', async () => {
    const [r, w] = pipe();
    const data = randomBytes(4 * 1024 * 1024);
    const rs = createReadStream(r);
    const ws = createWriteStream(w);
    const got = collect(rs);
    await pipeline(Readable.from([data.subarray(0, 1e6), data.subarray(1e6, 3e6), data.subarray(3e6)]), ws);
    assert.equal(sha(await got), sha(data));
    await until(() => rs.destroyed && ws.destroyed, 'both streams destroyed');
    assert.equal(rs.fd, -1);
    assert.equal(isOpen(r) || isOpen(w), false, 'autoClose closed both fds');
    assert.deepEqual(reactorState(), { epfd: -1, watchers: 0, holds: 0 }, 'the shared Epoll is gone with the last stream');
  });

  it('a FIFO opened before any writer waits (no early end); a shell writer, then end of file', async () => {
    const p = fifo();
    const rs = createReadStream(openFifoReader(p));
    let ended = false;
    rs.on('end', () => (ended = true));
    const got = collect(rs);
    await loopBarrier();
    await sleep(20);
    assert.equal(ended, false, 'a FIFO with no writer yet reads as EOF: the stream must wait for readiness first');
    const sh = spawn('sh', ['-c', 'printf "hello fifo" > "$1"', 'sh', p], { stdio: 'inherit' });
    assert.equal((await got).toString(), 'hello fifo');
    assert.equal(await exited(sh), 0);
  });

  it('a FIFO written by Python, read with for await', { skip: !hasPython && 'no python3' }, async () => {
    const p = fifo();
    const rs = createReadStream(openFifoReader(p));
    const py = spawn('python3', ['-c', 'import sys\nwith open(sys.argv[1], "wb") as f:\n  for i in range(1000): f.write(b"%04d\\n" % i)', p], { stdio: 'inherit' });
    const text = (await collect(rs)).toString();
    assert.equal(await exited(py), 0);
    assert.equal(text, Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}\n`).join(''));
  });

  it('a FIFO written by another Node process; the writer opening and closing without a byte is end of file', async () => {
    const p = fifo();
    const rs = createReadStream(openFifoReader(p));
    const node = spawn(process.execPath, ['-e', 'require("fs").writeFileSync(process.argv[1], "from node")', p], { stdio: 'inherit' });
    assert.equal((await collect(rs)).toString(), 'from node');
    assert.equal(await exited(node), 0);

    const q = fifo();
    const empty = createReadStream(openFifoReader(q));
    const t = spawn('sh', ['-c', ': > "$1"', 'sh', q], { stdio: 'inherit' });
    assert.equal((await collect(empty)).length, 0, 'EPOLLHUP with nothing to read: end');
    await exited(t);
  });

  it('EPOLLHUP: the pipe writer gone ends the stream at once, after the data', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r);
    const got = collect(rs);
    write(w, Buffer.from('last words'));
    close(w);
    assert.equal((await got).toString(), 'last words');
  });

  it('.pipe() from a read stream to a write stream, pipe to pipe', async () => {
    const [r1, w1] = pipe();
    const [r2, w2] = pipe();
    const data = randomBytes(300_000);
    const out = collect(createReadStream(r2));
    createReadStream(r1).pipe(createWriteStream(w2));
    const src = createWriteStream(w1);
    src.end(data);
    assert.equal(sha(await out), sha(data));
  });

  it('a regular file (epoll says EPERM: always ready) reads to its end', async () => {
    const f = path.join(dir, 'regular');
    const data = randomBytes(200_000);
    fs.writeFileSync(f, data);
    const rs = createReadStream(fs.openSync(f, 'r'), { highWaterMark: 16384 });
    assert.equal(sha(await collect(rs)), sha(data));
  });
});

describe('backpressure', () => {
  it('a paused consumer stops the reading: a Python producer blocks at the pipe buffer, memory stays bounded', { skip: !hasPython && 'no python3' }, async () => {
    const [r, w] = pipe();
    setBlocking(w, true);
    const total = 8 * 1024 * 1024;
    const py = spawn('python3', ['-c', `import sys\nb = b"x" * 65536\nfor i in range(${total / 65536}): sys.stdout.buffer.write(b)\nsys.stdout.buffer.flush()`], {
      stdio: ['ignore', w, 'inherit'],
    });
    close(w);
    const hwm = 32 * 1024;
    const rs = createReadStream(r, { highWaterMark: hwm });
    let got = 0;
    rs.on('data', (d: Buffer) => {
      if (got === 0) rs.pause(); // after the first chunk
      got += d.length;
    });
    // Paused, the stream reads ahead up to its highWaterMark, then stops: the producer fills the pipe and blocks.
    await until(() => rs.readableLength >= hwm, 'the stream to fill its buffer');
    const first = got;
    const cpu = process.cpuUsage();
    await sleep(300);
    const used = process.cpuUsage(cpu);
    assert.ok(rs.readableLength <= 2 * hwm, `buffered ${rs.readableLength} (hwm ${hwm})`);
    assert.equal(got, first);
    assert.equal(py.exitCode, null, 'the producer is blocked, not done');
    assert.ok((used.user + used.system) / 1000 < 100, `paused stream used ${(used.user + used.system) / 1000} ms CPU in 300 ms: a busy loop?`);
    rs.resume();
    await new Promise((res) => rs.once('end', res));
    assert.equal(got, total);
    assert.equal(await exited(py), 0);
  });

  it('a full pipe: write() says false once the kernel pushes back (EAGAIN), drain comes when the reader reads, nothing is lost', async () => {
    const [r, w] = pipe();
    const ws = createWriteStream(w, { highWaterMark: 1024 });
    const chunk = Buffer.alloc(4096, 1);
    let writes = 0;
    while (ws.write(chunk)) writes++;
    writes++;
    // Each write went to the kernel at once until the pipe (64 KiB) was full.
    assert.ok(writes * 4096 >= 64 * 1024 && writes * 4096 <= 64 * 1024 + 4096, `${writes} writes before false`);
    await loopBarrier();
    assert.equal(ws.writableNeedDrain, true, 'no drain while nobody reads');
    const drained = new Promise((res) => ws.once('drain', res));
    const got = collect(createReadStream(r));
    await drained;
    ws.end(chunk);
    assert.equal((await got).length, (writes + 1) * 4096);
  });
});

describe('records (recordSize)', () => {
  it('every chunk holds whole records; records split by the writer are put back together', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r, { recordSize: 24 });
    const records = Buffer.concat(Array.from({ length: 50 }, (_, i) => Buffer.alloc(24, i)));
    const sizes: number[] = [];
    const chunks: Buffer[] = [];
    rs.on('data', (c: Buffer) => {
      sizes.push(c.length);
      chunks.push(c);
    });
    const ended = new Promise((res) => rs.once('end', res));
    // Cut at odd places, each piece seen by the reader on its own.
    let off = 0;
    for (const n of [10, 14, 1, 47, 100, 23, 5, 600, 400]) {
      write(w, records.subarray(off, off + n));
      off += n;
      await loopBarrier();
    }
    assert.equal(off, records.length);
    close(w);
    await ended;
    assert.ok(sizes.every((n) => n > 0 && n % 24 === 0), `chunk sizes ${sizes.join(',')}`);
    assert.ok(sizes.length > 3, 'several chunks');
    assert.deepEqual(Buffer.concat(chunks), records);
  });

  it('a partial record at end of file is an error (ERR_IOREADY_PARTIAL_RECORD), after the whole ones', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r, { recordSize: 24 });
    const chunks: Buffer[] = [];
    rs.on('data', (c: Buffer) => chunks.push(c));
    write(w, Buffer.alloc(30, 7));
    close(w);
    const err = await new Promise<Error & { code?: string; bytes?: number }>((res) => rs.once('error', res));
    assert.equal(err.code, 'ERR_IOREADY_PARTIAL_RECORD');
    assert.equal(err.bytes, 6);
    assert.match(err.message, /6 byte\(s\) of a 24-byte record/);
    assert.equal(Buffer.concat(chunks).length, 24);
    await until(() => rs.destroyed && !isOpen(r), 'the stream destroyed, its fd closed');
  });

  it('a recordSize larger than the highWaterMark still reads whole records', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r, { recordSize: 1000, highWaterMark: 100 });
    const got = collect(rs);
    write(w, Buffer.alloc(3000, 3));
    close(w);
    const b = await got;
    assert.equal(b.length, 3000);
  });
});

describe('write streams', () => {
  it('corked writes go out in order through writev', async () => {
    const [r, w] = pipe();
    const ws = createWriteStream(w);
    const got = collect(createReadStream(r));
    ws.cork();
    for (let i = 0; i < 200; i++) ws.write(`${i},`);
    ws.uncork();
    ws.end();
    assert.equal((await got).toString(), Array.from({ length: 200 }, (_, i) => `${i},`).join(''));
  });

  it('a write after the reader is gone: error EPIPE (syscall write), fd closed', async () => {
    const [r, w] = pipe();
    close(r);
    const ws = createWriteStream(w);
    const err = await new Promise<NodeJS.ErrnoException>((res) => ws.once('error', res).write('x'));
    assert.equal(err.code, 'EPIPE');
    assert.equal(err.syscall, 'write');
    assert.equal(err.errno, -os.constants.errno.EPIPE);
    await until(() => !isOpen(w), 'the fd closed');
  });

  it('a write waiting for room, the stream destroyed: the write callback gets ERR_STREAM_DESTROYED', async () => {
    const [r, w] = pipe();
    const ws = createWriteStream(w);
    const big = Buffer.alloc(256 * 1024);
    const cbErr = new Promise<Error | null | undefined>((res) => ws.write(big, res));
    await loopBarrier();
    ws.destroy();
    const e = await cbErr;
    assert.equal((e as { code?: string } | null | undefined)?.code, 'ERR_STREAM_DESTROYED');
    close(r);
  });

  it('a Writable made from a C reader: `cat` into a file gets every byte', async () => {
    const [r, w] = pipe();
    setBlocking(r, true);
    const out = path.join(dir, 'cat-out');
    const cat = spawn('sh', ['-c', 'cat > "$1"', 'sh', out], { stdio: [r, 'inherit', 'inherit'] });
    close(r);
    const data = randomBytes(1024 * 1024);
    await pipeline(Readable.from([data]), createWriteStream(w));
    assert.equal(await exited(cat), 0);
    assert.equal(sha(fs.readFileSync(out)), sha(data));
  });
});

describe('write streams on a regular file', () => {
  it('always ready (epoll says EPERM): every byte written, in order', async () => {
    const f = path.join(dir, 'written');
    const data = randomBytes(300_000);
    await pipeline(Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), createWriteStream(fs.openSync(f, 'w')));
    assert.equal(sha(fs.readFileSync(f)), sha(data));
  });
});

describe('duplex', () => {
  it('a socketpair: both ways, end() is a half-close the peer reads as end of stream', async () => {
    const [a, b] = socketpair();
    const da = createDuplex(a);
    const db = createDuplex(b);
    const gotB = collect(db);
    const gotA = collect(da);
    da.end('ping');
    assert.equal((await gotB).toString(), 'ping');
    // db's readable side ended: with allowHalfOpen false its writable side ends too.
    assert.equal((await gotA).toString(), '');
    await until(() => da.destroyed && db.destroyed, 'both destroyed');
    assert.equal(isOpen(a) || isOpen(b), false);
  });

  it('a socketpair with allowHalfOpen: the answer comes after the question ended', async () => {
    const [a, b] = socketpair();
    const client = createDuplex(a, { allowHalfOpen: true });
    const server = createDuplex(b, { allowHalfOpen: true });
    server.on('data', () => undefined);
    server.once('end', () => server.end('answer'));
    const reply = collect(client);
    client.end('question');
    assert.equal((await reply).toString(), 'answer');
  });

  it('a pty controller: a Python program on the tty side talks, and its exit (EIO) is end of file', { skip: !hasPython && 'no python3' }, async () => {
    const { controller, tty } = openPty();
    const d = createDuplex(controller);
    let text = '';
    d.on('data', (c: Buffer) => (text += c.toString()));
    const ended = new Promise<void>((res, rej) => {
      d.once('end', res);
      d.once('error', rej);
    });
    const py = spawn(
      'python3',
      ['-c', 'import os,sys\nfd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)\nos.write(fd, b"ready\\n")\nline = os.read(fd, 100)\nos.write(fd, b"got:" + line)\nos.close(fd)', tty],
      { stdio: 'inherit' },
    );
    await until(() => text.includes('ready'), 'the tty side to say ready');
    d.write('ping\n');
    await ended;
    assert.equal(await exited(py), 0);
    assert.match(text, /got:ping/);
    await until(() => d.destroyed && !isOpen(controller), 'the controller closed');
  });
});

describe('destroy, autoClose, an fd closed underneath', () => {
  it('destroy() mid-flow: close, no error, the fd closed; the producer sees EPIPE', async () => {
    const [r, w] = pipe();
    setBlocking(w, true);
    const yes = spawn('yes', [], { stdio: ['ignore', w, 'ignore'] });
    close(w);
    const rs = createReadStream(r);
    let bytes = 0;
    let errored = false;
    rs.on('error', () => (errored = true));
    rs.on('data', (d: Buffer) => {
      bytes += d.length;
      if (bytes > 1e6) rs.destroy();
    });
    await new Promise((res) => rs.once('close', res));
    assert.equal(errored, false);
    assert.equal(isOpen(r), false);
    await exited(yes);
    assert.equal(yes.signalCode ?? 'SIGPIPE', 'SIGPIPE');
  });

  it('autoClose false: the fd stays open after end and after destroy, with its blocking flag back', async () => {
    const [r, w] = pipe({ nonblock: false });
    const rs = createReadStream(r, { autoClose: false });
    assert.equal(fdFlags(r) & O_NONBLOCK_FLAG, O_NONBLOCK_FLAG, 'non-blocking while streamed');
    const got = collect(rs);
    const ws = createWriteStream(w, { autoClose: false });
    ws.end('kept');
    await new Promise((res) => ws.once('close', res));
    assert.ok(isOpen(w));
    assert.equal(fdFlags(w) & O_NONBLOCK_FLAG, 0, 'blocking again');
    close(w); // the reader's end of file: the write stream did not close it
    assert.equal((await got).toString(), 'kept');
    await until(() => rs.destroyed, 'the read stream destroyed');
    assert.ok(isOpen(r));
    assert.equal(fdFlags(r) & O_NONBLOCK_FLAG, 0);
    close(r);
  });

  it('an fd closed by somebody else under a paused read stream: error EBADF (syscall read), no crash', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r, { highWaterMark: 4 });
    write(w, Buffer.from('0123456789'));
    rs.once('readable', () => undefined);
    await until(() => rs.readableLength >= 4, 'the stream to read');
    rs.removeAllListeners('readable');
    close(r); // behind the stream's back
    const err = new Promise<NodeJS.ErrnoException>((res) => rs.once('error', res));
    rs.resume();
    const e = await err;
    assert.equal(e.code, 'EBADF');
    assert.equal(e.syscall, 'read');
    close(w);
  });

  it('an fd closed under a write stream: the next write is an error EBADF', async () => {
    const [r, w] = pipe();
    const ws = createWriteStream(w);
    close(w);
    const e = await new Promise<NodeJS.ErrnoException>((res) => ws.once('error', res).write('x'));
    assert.equal(e.code, 'EBADF');
    close(r);
  });

  it('a dup of the fd keeps it registered: readiness after the stream\'s fd closed under it is an error, not a spin', async () => {
    const [r, w] = pipe();
    const rs = createReadStream(r);
    // Keep the pipe's read side open elsewhere (a child's stdin), then close r under the stream.
    const holder = spawn('sleep', ['30'], { stdio: [r, 'ignore', 'ignore'] });
    const err = new Promise<NodeJS.ErrnoException>((res) => rs.once('error', res));
    rs.resume();
    await loopBarrier();
    close(r);
    write(w, Buffer.from('x'));
    const e = await err;
    assert.equal(e.code, 'EBADF');
    holder.kill();
    await exited(holder);
    close(w);
  });
});

describe('misuse', () => {
  it('bad fds and options: TypeError / RangeError before any system call', () => {
    for (const f of [createReadStream, createWriteStream, createDuplex] as Array<(fd: unknown, o?: unknown) => unknown>) {
      assert.throws(() => f('3'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => f(1.5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => f(-1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => f(0, 5), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => f(0, { highWaterMark: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
      assert.throws(() => f(0, { highWaterMark: NaN }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => f(0, { autoClose: 'yes' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    assert.throws(() => createReadStream(0, { recordSize: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => createReadStream(0, { recordSize: 2.5 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createDuplex(0, { allowHalfOpen: 1 as unknown as boolean }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('a closed fd: EBADF from fcntl, and nothing is left registered', () => {
    const [r, w] = pipe();
    close(r);
    close(w);
    assert.throws(() => createReadStream(r), { code: 'EBADF', syscall: 'fcntl' });
    assert.deepEqual(reactorState(), { epfd: -1, watchers: 0, holds: 0 });
  });

  it('two streams on one fd: ERR_INVALID_ARG_VALUE naming createDuplex; the first keeps working', async () => {
    const [r, w] = pipe();
    const rs = createReadStream({ fd: r });
    assert.throws(() => createWriteStream({ fileno: () => r }), { code: 'ERR_INVALID_ARG_VALUE', message: /createDuplex/ });
    const got = collect(rs);
    write(w, Buffer.from('fine'));
    close(w);
    assert.equal((await got).toString(), 'fine');
  });

  it('ref() and unref() return the stream; destroy() twice is harmless', () => {
    const [r, w] = pipe();
    const rs = createReadStream(r);
    assert.equal(rs.unref(), rs);
    assert.equal(rs.ref(), rs);
    rs.destroy();
    rs.destroy();
    const ws = createWriteStream(w);
    assert.equal(ws.unref().ref(), ws);
    ws.destroy();
    const p = new PassThrough();
    assert.ok(p instanceof Readable && rs instanceof Readable && ws instanceof Writable);
  });
});

describe('shared readiness', () => {
  it('one Epoll for every stream of the thread, closed with the last one', async () => {
    const pipes = Array.from({ length: 5 }, () => pipe());
    const streams = pipes.map(([r]) => createReadStream(r));
    const s = reactorState();
    assert.equal(s.watchers, 5);
    assert.ok(s.epfd >= 0);
    const epfds = fs.readdirSync('/proc/self/fd').filter((f) => fdTargetIs(Number(f), 'anon_inode:[eventpoll]'));
    assert.ok(epfds.includes(String(s.epfd)));
    for (const st of streams) st.destroy();
    for (const [, w] of pipes) close(w);
    await sleep(0);
    assert.deepEqual(reactorState(), { epfd: -1, watchers: 0, holds: 0 });
  });
});

function fdTargetIs(fd: number, what: string): boolean {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`) === what;
  } catch {
    return false;
  }
}

leakCheckAtEnd();
