/*
 * What the nested epoll costs, in C (no JavaScript): ping-pong between two
 * pipes, one byte in flight, in three shapes.
 *
 *   nested plain|nested|repoll ROUND_TRIPS
 *
 * - plain:  one epoll, epoll_wait blocks (bench/c/peer.c's loop).
 * - nested: the pipes are in an inner epoll whose fd is watched by an outer
 *           one, as libuv watches an Epoll's fd: each wake-up is
 *           epoll_wait(outer) then epoll_wait(inner, 0) (ioready start() with
 *           one batch per wake-up, minus JavaScript and libuv's loop).
 * - repoll: the same, but after each batch the inner epoll is polled again
 *           (up to 16 batches per outer wake-up), as start() does by default.
 * Prints {"mode", "trips", "ns_per_trip", "user_s", "sys_s"} as JSON.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "nested: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(int ep, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

static int a[2], b[2];

/* Handle one batch; returns the round trips it completed. */
static long handle(const struct epoll_event *evs, int n) {
  long trips = 0;
  char byte;
  for (int i = 0; i < n; i++) {
    int fd = evs[i].data.fd;
    if (read(fd, &byte, 1) != 1) die("read");
    if (write(fd == a[0] ? b[1] : a[1], &byte, 1) != 1) die("write");
    if (fd != a[0]) trips++;
  }
  return trips;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: nested plain|nested|repoll ROUND_TRIPS\n");
    return 2;
  }
  const char *mode = argv[1];
  long want = atol(argv[2]);
  if (pipe2(a, O_NONBLOCK) < 0 || pipe2(b, O_NONBLOCK) < 0) die("pipe2");
  int inner = epoll_create1(0), outer = epoll_create1(0);
  if (inner < 0 || outer < 0) die("epoll_create1");
  add(inner, a[0]);
  add(inner, b[0]);
  add(outer, inner);
  int nested = strcmp(mode, "plain") != 0, rounds = strcmp(mode, "repoll") == 0 ? 16 : 1;
  if (!nested && strcmp(mode, "plain") != 0) return 2;
  struct epoll_event evs[64], oev;
  if (write(a[1], "x", 1) != 1) die("write");
  double t0 = now();
  long trips = 0;
  while (trips < want) {
    if (!nested) {
      int n = epoll_wait(inner, evs, 64, -1);
      if (n < 0) die("epoll_wait");
      trips += handle(evs, n);
      continue;
    }
    if (epoll_wait(outer, &oev, 1, -1) < 0) die("epoll_wait outer");
    for (int r = 0; r < rounds; r++) {
      int n = epoll_wait(inner, evs, 64, 0);
      if (n < 0) die("epoll_wait inner");
      if (n == 0) break;
      trips += handle(evs, n);
    }
  }
  double t1 = now();
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  printf("{\"mode\": \"%s\", \"trips\": %ld, \"ns_per_trip\": %.1f, \"user_s\": %.3f, \"sys_s\": %.3f}\n", mode, trips,
         (t1 - t0) * 1e9 / (double)trips, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
         ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 0;
}
