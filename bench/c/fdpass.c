/*
 * The limit for bench/handoff.ts: one 1-byte message carrying one fd over a Unix
 * socketpair, received (MSG_CMSG_CLOEXEC, control buffer sized exactly), and the
 * received fd closed, in a loop. Compiled by bench/handoff.ts with `cc -O2` into
 * bench/.build/fdpass-c.
 *
 *   fdpass-c WINDOW_MS        prints messages per second
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void round_trip(int a, int b, int passed) {
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  char one = 'x', buf[16];
  struct iovec out = {&one, 1};
  struct msghdr m = {.msg_iov = &out, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_SPACE(sizeof(int))};
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passed, sizeof(int));
  if (sendmsg(a, &m, MSG_NOSIGNAL) != 1) perror("sendmsg"), exit(1);
  struct iovec in = {buf, sizeof buf};
  struct msghdr r = {.msg_iov = &in, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = CMSG_LEN(sizeof(int))};
  if (recvmsg(b, &r, MSG_CMSG_CLOEXEC) != 1) perror("recvmsg"), exit(1);
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof fd);
  close(fd);
}

int main(int argc, char **argv) {
  double window = (argc > 1 ? atof(argv[1]) : 1000) / 1000;
  int sv[2], x[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) || socketpair(AF_UNIX, SOCK_STREAM, 0, x))
    return perror("socketpair"), 1;
  for (int i = 0; i < 20000; i++) round_trip(sv[0], sv[1], x[0]);
  long n = 0;
  double t0 = now(), t;
  do {
    for (int i = 0; i < 1000; i++) round_trip(sv[0], sv[1], x[0]);
    n += 1000;
  } while ((t = now()) - t0 < window);
  printf("%f\n", n / (t - t0));
  return 0;
}
