/* epoll(7): create, control, wait. The fd's owner is the handle in watch.c. */
#include "ioready.h"

#include <stdlib.h>
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
 * poll()'s scratch arrays, bound once per module instance (epollScratch) so
 * that the hot call converts no array: a few slots per env, as one process
 * may load two copies of the TypeScript over one addon (say, src/ and dist/).
 */
#define SCRATCH_SLOTS 8
typedef struct {
  int count;
  struct {
    napi_ref ref;
    int32_t *out;
    size_t len; /* int32s */
  } slot[SCRATCH_SLOTS];
} scratch_t;

static void scratch_finalize(napi_env env, void *data, void *hint) {
  scratch_t *s = data;
  /* SAFETY: i < count <= SCRATCH_SLOTS. */
  for (int i = 0; i < s->count; i++) napi_delete_reference(env, s->slot[i].ref);
  free(s);
}

/* epollScratch(out: Int32Array) -> slot | -errno: where epollWait(..., slot) writes. */
static napi_value epoll_scratch_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t *out;
  size_t len;
  if (!get_args(env, info, 1, argv) || !arg_int32_array(env, argv[0], &out, &len)) return NULL;
  scratch_t *s = NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok) s = NULL;
  if (s == NULL) {
    if ((s = calloc(1, sizeof *s)) == NULL) return ret_int(env, -ENOMEM);
    if (napi_set_instance_data(env, s, scratch_finalize, NULL) != napi_ok) {
      free(s);
      ioready_throw_last(env);
      return NULL;
    }
  }
  if (s->count == SCRATCH_SLOTS) return ret_int(env, -ENOSPC);
  int k = s->count;
  /* SAFETY: k < SCRATCH_SLOTS (checked above). */
  NAPI_CALL(env, napi_create_reference(env, argv[0], 1, &s->slot[k].ref));
  s->slot[k].out = out;
  s->slot[k].len = len;
  s->count++;
  return ret_int(env, k);
}

/*
 * epollWait(epfd, timeoutMs, slot[, maxEvents]) -> n | -errno
 * timeoutMs is a whole number of ms (-1: forever), already rounded up by the
 * caller. Writes n (fd, events) pairs into the scratch array of `slot`
 * (epollScratch), at most maxEvents (default: as many as fit). EINTR is retried with the time that remains (PEP 475), so a
 * signal never shortens nor lengthens the wait.
 */
static napi_value epoll_wait_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  int32_t epfd, timeout, k, max = EPOLL_BATCH_CAP;
  scratch_t *s = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    ioready_throw_last(env);
    return NULL;
  }
  /* Without maxEvents, one int fewer to convert: poll()'s usual call. */
  if (!arg_int32(env, argv[0], &epfd) || !arg_int32(env, argv[1], &timeout) || !arg_int32(env, argv[2], &k) ||
      (argc > 3 && !arg_int32(env, argv[3], &max)))
    return NULL;
  if (napi_get_instance_data(env, (void **)&s) != napi_ok || s == NULL || k < 0 || k >= s->count)
    return ret_int(env, -EINVAL);
  /* SAFETY: 0 <= k < count; max is clamped to both the stack buffer and the pairs the scratch holds. */
  int32_t *out = s->slot[k].out;
  if (max < 1 || max > EPOLL_BATCH_CAP) max = EPOLL_BATCH_CAP;
  if ((size_t)max > s->slot[k].len / 2) max = (int32_t)(s->slot[k].len / 2);
  if (max < 1) return ret_int(env, -EINVAL);

  struct epoll_event evs[EPOLL_BATCH_CAP];
  int n = (int)RETRY_EINTR_TIMED(timeout, epoll_wait(epfd, evs, max, timeout));
  /* SAFETY: n <= max, which fits both evs and out (clamped above). */
  if (n > 0) copy_events(out, evs, n);
  return ret_errno_or(env, n);
}

bool init_epoll(napi_env env, napi_value exports) {
  return export_fn(env, exports, "epollCreate", epoll_create_js) &&
         export_fn(env, exports, "epollCtl", epoll_ctl_js) &&
         export_fn(env, exports, "epollScratch", epoll_scratch_js) &&
         export_fn(env, exports, "epollWait", epoll_wait_js);
}
