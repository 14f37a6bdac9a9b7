# The seed's server (the blog post's epoll example), fixed for Python 3 and
# for its bugs, as examples/seed-server.ts: EPOLLIN | EPOLLRDHUP only, hang-ups
# unregistered and closed, bytes to sys.stdout.buffer, 127.0.0.1, backlog 4096.
# Logging at WARNING (the benchmark compares servers, not log volume).
import logging
import select
import socket
import sys

_PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 9999
_LOGGER = logging.getLogger(__name__)
_CONNECTIONS = {}


def _handle_event(epoll, server, fd, event_type):
    _LOGGER.debug("Received (%d): %s", fd, event_type)
    if fd == server.fileno():
        try:
            c, address = server.accept()
        except BlockingIOError:
            return
        c.setblocking(0)
        epoll.register(c.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
        _CONNECTIONS[c.fileno()] = c
    else:
        c = _CONNECTIONS[fd]
        try:
            b = c.recv(65536)
        except BlockingIOError:
            return
        except ConnectionError:
            b = b''
        if b:
            sys.stdout.buffer.write(b)
            sys.stdout.buffer.flush()
        else:
            epoll.unregister(fd)
            c.close()
            del _CONNECTIONS[fd]


def _run_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', _PORT))
    s.listen(4096)
    s.setblocking(0)
    sys.stderr.write('Listening on 127.0.0.1:%d\n' % s.getsockname()[1])
    sys.stderr.flush()
    e = select.epoll()
    e.register(s.fileno(), select.EPOLLIN)
    while True:
        for fd, event_type in e.poll(1):
            _handle_event(e, s, fd, event_type)


if __name__ == '__main__':
    logging.basicConfig(level=logging.WARNING)
    _run_server()
