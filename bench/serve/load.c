/*
 * Load client for `npm run bench -- serve`: N TCP connections to HOST:PORT, each
 * streaming 64-byte messages (one send(2) per message) as fast as the kernel
 * takes them, from one epoll loop. Runs for WARMUP_MS + DURATION_MS, then
 * half-closes every connection and waits for the server to close its side
 * (so every byte sent was read). Prints two JSON lines: {"connected": N} once
 * every connection is up (the warm-up starts then), and at the end
 *   {"connected": N, "sent": bytes in total, "seconds": ...}
 * Usage: load HOST PORT CONNECTIONS MSG_SIZE WARMUP_MS DURATION_MS
 *        load HOST PORT CONNECTIONS --idle HOLD_MS   (connect, send nothing, hold)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: load HOST PORT CONNECTIONS MSG_SIZE WARMUP_MS DURATION_MS | HOST PORT N --idle HOLD_MS\n");
    return 2;
  }
  int n = atoi(argv[3]);
  int idle = strcmp(argv[4], "--idle") == 0;
  int msg = idle ? 0 : atoi(argv[4]);
  double warmup = idle ? 0 : atof(argv[5]) / 1000;
  double duration = atof(argv[idle ? 5 : 6]) / 1000;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) die("inet_pton");
  struct rlimit rl = {n + 64, n + 64};
  setrlimit(RLIMIT_NOFILE, &rl);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  int *fds = calloc(n, sizeof(int));
  for (int i = 0; i < n; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fds[i] < 0) die("socket");
    if (connect(fds[i], (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    int one = 1;
    setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  printf("{\"connected\": %d}\n", n);
  fflush(stdout);
  if (idle) {
    usleep((useconds_t)(duration * 1e6));
    return 0;
  }
  char *buf = malloc(msg);
  for (int i = 0; i < msg; i++) buf[i] = 'a' + i % 26;
  buf[msg - 1] = '\n';
  for (int i = 0; i < n; i++) {
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) < 0) die("epoll_ctl");
  }
  long long sent = 0;
  double start = now(), end = start + warmup + duration;
  struct epoll_event evs[1024];
  while (now() < end) {
    int k = epoll_wait(ep, evs, 1024, 100);
    for (int j = 0; j < k; j++) {
      int fd = fds[evs[j].data.u32];
      ssize_t w = send(fd, buf, msg, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0 && errno != EAGAIN) die("send");
      if (w > 0) sent += w; /* bytes are what is counted: a partial message just goes on later */
    }
  }
  for (int i = 0; i < n; i++) shutdown(fds[i], SHUT_WR);
  /* Wait for the server to close each connection: it read everything. */
  for (int i = 0; i < n; i++) {
    char c;
    struct timeval tv = {30, 0};
    setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (recv(fds[i], &c, 1, 0) > 0) {
    }
    close(fds[i]);
  }
  printf("{\"connected\": %d, \"sent\": %lld, \"seconds\": %.6f}\n", n, sent, now() - start);
  return 0;
}
