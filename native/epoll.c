/* epoll(7): create, control, wait. The fd's owner is the handle in watch.c. */
#include "ioready.h"

#include <poll.h>
#include <sys/epoll.h>
#include <time.h>

/* Largest batch one epoll_wait may return; documented in the README (maxEvents cap). */
#define EPOLL_BATCH_CAP 4096

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
  int64_t deadline = deadline_after(timeout);
  int n;
  for (;;) {
    n = epoll_wait(epfd, evs, max, timeout);
    if (n >= 0 || errno != EINTR) break;
    timeout = time_left(timeout, deadline);
  }
  if (n < 0) return ret_int(env, -errno);
  for (int i = 0; i < n; i++) {
    out[2 * i] = (int32_t)(uint32_t)evs[i].data.u64;
    out[2 * i + 1] = (int32_t)evs[i].events;
  }
  return ret_int(env, n);
}

bool init_epoll(napi_env env, napi_value exports) {
  napi_value c;
  if (napi_create_object(env, &c) != napi_ok) return false;
#define K(name) if (!export_const(env, c, #name, (double)(uint32_t)(name))) return false;
  K(EPOLLIN) K(EPOLLPRI) K(EPOLLOUT) K(EPOLLERR) K(EPOLLHUP) K(EPOLLRDNORM) K(EPOLLRDBAND)
  K(EPOLLWRNORM) K(EPOLLWRBAND) K(EPOLLMSG) K(EPOLLRDHUP) K(EPOLLEXCLUSIVE) K(EPOLLWAKEUP)
  K(EPOLLONESHOT) K(EPOLLET) K(EPOLL_CTL_ADD) K(EPOLL_CTL_MOD) K(EPOLL_CTL_DEL) K(EPOLL_CLOEXEC)
  K(POLLIN) K(POLLPRI) K(POLLOUT) K(POLLERR) K(POLLHUP) K(POLLNVAL) K(POLLRDNORM)
  K(POLLRDBAND) K(POLLWRNORM) K(POLLWRBAND) K(POLLMSG) K(POLLRDHUP)
#undef K
  if (!export_const(env, c, "EPOLL_BATCH_CAP", EPOLL_BATCH_CAP)) return false;
  return napi_set_named_property(env, exports, "epollConstants", c) == napi_ok &&
         export_fn(env, exports, "epollCreate", epoll_create_js) &&
         export_fn(env, exports, "epollCtl", epoll_ctl_js) &&
         export_fn(env, exports, "epollWait", epoll_wait_js);
}
