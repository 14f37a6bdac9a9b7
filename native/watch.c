/*
 * The owner of an epoll fd, and its bridge to the event loop.
 *
 * A handle (a JS external) owns one epoll fd and closes it exactly once: on
 * handleClose(), when the external is garbage-collected, or when the
 * environment (a worker thread, say) is torn down - whichever comes first.
 *
 * Delivery. JavaScript binds an Int32Array and a callback once (watchBind).
 * While someone consumes (watchStart ... watchStop), each wake-up drains the
 * epoll fd with epoll_wait(..., 0) into the array as (fd, events) pairs and
 * calls callback(n, round): no allocation per event. How the handle learns
 * that the epoll fd is readable is fixed at handleOpen:
 * - libuv (Node): a uv_poll_t on the loop's own thread; no extra thread.
 * - a thread (Bun, whose uv_* abort; Deno, whose uv_poll is not level-
 *   triggered): thread_watch.c, a thread blocked in poll() that wakes the JS
 *   thread through a thread-safe function.
 * Either way the drain runs on the JS thread, right before the callback, so
 * no batch is ever taken from the kernel while nobody consumes.
 *
 * Rounds (libuv bridge). The callback returns true to ask for another batch
 * in the same wake-up: the epoll fd is drained again at once, up to `rounds`
 * batches. Each batch is its own napi_make_callback, so nextTicks and
 * microtasks run after every batch, as after any Node callback. A reply that
 * makes another watched fd ready is then delivered without a trip through
 * libuv's loop and its epoll_wait. When to stop is TypeScript's policy
 * (src/readiness/delivery.ts); C only bounds the count.
 *
 * Lazy stop. watchStop only marks the handle idle: the loop may exit (the uv
 * handle is unref'd) and the callback may be collected (its reference turns
 * weak), but the uv_poll stays armed until it next fires with nobody
 * consuming. A wait() loop, which stops and restarts around every batch, so
 * costs no epoll_ctl; on the thread bridge the thread parks instead of ending.
 */
#include "watch.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The most batches one wake-up may deliver (watchStart's rounds is clamped to it). */
#define WATCH_MAX_ROUNDS 64

static void maybe_free(handle_t *h) {
  /* The memory goes when JS can no longer reach it and neither libuv nor dispatch() uses it. */
  if (h->finalized && h->dispatching == 0 && (!h->uv_inited || h->uv_done)) {
    free(h->evs);
    free(h);
  }
}

static void on_uv_closed(uv_handle_t *uvh) {
  handle_t *h = uvh->data;
  h->uv_done = true;
  maybe_free(h);
}

/* Apply the ref state: the watch keeps the loop alive while it is wanted and consuming. */
static void apply_ref(handle_t *h) {
  bool ref = h->refd && h->active;
  if (h->thread_mode) {
    thread_set_ref(h, ref);
  } else if (h->uv_inited && !h->uv_closing) {
    if (ref) uv_ref((uv_handle_t *)&h->poll);
    else uv_unref((uv_handle_t *)&h->poll);
  }
}

