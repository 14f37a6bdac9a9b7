/*
 * Special fds: eventfd(2), timerfd_create(2), inotify(7). Only creation and
 * control live here; their values are read and written with the plain
 * read/write of fd.c, and decoded in TypeScript (src/eventfd.ts, src/timerfd.ts,
 * src/inotify.ts).
 */
#include "ioready.h"

#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>

/* eventfd(initval, flags) -> fd | -errno */
static napi_value eventfd_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t initval;
  int32_t flags;
  if (!get_args(env, info, 2, argv) || !arg_uint32(env, argv[0], &initval) || !arg_int32(env, argv[1], &flags))
    return NULL;
  return ret_errno_or(env, eventfd(initval, flags));
}

/* timerfd_create(clockid, flags) -> fd | -errno */
static napi_value timerfd_create_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* clockid, flags */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, timerfd_create(a[0], a[1]));
}

/*
 * A struct itimerspec travels as 4 doubles (whole numbers, exact below 2^53):
 * [value.tv_sec, value.tv_nsec, interval.tv_sec, interval.tv_nsec].
 */
static bool arg_spec4(napi_env env, napi_value v, double **out) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t count, offset;
  napi_value ab;
  void *p;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &count, &p, &ab, &offset) != napi_ok ||
      type != napi_float64_array || count < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a Float64Array of 4");
    return false;
  }
  /* SAFETY: count >= 4 was just checked, so out[0..3] are in bounds. */
  *out = p;
  return true;
}

static void spec_to_array(const struct itimerspec *s, double *out) {
  /* SAFETY: out passed arg_spec4, so it holds at least 4 doubles. */
  out[0] = (double)s->it_value.tv_sec;
  out[1] = (double)s->it_value.tv_nsec;
  out[2] = (double)s->it_interval.tv_sec;
  out[3] = (double)s->it_interval.tv_nsec;
}

/* timerfd_settime(fd, flags, spec: Float64Array(4) in, old written back) -> 0 | -errno */
static napi_value timerfd_settime_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd, flags;
  double *spec;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) || !arg_int32(env, argv[1], &flags) ||
      !arg_spec4(env, argv[2], &spec))
    return NULL;
  /* SAFETY: spec passed arg_spec4: 4 doubles. */
  /* Converting a double beyond time_t's range is undefined (32-bit arm saturates, so
   * 2^31 s would silently become 2^31 - 1 s): refuse what time_t cannot hold. The
   * limit, 2^31 or 2^63, is exact as a double; the times are >= 0 (checked in TS). */
  const double time_t_limit = (double)((uint64_t)1 << (sizeof(time_t) * 8 - 1));
  if (!(spec[0] < time_t_limit && spec[2] < time_t_limit)) return ret_int(env, -EOVERFLOW);
  struct itimerspec next = {
      .it_value = {.tv_sec = (time_t)spec[0], .tv_nsec = (long)spec[1]},
      .it_interval = {.tv_sec = (time_t)spec[2], .tv_nsec = (long)spec[3]},
  };
  struct itimerspec old;
  int r = timerfd_settime(fd, flags, &next, &old);
  if (r == 0) spec_to_array(&old, spec);
  return ret_errno_or(env, r);
}

/* timerfd_gettime(fd, out: Float64Array(4)) -> 0 | -errno */
static napi_value timerfd_gettime_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  double *out;
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &fd) || !arg_spec4(env, argv[1], &out))
    return NULL;
  struct itimerspec cur;
  int r = timerfd_gettime(fd, &cur);
  if (r == 0) spec_to_array(&cur, out);
  return ret_errno_or(env, r);
}

/* inotify_init1(flags) -> fd | -errno */
static napi_value inotify_init1_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t flags;
  if (!get_args(env, info, 1, argv) || !arg_int32(env, argv[0], &flags)) return NULL;
  return ret_errno_or(env, inotify_init1(flags));
}

/* inotify_add_watch(fd, path: NUL-terminated bytes, mask) -> wd | -errno */
static napi_value inotify_add_watch_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t mask;
  void *data;
  size_t len;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) || !arg_bytes(env, argv[1], &data, &len) ||
      !arg_uint32(env, argv[2], &mask))
    return NULL;
  /* SAFETY: the kernel reads the path up to its NUL, which must lie inside the buffer. */
  if (len == 0 || memchr(data, 0, len) == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ioready native: path must be NUL-terminated");
    return NULL;
  }
  return ret_errno_or(env, inotify_add_watch(fd, (const char *)data, mask));
}

/* inotify_rm_watch(fd, wd) -> 0 | -errno */
static napi_value inotify_rm_watch_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* fd, wd */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, inotify_rm_watch(a[0], a[1]));
}

bool init_fdkinds(napi_env env, napi_value exports) {
  return export_fn(env, exports, "eventfd", eventfd_js) &&
         export_fn(env, exports, "timerfdCreate", timerfd_create_js) &&
         export_fn(env, exports, "timerfdSettime", timerfd_settime_js) &&
         export_fn(env, exports, "timerfdGettime", timerfd_gettime_js) &&
         export_fn(env, exports, "inotifyInit1", inotify_init1_js) &&
         export_fn(env, exports, "inotifyAddWatch", inotify_add_watch_js) &&
         export_fn(env, exports, "inotifyRmWatch", inotify_rm_watch_js);
}
