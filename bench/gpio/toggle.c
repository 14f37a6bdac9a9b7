/*
 * The bench's edge source: toggle a gpio-sim line's simulated pull
 * (pull-up, pull-down, ...) COUNT times at RATE per second, on absolute
 * CLOCK_MONOTONIC deadlines, and write each toggle's time (taken just before
 * its write) to OUT, one "value ns" line each: 1 for pull-up (a rising edge),
 * 0 for pull-down.
 *
 *   toggle /sys/devices/platform/gpio-sim.0/gpiochip0/sim_gpio3/pull 1000 2000 times.txt
 *
 * The line starts pulled down (the harness sets it so), so the first toggle rises.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: toggle PULL_PATH RATE COUNT OUT\n");
    return 2;
  }
  double rate = atof(argv[2]);
  long count = atol(argv[3]);
  if (rate <= 0 || count <= 0) {
    fprintf(stderr, "toggle: RATE and COUNT must be positive\n");
    return 2;
  }
  int fd = open(argv[1], O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "toggle: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  uint64_t *at = calloc((size_t)count, sizeof *at);
  if (at == NULL) return 1;
  uint64_t period = (uint64_t)(1e9 / rate);
  uint64_t start = now_ns() + 1000000; /* 1 ms from now */
  for (long i = 0; i < count; i++) {
    uint64_t due = start + (uint64_t)i * period;
    struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u), .tv_nsec = (long)(due % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
    const char *word = (i & 1) == 0 ? "pull-up" : "pull-down";
    at[i] = now_ns();
    /* SAFETY: word is a string literal of strlen(word) bytes. */
    if (pwrite(fd, word, strlen(word), 0) < 0) {
      fprintf(stderr, "toggle: write %s: %s\n", word, strerror(errno));
      return 1;
    }
  }
  close(fd);
  FILE *out = fopen(argv[4], "w");
  if (out == NULL) {
    fprintf(stderr, "toggle: %s: %s\n", argv[4], strerror(errno));
    return 1;
  }
  for (long i = 0; i < count; i++) fprintf(out, "%d %llu\n", (i & 1) == 0 ? 1 : 0, (unsigned long long)at[i]);
  fclose(out);
  free(at);
  return 0;
}
