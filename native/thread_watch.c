/*
 * The second event-loop bridge, for runtimes that implement Node-API but not
 * libuv (Bun: its uv_* functions abort). Chosen at load time by src/watch-bridge.ts.
 *
 * A thread blocks in poll() on the epoll fd and a wake-up eventfd. When the
 * epoll fd is readable it drains one batch with epoll_wait(..., 0) into its
 * own staging array and hands it to JS through a thread-safe function; then
 * it waits until JS has processed that batch before it polls again. So:
 * - no event is lost (the kernel keeps whatever JS did not consume), and no
 *   batch is delivered twice (a level-triggered fd still ready is reported
 *   again by the next epoll_wait, as level-triggered means);
 * - only one batch is ever in flight, and the staging array is touched by one
 *   side at a time (the `busy` flag under `mu` says which);
 * - stop (from JS, the env cleanup hook, or the external's finalizer) sets
 *   `stopping`, signals the eventfd and the condition, and joins the thread.
 *   A batch still queued for JS sees `stopping` and is dropped.
 *
 * Memory: the state is shared by the JS external and the thread-safe function;
 * it is freed when both have been finalized (refs reaches 0; both finalizers
 * run on the JS thread).
 */
#include "ioready.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct {
  napi_env env;
  int epfd;                     /* not owned: the Epoll's handle owns it */
  int wakefd;                   /* eventfd that tells the thread to stop; owned */
  pthread_t thread;
  bool joinable;                /* thread created and not yet joined */
  bool tsfn_alive;              /* the thread-safe function is not finalized yet */
  bool hook_added, hook_ran;
  int refs;                     /* the external + the thread-safe function */
  napi_threadsafe_function tsfn;
  napi_ref buffer;              /* the Int32Array the (fd, events) pairs go to */
  struct epoll_event *evs;      /* staging, `pairs` entries */
  uint32_t pairs;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool busy;                    /* a batch is handed to JS and not processed yet */
  bool stopping;
  int pending;                  /* the batch in flight: its size, or -errno */
} tw_t;

static void tw_unref(napi_env env, tw_t *t) {
  if (--t->refs > 0) return;
  if (t->buffer) napi_delete_reference(env, t->buffer);
  if (t->wakefd >= 0) close(t->wakefd);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t->evs);
  free(t);
}

/* Hand batch n (or -errno) to JS; wait until it is processed. False: stop now. */
static bool hand_over(tw_t *t, int n) {
  pthread_mutex_lock(&t->mu);
  bool go = !t->stopping;
  if (go) {
    t->pending = n;
    t->busy = true;
  }
  pthread_mutex_unlock(&t->mu);
  if (!go || napi_call_threadsafe_function(t->tsfn, NULL, napi_tsfn_nonblocking) != napi_ok) return false;
  pthread_mutex_lock(&t->mu);
  while (t->busy && !t->stopping) pthread_cond_wait(&t->cv, &t->mu);
  go = !t->stopping;
  pthread_mutex_unlock(&t->mu);
  return go;
}

static void *tw_main(void *arg) {
  tw_t *t = arg;
  struct pollfd p[2] = {{.fd = t->epfd, .events = POLLIN}, {.fd = t->wakefd, .events = POLLIN}};
  for (;;) {
    int r = (int)RETRY_EINTR(poll(p, 2, -1));
    if (r < 0) {
      hand_over(t, -errno);
      break;
    }
    if (p[1].revents != 0) break; /* woken: stop */
    if (p[0].revents & POLLNVAL) {
      hand_over(t, -EBADF);
      break;
    }
    int n = (int)RETRY_EINTR(epoll_wait(t->epfd, t->evs, (int)t->pairs, 0));
    if (n < 0) n = -errno;
    if (n == 0) continue; /* someone else consumed the readiness: wait again */
    if (!hand_over(t, n) || n < 0) break;
  }
  napi_release_threadsafe_function(t->tsfn, napi_tsfn_release);
  return NULL;
}

