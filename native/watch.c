/*
 * The owner of an epoll fd, and its bridge to the Node event loop.
 *
 * A handle (a JS external) owns one epoll fd and closes it exactly once: on
 * handleClose(), when the external is garbage-collected, or when the Node
 * environment (a worker thread, say) is torn down - whichever comes first.
 *
 * The epoll fd is itself pollable, so libuv watches it with a uv_poll_t: no
 * thread blocks and nothing busy-polls. On each wake-up the batch is drained
 * with epoll_wait(..., 0) into the caller's Int32Array as (fd, events) pairs
 * and JS is called once, with the count: no allocation per event.
 */
#include "ioready.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  napi_env env;
  int fd;                  /* the epoll fd, -1 once closed */
  bool refd;               /* wanted ref state; applied when the uv handle exists */
  bool started;
  bool uv_inited, uv_closing, uv_done;
  bool finalized, hook_ran;
  int rounds;              /* batches delivered per wake-up at most (see on_readable) */
  uv_poll_t poll;
  napi_ref callback;       /* strong while started, so a live watch keeps its owner */
  napi_ref buffer;         /* keeps the Int32Array (and so `out`) alive */
  napi_async_context actx;
  int32_t *out;            /* (fd, events) pairs, out_pairs of them */
  uint32_t out_pairs;
  struct epoll_event *evs; /* staging for epoll_wait, out_pairs entries */
} handle_t;

static void maybe_free(handle_t *h) {
  /* The memory goes when JS can no longer reach it and libuv is done with it. */
  if (h->finalized && (!h->uv_inited || h->uv_done)) {
    free(h->evs);
    free(h);
  }
}

static void on_uv_closed(uv_handle_t *uvh) {
  handle_t *h = uvh->data;
  h->uv_done = true;
  maybe_free(h);
}

static void release_js(handle_t *h) {
  if (h->callback) napi_delete_reference(h->env, h->callback);
  if (h->buffer) napi_delete_reference(h->env, h->buffer);
  if (h->actx) napi_async_destroy(h->env, h->actx);
  h->callback = h->buffer = NULL;
  h->actx = NULL;
  h->out = NULL;
  h->started = false;
}

/* Stop watching, drop JS references, close the fd. Idempotent. Returns 0 or -errno. */
static int shutdown_handle(handle_t *h) {
  int rc = 0;
  if (h->uv_inited && !h->uv_closing) {
    /* uv_close stops the poll at once (libuv also invalidates its pending events). */
    h->uv_closing = true;
    uv_close((uv_handle_t *)&h->poll, on_uv_closed);
  }
  release_js(h);
  if (h->fd >= 0) {
    /* close(2) is not retried on EINTR: on Linux the fd is gone either way. */
    if (close(h->fd) < 0 && errno != EINTR) rc = -errno;
    h->fd = -1;
  }
  return rc;
}

static void on_env_cleanup(void *arg) {
  handle_t *h = arg;
  h->hook_ran = true;
  shutdown_handle(h);
}

static void on_finalize(napi_env env, void *data, void *hint) {
  handle_t *h = data;
  shutdown_handle(h);
  if (!h->hook_ran) napi_remove_env_cleanup_hook(env, on_env_cleanup, h);
  h->finalized = true;
  maybe_free(h);
}

static handle_t *arg_handle(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected an epoll handle");
    return NULL;
  }
  return p;
}

/* handleOpen(fd) -> external that owns fd from now on. */
static napi_value handle_open(napi_env env, napi_callback_info info) {
  napi_value argv[1], ext;
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !arg_int32(env, argv[0], &fd)) return NULL;
  handle_t *h = calloc(1, sizeof *h);
  if (!h) {
    napi_throw_error(env, "ENOMEM", "ENOMEM: not enough memory, handleOpen");
    return NULL;
  }
  h->env = env;
  h->fd = fd;
  h->refd = true;
  if (napi_create_external(env, h, on_finalize, NULL, &ext) != napi_ok) {
    free(h);
    ioready_throw_last(env);
    return NULL;
  }
  napi_add_env_cleanup_hook(env, on_env_cleanup, h);
  return ext;
}

/* handleClose(h) -> 0 | -errno. Idempotent. */
static napi_value handle_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  handle_t *h;
  if (!get_args(env, info, 1, argv) || !(h = arg_handle(env, argv[0]))) return NULL;
  return ret_int(env, shutdown_handle(h));
}

/* The most batches one wake-up may deliver (watchStart's rounds is clamped to it). */
#define WATCH_MAX_ROUNDS 64

/* Drain one batch into out; returns n, 0 (nothing ready) or -errno. */
static int drain(handle_t *h) {
  int n = (int)RETRY_EINTR(epoll_wait(h->fd, h->evs, (int)h->out_pairs, 0));
  if (n < 0) return -errno;
  /* SAFETY: n <= out_pairs; evs has out_pairs entries and out 2 * out_pairs int32s (watch_start). */
  copy_events(h->out, h->evs, n);
  return n;
}

