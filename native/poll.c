/*
 * poll(2) and select(2): the two older readiness calls, for Poll, select() and
 * the Poll/Select selectors. Both take their fds from Int32Arrays the caller
 * owns and report back into caller-given memory; TypeScript keeps the
 * registrations and turns results into objects.
 */
#include "ioready.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

/* Up to this many pollfds live on the stack; more are malloc'ed for the call. */
#define POLL_STACK_FDS 64

/*
 * pollWait(fds: Int32Array, nfds, timeoutMs, out: Int32Array) -> n | -errno
 * fds holds nfds (fd, events) pairs. The n fds with non-zero revents are
 * written to out as (fd, revents) pairs, in the order of fds. timeoutMs is a
 * whole number of ms, -1 for forever; EINTR retries with the time that remains.
 */
static napi_value poll_wait_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t *fds, *out, nfds, timeout;
  size_t fds_len, out_len;
  if (!get_args(env, info, 4, argv) || !arg_int32_array(env, argv[0], &fds, &fds_len) ||
      !arg_int32(env, argv[1], &nfds) || !arg_int32(env, argv[2], &timeout) ||
      !arg_int32_array(env, argv[3], &out, &out_len))
    return NULL;
  /* SAFETY: both arrays must hold nfds pairs: every fds[2i+1] and out[2k+1] below has i, k < nfds. */
  if (nfds < 0 || (size_t)nfds > fds_len / 2 || (size_t)nfds > out_len / 2) return ret_int(env, -EINVAL);

  struct pollfd stack[POLL_STACK_FDS];
  struct pollfd *pfds = stack;
  if (nfds > POLL_STACK_FDS) {
    pfds = malloc((size_t)nfds * sizeof *pfds);
    if (pfds == NULL) return ret_int(env, -ENOMEM);
  }
  /* SAFETY: pfds has room for nfds entries (stack when nfds <= POLL_STACK_FDS, else malloc'ed). */
  for (int32_t i = 0; i < nfds; i++) {
    pfds[i].fd = fds[2 * i];
    pfds[i].events = (short)fds[2 * i + 1];
    pfds[i].revents = 0;
  }
  int r = (int)RETRY_EINTR_TIMED(timeout, poll(pfds, (nfds_t)nfds, timeout));
  int saved = errno;
  int32_t n = 0;
  if (r > 0) {
    for (int32_t i = 0; i < nfds; i++) {
      if (pfds[i].revents == 0) continue;
      /* SAFETY: n <= i < nfds, and out holds nfds pairs. */
      out[2 * n] = pfds[i].fd;
      out[2 * n + 1] = (int32_t)(uint16_t)pfds[i].revents;
      n++;
    }
  }
  if (pfds != stack) free(pfds);
  return ret_int(env, r < 0 ? -(int64_t)saved : n);
}

/* Put every fd of arr into set; false if one is outside [0, FD_SETSIZE). */
static bool fill_set(fd_set *set, const int32_t *arr, size_t len, int *maxfd) {
  FD_ZERO(set);
  /* SAFETY: i < len, arr's element count. */
  for (size_t i = 0; i < len; i++) {
    /* SAFETY: FD_SET indexes a FD_SETSIZE-bit array; fds outside it are refused, not set. */
    if (arr[i] < 0 || arr[i] >= FD_SETSIZE) return false;
    FD_SET(arr[i], set);
    if (arr[i] > *maxfd) *maxfd = arr[i];
  }
  return true;
}

/* Replace each fd of arr that is not in set by -1. */
static void keep_ready(const fd_set *set, int32_t *arr, size_t len) {
  /* SAFETY: i < len; every arr[i] passed fill_set, so it is in [0, FD_SETSIZE). */
  for (size_t i = 0; i < len; i++)
    if (!FD_ISSET(arr[i], set)) arr[i] = -1;
}

/* One select(2) on copies of the wanted sets (select leaves them undefined on error). */
static int select_once(const fd_set want[3], fd_set got[3], int nfds, int32_t timeout) {
  memcpy(got, want, 3 * sizeof *got);
  struct timeval tv = {.tv_sec = timeout / 1000, .tv_usec = (timeout % 1000) * 1000};
  return select(nfds, &got[0], &got[1], &got[2], timeout < 0 ? NULL : &tv);
}

/*
 * selectWait(read: Int32Array, write: Int32Array, except: Int32Array, timeoutMs) -> n | -errno
 * Each array lists fds (each < FD_SETSIZE, or -EINVAL). On return every fd
 * that is not ready in its set is replaced by -1, in place; n is select's
 * count. timeoutMs is whole ms, -1 for forever; EINTR retries with the time
 * that remains.
 */
static napi_value select_wait_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t *arr[3];
  size_t len[3];
  int32_t timeout;
  if (!get_args(env, info, 4, argv)) return NULL;
  for (int k = 0; k < 3; k++)
    if (!arg_int32_array(env, argv[k], &arr[k], &len[k])) return NULL;
  if (!arg_int32(env, argv[3], &timeout)) return NULL;

  /*
   * select(2) ignores bits past the end of the process's fd table, and leaves
   * them set in the result: a closed fd numbered beyond the table would come
   * back "ready". Ask the kernel about each fd first, so every closed one is
   * EBADF, as select says for those within the table.
   */
  /* SAFETY: i < len[k], the element count of arr[k]. */
  for (int k = 0; k < 3; k++)
    for (size_t i = 0; i < len[k]; i++)
      if (arr[k][i] >= 0 && fcntl(arr[k][i], F_GETFD) < 0 && errno == EBADF) return ret_int(env, -EBADF);

  fd_set want[3], got[3];
  int maxfd = -1;
  for (int k = 0; k < 3; k++)
    if (!fill_set(&want[k], arr[k], len[k], &maxfd)) return ret_int(env, -EINVAL);
  int r = (int)RETRY_EINTR_TIMED(timeout, select_once(want, got, maxfd + 1, timeout));
  if (r < 0) return ret_int(env, -errno);
  for (int k = 0; k < 3; k++) keep_ready(&got[k], arr[k], len[k]);
  return ret_int(env, r);
}

bool init_poll(napi_env env, napi_value exports) {
  return export_fn(env, exports, "pollWait", poll_wait_js) &&
         export_fn(env, exports, "selectWait", select_wait_js);
}
