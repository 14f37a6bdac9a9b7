/*
 * The C peers of bench/streams.ts, on a FIFO:
 *   fifo read PATH CHUNK          read() until end of file (the limit for readers)
 *   fifo write PATH BYTES CHUNK   write() BYTES in CHUNK-sized writes (the writer for
 *                                 every reader, and the limit for writers)
 * Blocking fds, as a plain C program has them. Prints one JSON line on stdout:
 * {"bytes":N,"seconds":S,"cpuMs":C}, timed from the first byte (reads) or the open
 * (writes) to the end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: fifo read PATH CHUNK | fifo write PATH BYTES CHUNK\n");
    return 2;
  }
  int reading = strcmp(argv[1], "read") == 0;
  size_t chunk = (size_t)atol(argv[reading ? 3 : 4]);
  long long total = reading ? 0 : atoll(argv[3]);
  char *buf = malloc(chunk);
  if (!buf) return 1;
  memset(buf, 'x', chunk);
  int fd = open(argv[2], reading ? O_RDONLY : O_WRONLY);
  if (fd < 0) { perror("open"); return 1; }
  double t0 = 0, c0 = 0;
  long long done = 0;
  if (reading) {
    for (;;) {
      ssize_t n = read(fd, buf, chunk);
      if (n < 0) { perror("read"); return 1; }
      if (n == 0) break;
      if (done == 0) { t0 = now(); c0 = cpu_ms(); }
      done += n;
    }
  } else {
    t0 = now();
    c0 = cpu_ms();
    while (done < total) {
      size_t want = total - done < (long long)chunk ? (size_t)(total - done) : chunk;
      ssize_t n = write(fd, buf, want);
      if (n < 0) { perror("write"); return 1; }
      done += n;
    }
  }
  double secs = now() - t0, cpu = cpu_ms() - c0;
  close(fd);
  printf("{\"bytes\":%lld,\"seconds\":%.6f,\"cpuMs\":%.3f}\n", done, secs, cpu);
  return 0;
}
