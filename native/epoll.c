/* epoll(7): create, control, wait. The fd's owner is the handle in watch.c. */
#include "ioready.h"

#include <sys/epoll.h>

void copy_events(int32_t *out, const struct epoll_event *evs, int n) {
  /* SAFETY: the caller guarantees evs holds n events and out 2 * n int32s. */
  for (int i = 0; i < n; i++) {
    out[2 * i] = (int32_t)(uint32_t)evs[i].data.u64; /* data.u64 carries the fd (epoll_ctl_js) */
    out[2 * i + 1] = (int32_t)evs[i].events;
  }
}

/* epollCreate(cloexec: boolean) -> fd | -errno */
static napi_value epoll_create_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool cloexec;
  if (!get_args(env, info, 1, argv) || !arg_bool(env, argv[0], &cloexec)) return NULL;
  return ret_errno_or(env, epoll_create1(cloexec ? EPOLL_CLOEXEC : 0));
}

/* epollCtl(epfd, op, fd, events) -> 0 | -errno. data.u64 carries the fd. */
static napi_value epoll_ctl_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t epfd, op, fd;
  uint32_t events;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &epfd) ||
      !arg_int32(env, argv[1], &op) || !arg_int32(env, argv[2], &fd) ||
      !arg_uint32(env, argv[3], &events))
    return NULL;
  struct epoll_event ev = {.events = events, .data = {.u64 = (uint32_t)fd}};
  return ret_errno_or(env, epoll_ctl(epfd, op, fd, &ev));
}

/*
 * epollWait(epfd, timeoutMs, maxEvents, out: Int32Array) -> n | -errno
 * timeoutMs is a whole number of ms (-1: forever), already rounded up by the
 * caller. Writes n (fd, events) pairs into out. EINTR is retried with the time
 * that remains (PEP 475), so a signal never shortens nor lengthens the wait.
 */
static napi_value epoll_wait_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t epfd, timeout, max;
  int32_t *out;
  size_t out_len;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &epfd) ||
      !arg_int32(env, argv[1], &timeout) || !arg_int32(env, argv[2], &max) ||
      !arg_int32_array(env, argv[3], &out, &out_len))
    return NULL;
  /* SAFETY: max is clamped to both the stack buffer and the pairs out can hold. */
  if (max < 1 || max > EPOLL_BATCH_CAP) max = EPOLL_BATCH_CAP;
  if ((size_t)max > out_len / 2) max = (int32_t)(out_len / 2);
  if (max < 1) return ret_int(env, -EINVAL);

  struct epoll_event evs[EPOLL_BATCH_CAP];
  int n = (int)RETRY_EINTR_TIMED(timeout, epoll_wait(epfd, evs, max, timeout));
  if (n < 0) return ret_int(env, -errno);
  /* SAFETY: n <= max, which fits both evs and out (clamped above). */
  copy_events(out, evs, n);
  return ret_int(env, n);
}

bool init_epoll(napi_env env, napi_value exports) {
  return export_fn(env, exports, "epollCreate", epoll_create_js) &&
         export_fn(env, exports, "epollCtl", epoll_ctl_js) &&
         export_fn(env, exports, "epollWait", epoll_wait_js);
}
