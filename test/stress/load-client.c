/*
 * Load client for test/stress/serve.test.ts: opens N TCP connections to
 * 127.0.0.1:PORT (non-blocking connects, epoll), sends one greeting byte on each
 * as soon as it is connected (so that a connection the listener's full queue
 * dropped under loopback's SYN cookies is retransmitted until the server really
 * has it), prints "connected N", waits for a line on stdin, then streams BYTES
 * more bytes on every connection at once
 * (connection i sends only the byte value 32 + (FIRST + i) % 64, so the bytes
 * of each group can be counted on the server's stdout), prints "sent TOTAL",
 * waits for another line, closes everything and exits.
 *
 *   load-client PORT N BYTES FIRST
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "load-client: %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: load-client PORT N BYTES FIRST\n");
    return 2;
  }
  int port = atoi(argv[1]), n = atoi(argv[2]), bytes = atoi(argv[3]), first = atoi(argv[4]);
  int *fds = calloc(n, sizeof *fds), *left = calloc(n, sizeof *left);
  if (!fds || !left) die("calloc");
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fds[i] < 0) die("socket");
    if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) die("connect");
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
  }
  /* Wait until every connect completed (writable, SO_ERROR 0). */
  struct epoll_event evs[1024];
  char *done = calloc(n, 1);
  int connected = 0;
  while (connected < n) {
    int k = epoll_wait(ep, evs, 1024, 120000);
    if (k <= 0) die("epoll_wait (connect)");
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32, err = 0;
      socklen_t len = sizeof err;
      getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len);
      if (err) {
        /* Loopback under a connect storm (and other tests on the machine) can reset
         * or time out a handshake: a real client retries, so do we, a few times. */
        static int retries = 0;
        if (++retries > n / 10 + 10) {
          errno = err;
          die("connect (SO_ERROR), too many retries");
        }
        epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL);
        close(fds[i]);
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fds[i] < 0) die("socket");
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) die("connect");
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
        continue;
      }
      if (!done[i]) {
        char hello = (char)(32 + (first + i) % 64);
        if (send(fds[i], &hello, 1, MSG_NOSIGNAL) != 1) die("send (greeting)");
        done[i] = 1;
        connected++;
        struct epoll_event ev = {.events = 0, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
      }
    }
  }
  printf("connected %d\n", connected);
  fflush(stdout);
  char line[64];
  if (!fgets(line, sizeof line, stdin)) return 0;
  /* Stream: every connection sends `bytes` bytes of its group's value. */
  char buf[4096];
  long total = n; /* the greetings */
  int active = n;
  for (int i = 0; i < n; i++) {
    left[i] = bytes;
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
  }
  while (active > 0) {
    int k = epoll_wait(ep, evs, 1024, 120000);
    if (k <= 0) die("epoll_wait (send)");
    for (int j = 0; j < k; j++) {
      int i = (int)evs[j].data.u32;
      memset(buf, 32 + (first + i) % 64, sizeof buf);
      while (left[i] > 0) {
        ssize_t w = send(fds[i], buf, left[i] < (int)sizeof buf ? left[i] : (int)sizeof buf, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno == EAGAIN) break;
          die("send");
        }
        left[i] -= (int)w;
        total += w;
      }
      if (left[i] == 0) {
        struct epoll_event ev = {.events = 0, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
        left[i] = -1;
        active--;
      }
    }
  }
  printf("sent %ld\n", total);
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin)) return 0;
  for (int i = 0; i < n; i++) close(fds[i]);
  printf("closed\n");
  fflush(stdout);
  return 0;
}