/* Hand n (or -errno) to JS; false if JS threw or the call failed. */
static bool deliver(handle_t *h, int n) {
  napi_env env = h->env;
  bool ok = false;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, h->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, n, &arg) == napi_ok) {
    /* make_callback needs an object receiver; it runs nextTicks and microtasks afterwards, as for any Node callback. */
    ok = settle_call(env, napi_make_callback(env, h->actx, recv, cb, 1, &arg, &result));
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

/*
 * The epoll fd is readable. Deliver a batch; with rounds > 1, poll again and
 * deliver again while more is ready, up to `rounds` batches, each in its own
 * make_callback (so nextTicks and microtasks run between them). A listener
 * whose reply makes another watched fd ready (a request/response between local
 * fds) then gets it without another trip through libuv's epoll_wait. The cost:
 * one more epoll_wait(..., 0) per wake-up, and a level-triggered fd that the
 * listener does not drain at once is reported again in the next round rather
 * than in the next loop turn. So 1 (libuv's own behaviour) is the default.
 */
static void on_readable(uv_poll_t *p, int status, int events) {
  handle_t *h = p->data;
  (void)events;
  if (status < 0) {
    if (h->started && h->out != NULL) deliver(h, status); /* libuv errors are -errno on Linux */
    return;
  }
  for (int round = 0; round < h->rounds; round++) {
    if (!h->started || h->out == NULL) return;
    int n = drain(h);
    if (n == 0) return; /* spurious wake-up (uv_poll allows them), or all done */
    if (!deliver(h, n) || n < 0) return;
  }
}

/*
 * watchStart(h, out: Int32Array, callback(n), rounds) -> 0 | -errno
 * callback receives the number of pairs written to out, or -errno if the
 * epoll fd failed (then the watch is stopped).
 */
static napi_value watch_start(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  handle_t *h;
  int32_t *out;
  size_t len;
  int32_t rounds;
  napi_valuetype t;
  if (!get_args(env, info, 4, argv) || !(h = arg_handle(env, argv[0])) ||
      !arg_int32_array(env, argv[1], &out, &len) || !arg_int32(env, argv[3], &rounds))
    return NULL;
  NAPI_CALL(env, napi_typeof(env, argv[2], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a function");
    return NULL;
  }
  if (h->fd < 0 || h->uv_closing) return ret_int(env, -EBADF);
  if (h->started) return ret_int(env, 0);
  uint32_t pairs = (uint32_t)(len / 2);
  if (pairs == 0) return ret_int(env, -EINVAL);

  if (!h->uv_inited) {
    uv_loop_t *loop;
    NAPI_CALL(env, napi_get_uv_event_loop(env, &loop));
    int r = uv_poll_init(loop, &h->poll, h->fd);
    if (r < 0) return ret_int(env, r);
    h->poll.data = h;
    h->uv_inited = true;
    if (!h->refd) uv_unref((uv_handle_t *)&h->poll);
  }
  if (pairs != h->out_pairs) {
    struct epoll_event *evs = realloc(h->evs, pairs * sizeof *evs);
    if (!evs) return ret_int(env, -ENOMEM);
    h->evs = evs;
    h->out_pairs = pairs;
  }
  napi_value name;
  NAPI_CALL(env, napi_create_string_utf8(env, "ioready:Epoll", NAPI_AUTO_LENGTH, &name));
  NAPI_CALL(env, napi_async_init(env, NULL, name, &h->actx));
  NAPI_CALL(env, napi_create_reference(env, argv[2], 1, &h->callback));
  NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &h->buffer));
  h->out = out;
  h->rounds = rounds < 1 ? 1 : rounds > WATCH_MAX_ROUNDS ? WATCH_MAX_ROUNDS : rounds;
  int r = uv_poll_start(&h->poll, UV_READABLE, on_readable);
  if (r < 0) {
    release_js(h);
    return ret_int(env, r);
  }
  h->started = true;
  return ret_int(env, 0);
}

/* watchStop(h) -> 0. Idempotent. */
static napi_value watch_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  handle_t *h;
  if (!get_args(env, info, 1, argv) || !(h = arg_handle(env, argv[0]))) return NULL;
  if (h->started && h->uv_inited && !h->uv_closing) uv_poll_stop(&h->poll);
  release_js(h);
  return ret_int(env, 0);
}

/* watchRef(h, ref: boolean) -> 0 */
static napi_value watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  handle_t *h;
  bool ref;
  if (!get_args(env, info, 2, argv) || !(h = arg_handle(env, argv[0])) ||
      !arg_bool(env, argv[1], &ref))
    return NULL;
  h->refd = ref;
  if (h->uv_inited && !h->uv_closing) {
    if (ref) uv_ref((uv_handle_t *)&h->poll);
    else uv_unref((uv_handle_t *)&h->poll);
  }
  return ret_int(env, 0);
}

bool init_watch(napi_env env, napi_value exports) {
  return export_fn(env, exports, "handleOpen", handle_open) &&
         export_fn(env, exports, "handleClose", handle_close) &&
         export_fn(env, exports, "watchStart", watch_start) &&
         export_fn(env, exports, "watchStop", watch_stop) &&
         export_fn(env, exports, "watchRef", watch_ref);
}