/* Stop watching, drop JS references, close the fd. Idempotent. Returns 0 or -errno. */
static int shutdown_handle(handle_t *h) {
  int rc = 0;
  h->active = false;
  /* SAFETY: ctl holds WATCH_CTL_WORDS int32s (watch_bind); JS may read it after the close. */
  if (h->ctl) h->ctl[WATCH_CTL_ACTIVE] = h->ctl[WATCH_CTL_DISPATCHING] = 0;
  if (h->uv_inited && !h->uv_closing) {
    /* uv_close stops the poll at once (libuv also invalidates its pending events). */
    h->uv_closing = true;
    uv_close((uv_handle_t *)&h->poll, on_uv_closed);
  }
  /* Joined before the fd is closed, so the thread never polls a reused number. */
  thread_shutdown(h);
  if (h->callback) napi_delete_reference(h->env, h->callback);
  if (h->buffer) napi_delete_reference(h->env, h->buffer);
  if (h->ctl_ref) napi_delete_reference(h->env, h->ctl_ref);
  h->ctl_ref = NULL;
  h->ctl = NULL;
  if (h->actx) napi_async_destroy(h->env, h->actx);
  h->callback = h->buffer = NULL;
  h->actx = NULL;
  h->out = NULL;
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

/* Drain one batch into out; returns n, 0 (nothing ready) or -errno. */
static int drain(handle_t *h) {
  int n = (int)RETRY_EINTR(epoll_wait(h->fd, h->evs, (int)h->out_pairs, 0));
  if (n < 0) return -errno;
  /* SAFETY: n <= out_pairs; evs has out_pairs entries and out 2 * out_pairs int32s (watch_bind). */
  copy_events(h->out, h->evs, n);
  return n;
}

/* callback(n, round); true if it asked for another round. A throw is reported as uncaught. */
static bool call_back(handle_t *h, napi_value cb, napi_value recv, int n, int round) {
  napi_env env = h->env;
  napi_value argv[2], result;
  bool again = false;
  if (napi_create_int32(env, n, &argv[0]) != napi_ok || napi_create_int32(env, round, &argv[1]) != napi_ok)
    return false;
  /*
   * make_callback runs nextTicks and microtasks afterwards, as for any Node
   * callback. The thread bridge is already inside the runtime's callback
   * scope for its thread-safe function, so a plain call is enough there.
   */
  napi_status s = h->thread_mode ? napi_call_function(env, recv, cb, 2, argv, &result)
                                 : napi_make_callback(env, h->actx, recv, cb, 2, argv, &result);
  if (settle_call(env, s)) napi_get_value_bool(env, result, &again);
  return again;
}

/* Start or stop consuming: the callback's reference (strong while active), the ref state, ACTIVE. */
static void set_active(handle_t *h, bool active) {
  uint32_t refs;
  h->active = active;
  /* SAFETY: ctl holds WATCH_CTL_WORDS int32s (watch_bind). */
  if (h->ctl) h->ctl[WATCH_CTL_ACTIVE] = active;
  if (h->callback) {
    if (active) napi_reference_ref(h->env, h->callback, &refs);
    else napi_reference_unref(h->env, h->callback, &refs);
  }
  apply_ref(h);
  if (!active && h->thread_mode) thread_park(h);
}

/* Does JS still want batches? (WANT; always while no ctl is bound) */
static bool wanted(const handle_t *h) {
  /* SAFETY: ctl holds WATCH_CTL_WORDS int32s (watch_bind). */
  return h->ctl == NULL || h->ctl[WATCH_CTL_WANT] != 0;
}

void watch_dispatch(handle_t *h, int status) {
  napi_env env = h->env;
  if (!h->active || h->callback == NULL) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  h->dispatching++;
  /* SAFETY: ctl holds WATCH_CTL_WORDS int32s (watch_bind). */
  if (h->ctl) h->ctl[WATCH_CTL_DISPATCHING] = 1;
  napi_value cb, recv;
  if (napi_get_reference_value(env, h->callback, &cb) == napi_ok && cb != NULL &&
      napi_get_global(env, &recv) == napi_ok) {
    if (status < 0) {
      call_back(h, cb, recv, status, 0); /* libuv's errors are -errno on Linux */
    } else {
      /* The thread bridge delivers one batch per hand-off (its thread waits for each). */
      int rounds = h->thread_mode ? 1 : h->rounds;
      /* After each batch JS may have stopped the watch or closed the handle (fd -1). */
      for (int round = 0; round < rounds && h->active && h->fd >= 0 && wanted(h); round++) {
        int n = drain(h);
        if (n == 0) break; /* spurious wake-up (uv_poll allows them), or all done */
        if (!call_back(h, cb, recv, n, round) || n < 0) break;
      }
    }
  }
  napi_close_handle_scope(env, scope);
  /* The wake-up is over, microtasks included: stop if nobody wants more (a wait() loop re-waits by now). */
  if (h->ctl) h->ctl[WATCH_CTL_DISPATCHING] = 0;
  if (h->active && !wanted(h)) set_active(h, false);
  h->dispatching--;
  maybe_free(h);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  handle_t *h = p->data;
  (void)events;
  if (!h->active) {
    /* The lazy stop: nobody consumes since watchStop, so disarm now. */
    uv_poll_stop(&h->poll);
    h->uv_armed = false;
    return;
  }
  watch_dispatch(h, status);
}

/* handleOpen(fd, threadMode: boolean) -> external that owns fd from now on. */
static napi_value handle_open(napi_env env, napi_callback_info info) {
  napi_value argv[2], ext;
  int32_t fd;
  bool thread_mode;
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &fd) || !arg_bool(env, argv[1], &thread_mode))
    return NULL;
  handle_t *h = calloc(1, sizeof *h);
  if (!h) {
    napi_throw_error(env, "ENOMEM", "ENOMEM: not enough memory, handleOpen");
    return NULL;
  }
  h->env = env;
  h->fd = fd;
  h->thread_mode = thread_mode;
  h->refd = true;
  h->rounds = 1;
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

/*
 * drain() -> n | -errno: one more batch into the bound array, now, for the
 * rounds JavaScript runs itself (src/readiness/delivery.ts); only from inside
 * the callback, while someone consumes. One such function per handle, made by
 * watchBind with the handle as its data, so a call converts no argument. Its
 * owner (the Delivery) holds the handle's external too, so the handle outlives
 * every call.
 */
static napi_value handle_drain(napi_env env, napi_callback_info info) {
  napi_value out;
  void *data = NULL;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, &data) != napi_ok || data == NULL) {
    ioready_throw_last(env);
    return NULL;
  }
  handle_t *h = data;
  int n = h->fd < 0 || h->out == NULL || !h->active ? -EBADF : drain(h);
  if (napi_create_int32(env, n, &out) != napi_ok) return NULL;
  return out;
}

/*
 * watchBind(h, out: Int32Array, ctl: Int32Array(WATCH_CTL_WORDS), callback(n, round) -> boolean)
 *   -> drain() (see handle_drain) | -errno
 * Once per handle. callback receives the number of pairs written to out, or
 * -errno if the epoll fd failed, and the batch's round in its wake-up (0 for
 * the first); it returns true to ask for another round. ctl: see watch.h.
 */
