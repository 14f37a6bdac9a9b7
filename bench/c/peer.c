/*
 * The limit: the two bench workloads written against epoll_wait directly.
 * Compiled by bench/run.ts with `cc -O2` into bench/.build/peer-c.
 *
 *   peer-c pingpong|fanin WARMUP_MS DURATION_MS FAN_IN
 *
 * Prints one JSON object on stdout: {"count": N, "seconds": S, "cpuSeconds": C,
 * "userSeconds": U, "systemSeconds": K},
 * where count is round trips (ping-pong) or ready events handled (fan-in: each
 * reads the pipe's byte and writes it back) during the measured window, after WARMUP_MS of the same work, and C the
 * process's CPU time in that window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1024 /* the same batch size as ioready's start() */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process, all threads: user and system, in seconds. */
static void cpu(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "peer-c: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void make_pipe(int p[2]) {
  if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) die("pipe2");
}

static void add(int ep, int fd) {
  struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

/* Count until the clock passes `end`, checking it every 256 round trips. */
static uint64_t pingpong(int ep, int a[2], int b[2], double end, volatile uint64_t *sink) {
  struct epoll_event evs[BATCH];
  char byte;
  uint64_t trips = 0;
  for (;;) {
    int n = epoll_wait(ep, evs, BATCH, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (read(fd, &byte, 1) != 1) die("read");
      if (fd == a[0]) {
        if (write(b[1], &byte, 1) != 1) die("write");
      } else {
        if (write(a[1], &byte, 1) != 1) die("write");
        if ((++trips & 255) == 0 && now() >= end) {
          *sink += trips;
          return trips;
        }
      }
    }
  }
}

/* Handling a fan-in event: read the byte and write it back, so the pipe is ready again. */
static uint64_t fanin(int ep, const int *write_end, double end) {
  struct epoll_event evs[BATCH];
  uint64_t events = 0;
  char byte;
  for (;;) {
    int n = epoll_wait(ep, evs, BATCH, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (read(fd, &byte, 1) != 1) die("read");
      if (write(write_end[fd], &byte, 1) != 1) die("write");
    }
    events += (uint64_t)n;
    if (now() >= end) return events;
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: peer-c pingpong|fanin WARMUP_MS DURATION_MS FAN_IN\n");
    return 2;
  }
  const char *workload = argv[1];
  double warmup = atof(argv[2]) / 1000, duration = atof(argv[3]) / 1000;
  int fan = atoi(argv[4]);
  volatile uint64_t sink = 0;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  uint64_t count;
  double t0, t1, u0, s0, u1, s1;

  if (strcmp(workload, "pingpong") == 0) {
    int a[2], b[2];
    make_pipe(a);
    make_pipe(b);
    add(ep, a[0]);
    add(ep, b[0]);
    if (write(a[1], "x", 1) != 1) die("write");
    pingpong(ep, a, b, now() + warmup, &sink);
    t0 = now();
    cpu(&u0, &s0);
    count = pingpong(ep, a, b, t0 + duration, &sink);
    t1 = now();
  } else if (strcmp(workload, "fanin") == 0) {
    /* write_end[read end] = its pipe's write end; fds are below 2 * fan + 16 here. */
    int *write_end = calloc((size_t)(2 * fan + 16), sizeof *write_end);
    if (write_end == NULL) die("calloc");
    for (int i = 0; i < fan; i++) {
      int p[2];
      make_pipe(p);
      if (p[0] >= 2 * fan + 16) {
        errno = EMFILE;
        die("fd numbers higher than expected");
      }
      write_end[p[0]] = p[1];
      if (write(p[1], "x", 1) != 1) die("write");
      add(ep, p[0]);
    }
    fanin(ep, write_end, now() + warmup);
    t0 = now();
    cpu(&u0, &s0);
    count = fanin(ep, write_end, t0 + duration);
    t1 = now();
  } else {
    fprintf(stderr, "peer-c: unknown workload %s\n", workload);
    return 2;
  }
  cpu(&u1, &s1);
  printf("{\"count\": %llu, \"seconds\": %.6f, \"cpuSeconds\": %.6f, \"userSeconds\": %.6f, \"systemSeconds\": %.6f}\n",
         (unsigned long long)count, t1 - t0, (u1 - u0) + (s1 - s0), u1 - u0, s1 - s0);
  return 0;
}
