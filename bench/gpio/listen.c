/*
 * The bench's limit: a C epoll loop on a GPIO line request fd (uAPI v2, no
 * libgpiod). It requests OFFSET of CHIP as an input with both edges, says
 * "ready" on stdout (a buffer of 1,024 events, the kernel's largest), then for every event records its seqno, its kernel
 * timestamp and the time it was read (CLOCK_MONOTONIC, as the timestamp),
 * until SIGTERM; then prints one "seqno timestamp_ns delivered_ns" line per
 * event. The same work per event as the Node peers (bench/gpio/peer.js).
 *
 *   listen /dev/gpiochip1 3
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 1000000
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: listen CHIP OFFSET\n");
    return 2;
  }
  int chip = open(argv[1], O_RDWR | O_CLOEXEC);
  if (chip < 0) {
    fprintf(stderr, "listen: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  struct gpio_v2_line_request req;
  memset(&req, 0, sizeof req);
  req.offsets[0] = (uint32_t)atoi(argv[2]);
  req.num_lines = 1;
  req.event_buffer_size = 1024; /* the kernel's largest, as every peer (and compat/onoff) asks */
  strcpy(req.consumer, "bench-c");
  req.config.flags = GPIO_V2_LINE_FLAG_INPUT | GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING;
  if (ioctl(chip, GPIO_V2_GET_LINE_IOCTL, &req) < 0) {
    fprintf(stderr, "listen: GPIO_V2_GET_LINE_IOCTL: %s\n", strerror(errno));
    return 1;
  }
  close(chip);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event want = {.events = EPOLLIN, .data.fd = req.fd};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, req.fd, &want) < 0) {
    fprintf(stderr, "listen: epoll: %s\n", strerror(errno));
    return 1;
  }
  uint32_t *seqno = calloc(MAX_EVENTS, sizeof *seqno);
  uint64_t *stamp = calloc(MAX_EVENTS, sizeof *stamp);
  uint64_t *seen = calloc(MAX_EVENTS, sizeof *seen);
  if (seqno == NULL || stamp == NULL || seen == NULL) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  long n = 0;
  struct gpio_v2_line_event buf[BATCH];
  while (!stop) {
    struct epoll_event got;
    int r = epoll_wait(ep, &got, 1, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      fprintf(stderr, "listen: epoll_wait: %s\n", strerror(errno));
      return 1;
    }
    if (r == 0) continue;
    /* SAFETY: read() writes at most sizeof buf bytes into buf. */
    ssize_t len = read(req.fd, buf, sizeof buf);
    if (len < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      fprintf(stderr, "listen: read: %s\n", strerror(errno));
      return 1;
    }
    uint64_t t = now_ns();
    for (long i = 0; i < len / (long)sizeof buf[0] && n < MAX_EVENTS; i++, n++) {
      seqno[n] = buf[i].seqno;
      stamp[n] = buf[i].timestamp_ns;
      seen[n] = t;
    }
  }
  for (long i = 0; i < n; i++) printf("%u %llu %llu\n", seqno[i], (unsigned long long)stamp[i], (unsigned long long)seen[i]);
  return 0;
}