static napi_value watch_bind(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  handle_t *h;
  int32_t *out, *ctl;
  size_t len, ctl_len;
  napi_valuetype t;
  if (!get_args(env, info, 4, argv) || !(h = arg_handle(env, argv[0])) ||
      !arg_int32_array(env, argv[1], &out, &len) || !arg_int32_array(env, argv[2], &ctl, &ctl_len))
    return NULL;
  if (ctl_len < WATCH_CTL_WORDS) return ret_int(env, -EINVAL);
  NAPI_CALL(env, napi_typeof(env, argv[3], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a function");
    return NULL;
  }
  if (h->fd < 0) return ret_int(env, -EBADF);
  if (h->callback != NULL) return ret_int(env, -EALREADY);
  uint32_t pairs = (uint32_t)(len / 2 > EPOLL_BATCH_CAP ? EPOLL_BATCH_CAP : len / 2);
  if (pairs == 0) return ret_int(env, -EINVAL);
  h->evs = malloc(pairs * sizeof *h->evs);
  if (!h->evs) return ret_int(env, -ENOMEM);
  h->out_pairs = pairs;
  if (!h->thread_mode) {
    napi_value name;
    NAPI_CALL(env, napi_create_string_utf8(env, "ioready:Epoll", NAPI_AUTO_LENGTH, &name));
    NAPI_CALL(env, napi_async_init(env, NULL, name, &h->actx));
  }
  /* Weak until watchStart: a bound but idle Epoll can still be collected. */
  NAPI_CALL(env, napi_create_reference(env, argv[3], 0, &h->callback));
  NAPI_CALL(env, napi_create_reference(env, argv[1], 1, &h->buffer));
  NAPI_CALL(env, napi_create_reference(env, argv[2], 1, &h->ctl_ref));
  h->out = out;
  h->ctl = ctl;
  /* SAFETY: ctl_len >= WATCH_CTL_WORDS (checked above). */
  ctl[WATCH_CTL_WANT] = 0;
  ctl[WATCH_CTL_ACTIVE] = 0;
  ctl[WATCH_CTL_DISPATCHING] = 0;
  napi_value fn;
  NAPI_CALL(env, napi_create_function(env, "drain", NAPI_AUTO_LENGTH, handle_drain, h, &fn));
  return fn;
}

/* Arm the bridge: the uv_poll, or the thread. 0 or -errno. */
static int arm(handle_t *h) {
  if (h->thread_mode) return thread_arm(h);
  if (!h->uv_inited) {
    uv_loop_t *loop;
    if (napi_get_uv_event_loop(h->env, &loop) != napi_ok) return -EINVAL;
    int r = uv_poll_init(loop, &h->poll, h->fd);
    if (r < 0) return r;
    h->poll.data = h;
    h->uv_inited = true;
  }
  if (!h->uv_armed) {
    int r = uv_poll_start(&h->poll, UV_READABLE, on_readable);
    if (r < 0) return r;
    h->uv_armed = true;
  }
  return 0;
}

/* watchStart(h, rounds) -> 0 | -errno: deliver batches (watchBind first). Cheap when still armed. */
static napi_value watch_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  handle_t *h;
  int32_t rounds;
  if (!get_args(env, info, 2, argv) || !(h = arg_handle(env, argv[0])) || !arg_int32(env, argv[1], &rounds))
    return NULL;
  if (h->fd < 0 || h->uv_closing) return ret_int(env, -EBADF);
  if (h->callback == NULL) return ret_int(env, -EINVAL);
  h->rounds = rounds < 1 ? 1 : rounds > WATCH_MAX_ROUNDS ? WATCH_MAX_ROUNDS : rounds;
  if (h->active) return ret_int(env, 0);
  int r = arm(h);
  if (r < 0) return ret_int(env, r);
  set_active(h, true);
  return ret_int(env, 0);
}

/* watchStop(h) -> 0. No callback runs afterwards; the bridge is disarmed lazily. Idempotent. */
static napi_value watch_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  handle_t *h;
  if (!get_args(env, info, 1, argv) || !(h = arg_handle(env, argv[0]))) return NULL;
  if (h->active) set_active(h, false);
  return ret_int(env, 0);
}

/* watchRef(h, ref: boolean) -> 0 */
static napi_value watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  handle_t *h;
  bool ref;
  if (!get_args(env, info, 2, argv) || !(h = arg_handle(env, argv[0])) || !arg_bool(env, argv[1], &ref))
    return NULL;
  h->refd = ref;
  apply_ref(h);
  return ret_int(env, 0);
}

bool init_watch(napi_env env, napi_value exports) {
  return export_fn(env, exports, "handleOpen", handle_open) &&
         export_fn(env, exports, "handleClose", handle_close) &&
         export_fn(env, exports, "watchBind", watch_bind) &&
         export_fn(env, exports, "watchStart", watch_start) &&
         export_fn(env, exports, "watchStop", watch_stop) &&
         export_fn(env, exports, "watchRef", watch_ref);
}
