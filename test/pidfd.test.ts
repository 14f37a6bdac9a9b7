// Process exits as fds: pidfdOpen on children (also reaped by child_process), on a
// process that is not our child, on a zombie; pidfdSendSignal; misuse.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import { close, Epoll, EPOLLIN, pidfdOpen, pidfdSendSignal, pipe } from '../src/index';
import { failsafe, fdFlags, fdLeakCheck, hasPython, O_CLOEXEC_FLAG } from './helpers';

const leakCheck = fdLeakCheck();

/** The first line the child prints on stdout. */
async function firstLine(child: ChildProcess): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += chunk;
    if (out.includes('\n')) return out.slice(0, out.indexOf('\n'));
  }
  throw new Error(`no line from the child (got ${JSON.stringify(out)})`);
}

/** The state letter of /proc/PID/stat (R, S, Z...), or null once the process is gone. */
function procState(pid: number): string | null {
  try {
    return /\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]!;
  } catch {
    return null;
  }
}

/** The parent pid from /proc/PID/stat. */
function parentOf(pid: number): number {
  return Number(/\) \S (\d+)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))![1]);
}

/** Wait on the event loop (an Epoll's wait()) until pidfd is readable; fail after a failsafe. */
async function exitOf(pidfd: number): Promise<void> {
  const ep = new Epoll();
  try {
    ep.register(pidfd, EPOLLIN);
    const events = await ep.wait(failsafe(10000));
    assert.equal(events.length, 1);
    assert.equal(events[0]![0], pidfd);
    // EPOLLIN at the exit; kernels >= 6.9 add EPOLLHUP once the process is reaped.
    assert.equal(events[0]![1] & EPOLLIN, EPOLLIN, 'the pidfd turned readable');
  } finally {
    ep.close();
  }
}

/** True if pidfd is readable right now. */
function readableNow(pidfd: number): boolean {
  const ep = new Epoll();
  try {
    ep.register(pidfd, EPOLLIN);
    return ep.poll(0).length > 0;
  } finally {
    ep.close();
  }
}

