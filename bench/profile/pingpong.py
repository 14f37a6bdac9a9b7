"""Ping-pong for callgrind: N round trips through select.epoll (see pingpong.ts)."""
import os
import select
import sys

count = int(sys.argv[1])
ep = select.epoll()
ar, aw = os.pipe2(os.O_NONBLOCK)
br, bw = os.pipe2(os.O_NONBLOCK)
ep.register(ar, select.EPOLLIN)
ep.register(br, select.EPOLLIN)
os.write(aw, b'x')
trips = 0
poll, read, write = ep.poll, os.read, os.write
while trips < count:
    for fd, _ in poll():
        byte = read(fd, 1)
        if fd == ar:
            write(bw, byte)
        else:
            trips += 1
            write(aw, byte)
