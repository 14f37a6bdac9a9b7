"""Python's select.epoll on the two bench workloads (see bench/run.ts).

    python3 peer.py pingpong|fanin WARMUP_MS DURATION_MS FAN_IN

Prints one JSON object on stdout: {"count": N, "seconds": S, "cpuSeconds": C,
"userSeconds": U, "systemSeconds": K}.
"""
import json
import os
import select
import sys
import time


def pingpong(ep, a, b, end):
    trips = 0
    ar, aw = a
    br, bw = b
    poll, read, write, clock = ep.poll, os.read, os.write, time.perf_counter
    while True:
        for fd, _ in poll():
            byte = read(fd, 1)
            if fd == ar:
                write(bw, byte)
            else:
                write(aw, byte)
                trips += 1
                if trips & 255 == 0 and clock() >= end:
                    return trips


def fanin(ep, write_end, end):
    events = 0
    poll, read, write, clock = ep.poll, os.read, os.write, time.perf_counter
    while True:
        # Handling an event: read the byte and write it back, so the pipe is ready again.
        batch = poll()
        for fd, _ in batch:
            write(write_end[fd], read(fd, 1))
        events += len(batch)
        if clock() >= end:
            return events


def main():
    workload, warmup_ms, duration_ms, fan = sys.argv[1], *map(float, sys.argv[2:5])
    warmup, duration = warmup_ms / 1000, duration_ms / 1000
    ep = select.epoll()
    if workload == 'pingpong':
        a, b = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC), os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        ep.register(a[0], select.EPOLLIN)
        ep.register(b[0], select.EPOLLIN)
        os.write(a[1], b'x')
        pingpong(ep, a, b, time.perf_counter() + warmup)
        t0, c0 = time.perf_counter(), os.times()
        count = pingpong(ep, a, b, t0 + duration)
    elif workload == 'fanin':
        pipes = [os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC) for _ in range(int(fan))]
        write_end = [0] * (max(max(p) for p in pipes) + 1)  # indexed by read end, as C's array
        for r, w in pipes:
            write_end[r] = w
            os.write(w, b'x')
            ep.register(r, select.EPOLLIN)
        fanin(ep, write_end, time.perf_counter() + warmup)
        t0, c0 = time.perf_counter(), os.times()
        count = fanin(ep, write_end, t0 + duration)
    else:
        sys.exit(f'peer.py: unknown workload {workload}')
    t1, c1 = time.perf_counter(), os.times()
    user, system = c1.user - c0.user, c1.system - c0.system
    print(json.dumps({'count': count, 'seconds': t1 - t0, 'cpuSeconds': user + system,
                      'userSeconds': user, 'systemSeconds': system}))


if __name__ == '__main__':
    main()