describe('pidfdOpen', () => {
  it("a child_process child: both child_process's 'exit' and the pidfd see the exit", async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    const pidfd = pidfdOpen(child.pid!);
    try {
      assert.equal(fdFlags(pidfd) & O_CLOEXEC_FLAG, O_CLOEXEC_FLAG, 'close-on-exec');
      assert.equal(readableNow(pidfd), false, 'not readable while it runs');
      const readable = exitOf(pidfd);
      pidfdSendSignal(pidfd, 'SIGTERM');
      await readable;
      const [code, signal] = await exited; // libuv reaped it: its status is child_process's
      assert.equal(code, null);
      assert.equal(signal, 'SIGTERM');
      assert.equal(readableNow(pidfd), true, 'still readable after the reaping');
      assert.throws(() => pidfdSendSignal(pidfd, 0), { code: 'ESRCH', syscall: 'pidfd_send_signal' });
    } finally {
      close(pidfd);
    }
  });

  it('a child that exits by itself: the pidfd turns readable, and child_process gets its code', async () => {
    const child = spawn('sh', ['-c', 'read x; exit 3'], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = once(child, 'exit');
    const pidfd = pidfdOpen(child.pid!);
    try {
      const readable = exitOf(pidfd);
      child.stdin!.end('go\n');
      await Promise.all([readable, exited]);
      assert.deepEqual(await exited, [3, null]);
    } finally {
      close(pidfd);
    }
  });

  it('a process that is not our child (a grandchild, reparented once its shell exits)', async () => {
    const sh = spawn('sh', ['-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const gpid = Number(await firstLine(sh));
    await once(sh, 'exit');
    const pidfd = pidfdOpen(gpid);
    try {
      assert.notEqual(parentOf(gpid), process.pid, 'not our child');
      assert.equal(readableNow(pidfd), false);
      const readable = exitOf(pidfd);
      pidfdSendSignal(pidfd, 'SIGKILL');
      await readable;
      assert.ok(['Z', null].includes(procState(gpid)), 'gone, or a zombie its new parent has not reaped yet');
    } finally {
      close(pidfd);
    }
  });

  it('is readable as soon as the process is a zombie, before anyone reaps it', { skip: !hasPython && 'no python3' }, async () => {
    // A parent that never reaps its child: the child stays a zombie while the parent lives.
    const parent = spawn('python3', ['-c', 'import os, sys\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\nsys.stdin.read()'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const zpid = Number(await firstLine(parent));
      const deadline = Date.now() + failsafe(10000);
      while (procState(zpid) !== 'Z') {
        assert.ok(Date.now() < deadline, 'the child became a zombie');
        await new Promise((r) => setTimeout(r, 5));
      }
      const pidfd = pidfdOpen(zpid);
      try {
        assert.equal(readableNow(pidfd), true, 'readable at once');
        assert.equal(procState(zpid), 'Z', 'and still not reaped');
      } finally {
        close(pidfd);
      }
    } finally {
      parent.stdin!.end();
      await once(parent, 'exit');
    }
  });

  it('a pid that is gone: ESRCH', async () => {
    const child = spawn('true');
    await once(child, 'exit');
    assert.throws(() => pidfdOpen(child.pid!), { code: 'ESRCH', syscall: 'pidfd_open', message: /^ESRCH: / });
  });

  it('bad pids: TypeError or RangeError before any system call', () => {
    assert.throws(() => pidfdOpen(0), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pidfdOpen(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pidfdOpen(2 ** 31), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pidfdOpen(1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pidfdOpen(NaN), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pidfdOpen('1' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('pidfdSendSignal', () => {
  it('delivers a signal by name, and by number; signal 0 only checks the process is there', async () => {
    const child = spawn('sh', ['-c', 'trap "echo got USR1; exit 7" USR1; echo ready; while :; do sleep 0.05; done'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const exited = once(child, 'exit');
    const pidfd = pidfdOpen(child.pid!);
    try {
      const lines: string[] = [];
      child.stdout!.setEncoding('utf8').on('data', (d: string) => lines.push(d));
      while (!lines.join('').includes('ready')) await new Promise((r) => setTimeout(r, 5));
      pidfdSendSignal(pidfd, 0);
      pidfdSendSignal({ fd: pidfd }, 'SIGUSR1');
      assert.deepEqual(await exited, [7, null]);
      assert.match(lines.join(''), /got USR1/);
      await exitOf(pidfd);
    } finally {
      close(pidfd);
    }
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const otherExited = once(other, 'exit');
    const fd2 = pidfdOpen(other.pid!);
    try {
      pidfdSendSignal({ fileno: () => fd2 }, 9);
      assert.deepEqual(await otherExited, [null, 'SIGKILL']);
    } finally {
      close(fd2);
    }
  });

  it('names as process.kill takes them: an unknown one is ERR_UNKNOWN_SIGNAL, before any system call', () => {
    let nodeErr: unknown;
    try {
      process.kill(process.pid, 'SIGFOO' as NodeJS.Signals);
    } catch (e) {
      nodeErr = e;
    }
    assert.ok(nodeErr instanceof TypeError);
    for (const name of ['SIGFOO', 'sigterm', 'TERM', 'constructor', '']) {
      assert.throws(() => pidfdSendSignal(987654, name), (err: Error & { code?: string }) => {
        assert.ok(err instanceof TypeError);
        assert.equal(err.code, (nodeErr as unknown as { code: string }).code);
        assert.equal(err.message, `Unknown signal: ${name}`);
        return true;
      });
    }
    assert.throws(() => pidfdSendSignal(987654, 1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pidfdSendSignal(987654, 65), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pidfdSendSignal(987654, -1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => pidfdSendSignal(987654, null as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => pidfdSendSignal(-1, 'SIGTERM'), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('an fd that is not a pidfd, or a closed one: EBADF', () => {
    const [r, w] = pipe();
    close(w);
    try {
      assert.throws(() => pidfdSendSignal(r, 0), { code: 'EBADF', syscall: 'pidfd_send_signal' });
    } finally {
      close(r);
    }
    assert.throws(() => pidfdSendSignal(w, 0), { code: 'EBADF' });
  });
});

leakCheck();