/* On the JS thread: copy the batch into the Int32Array and call back with n. */
static void tw_call_js(napi_env env, napi_value cb, void *context, void *data) {
  tw_t *t = context;
  if (env == NULL || cb == NULL) return; /* torn down with a call still queued */
  pthread_mutex_lock(&t->mu);
  bool live = t->busy && !t->stopping;
  int n = t->pending;
  pthread_mutex_unlock(&t->mu);
  if (!live) return;

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value buf, ab, recv, arg, result;
  napi_typedarray_type type;
  size_t len = 0, offset;
  int32_t *out = NULL;
  /* The pointer is looked up for each batch: the runtime may move a typed array's storage. */
  if (n > 0 && (napi_get_reference_value(env, t->buffer, &buf) != napi_ok ||
                napi_get_typedarray_info(env, buf, &type, &len, (void **)&out, &ab, &offset) != napi_ok ||
                type != napi_int32_array || len / 2 < (size_t)n))
    n = -EFAULT;
  /* SAFETY: n <= pairs (epoll_wait's maxevents) and out holds len / 2 >= n pairs (checked above). */
  if (n > 0) copy_events(out, t->evs, n);
  if (napi_get_global(env, &recv) == napi_ok && napi_create_int32(env, n, &arg) == napi_ok) {
    settle_call(env, napi_call_function(env, recv, cb, 1, &arg, &result));
  }
  napi_close_handle_scope(env, scope);

  pthread_mutex_lock(&t->mu);
  t->busy = false;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static void on_env_cleanup(void *arg);

/* Stop and join the thread. Idempotent; JS thread only. */
static void tw_stop(tw_t *t) {
  if (t->joinable) {
    pthread_mutex_lock(&t->mu);
    t->stopping = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    uint64_t one = 1;
    /* A full counter (EAGAIN) is still readable: the thread wakes either way. */
    RETRY_EINTR(write(t->wakefd, &one, sizeof one));
    pthread_join(t->thread, NULL);
    t->joinable = false;
    close(t->wakefd);
    t->wakefd = -1;
  }
  if (t->hook_added && !t->hook_ran) napi_remove_env_cleanup_hook(t->env, on_env_cleanup, t);
  t->hook_added = false;
}

static void on_env_cleanup(void *arg) {
  tw_t *t = arg;
  t->hook_ran = true;
  tw_stop(t);
}

static void on_tsfn_finalize(napi_env env, void *data, void *hint) {
  tw_t *t = data;
  t->tsfn_alive = false;
  tw_unref(env, t);
}

static void on_external_finalize(napi_env env, void *data, void *hint) {
  tw_t *t = data;
  tw_stop(t);
  tw_unref(env, t);
}

static tw_t *arg_tw(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a thread watch");
    return NULL;
  }
  return p;
}

/*
 * threadWatchStart(epfd, out: Int32Array, callback(n), ref: boolean) -> external | -errno
 * callback receives the number of (fd, events) pairs written to out, or -errno
 * if waiting failed (then the thread has ended; call threadWatchStop).
 */
static napi_value thread_watch_start(napi_env env, napi_callback_info info) {
  napi_value argv[4], name, ext;
  int32_t epfd;
  int32_t *out;
  size_t len;
  bool ref;
  napi_valuetype type;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &epfd) ||
      !arg_int32_array(env, argv[1], &out, &len) || !arg_bool(env, argv[3], &ref))
    return NULL;
  NAPI_CALL(env, napi_typeof(env, argv[2], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a function");
    return NULL;
  }
  uint32_t pairs = (uint32_t)(len / 2 > 0x7fffffff ? 0x7fffffff : len / 2);
  if (pairs == 0) return ret_int(env, -EINVAL);

  tw_t *t = calloc(1, sizeof *t);
  struct epoll_event *evs = malloc(pairs * sizeof *evs);
  int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!t || !evs || wakefd < 0) {
    int err = wakefd < 0 ? errno : ENOMEM;
    if (wakefd >= 0) close(wakefd);
    free(evs);
    free(t);
    return ret_int(env, -err);
  }
  t->env = env;
  t->epfd = epfd;
  t->wakefd = wakefd;
  t->evs = evs;
  t->pairs = pairs;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  t->refs = 1; /* the thread-safe function's, from here on: its finalizer frees t on failure */

  if (napi_create_string_utf8(env, "ioready:Epoll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(env, argv[2], NULL, name, 0, 1, t, on_tsfn_finalize, t,
                                      tw_call_js, &t->tsfn) != napi_ok) {
    tw_unref(env, t);
    ioready_throw_last(env);
    return NULL;
  }
  t->tsfn_alive = true;
  if (!ref) napi_unref_threadsafe_function(env, t->tsfn);
  int err = 0;
  if (napi_create_reference(env, argv[1], 1, &t->buffer) != napi_ok) err = ENOMEM;
  else err = pthread_create(&t->thread, NULL, tw_main, t);
  if (err != 0) {
    /* No thread: release the function ourselves; its finalizer frees t. */
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    return ret_int(env, -err);
  }
  t->joinable = true;
  t->refs++; /* the external's */
  if (napi_create_external(env, t, on_external_finalize, NULL, &ext) != napi_ok) {
    t->refs--;
    tw_stop(t);
    ioready_throw_last(env);
    return NULL;
  }
  t->hook_added = napi_add_env_cleanup_hook(env, on_env_cleanup, t) == napi_ok;
  return ext;
}

/* threadWatchStop(t) -> 0. Joins the thread; no callback runs afterwards. Idempotent. */
static napi_value thread_watch_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  tw_t *t;
  if (!get_args(env, info, 1, argv) || !(t = arg_tw(env, argv[0]))) return NULL;
  tw_stop(t);
  return ret_int(env, 0);
}

/* threadWatchRef(t, ref: boolean) -> 0. Whether the watch keeps the process alive. */
static napi_value thread_watch_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  tw_t *t;
  bool ref;
  if (!get_args(env, info, 2, argv) || !(t = arg_tw(env, argv[0])) || !arg_bool(env, argv[1], &ref))
    return NULL;
  if (t->joinable && t->tsfn_alive) {
    if (ref) napi_ref_threadsafe_function(env, t->tsfn);
    else napi_unref_threadsafe_function(env, t->tsfn);
  }
  return ret_int(env, 0);
}

bool init_thread_watch(napi_env env, napi_value exports) {
  return export_fn(env, exports, "threadWatchStart", thread_watch_start) &&
         export_fn(env, exports, "threadWatchStop", thread_watch_stop) &&
         export_fn(env, exports, "threadWatchRef", thread_watch_ref);
}
