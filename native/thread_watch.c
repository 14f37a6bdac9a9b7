/*
 * The second event-loop bridge, for runtimes that implement Node-API but not
 * libuv (Bun: its uv_* functions abort; Deno: its uv_poll is not
 * level-triggered). Chosen per handle at handleOpen (src/readiness/delivery.ts).
 *
 * One thread per handle, created by its first watchStart and kept until the
 * handle shuts down. It only learns readiness: it blocks in poll() on the
 * epoll fd and a wake-up eventfd and, when the epoll fd is readable, wakes the
 * JS thread through a thread-safe function and waits until JS has handled
 * that wake-up. The JS thread drains and delivers the batch itself
 * (watch_dispatch, as the libuv bridge does), so:
 * - no batch is ever taken from the kernel while nobody consumes, and none is
 *   lost or delivered twice (a level-triggered fd still ready is reported
 *   again by the next epoll_wait, as level-triggered means);
 * - watchStop parks the thread (it waits on a condition instead of polling)
 *   and watchStart wakes it: no thread is created or joined per wait();
 * - shutdown (handleClose, the env cleanup hook, the external's finalizer)
 *   sets `stopping`, signals the eventfd and the condition, and joins the
 *   thread before the epoll fd is closed.
 *
 * Memory: the bridge is shared by the handle and the thread-safe function,
 * and freed when both are done with it (refs reaches 0; both release on the
 * JS thread). A call still queued when the handle shut down finds h == NULL.
 */
#include "watch.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct thread_bridge {
  handle_t *h;                  /* NULL once the handle shut the bridge down (JS thread only) */
  int epfd;                     /* not owned: the handle owns it */
  int wakefd;                   /* eventfd that gets the thread out of poll(); owned */
  pthread_t thread;
  bool joinable;                /* created and not yet joined */
  napi_threadsafe_function tsfn;
  bool tsfn_refd;               /* its ref state (JS thread only) */
  int refs;                     /* the handle's + the thread-safe function's */
  pthread_mutex_t mu;           /* guards the four below */
  pthread_cond_t cv;
  bool parked;                  /* JS wants no wake-ups (watchStop) */
  bool pending;                 /* a wake-up is handed to JS and not handled yet */
  bool stopping;
  int status;                   /* -errno once poll() failed: the thread has ended */
};

static void tb_unref(thread_bridge_t *t) {
  if (--t->refs > 0) return;
  if (t->wakefd >= 0) close(t->wakefd);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cv);
  free(t);
}

static void *tb_main(void *arg) {
  thread_bridge_t *t = arg;
  struct pollfd p[2] = {{.fd = t->epfd, .events = POLLIN}, {.fd = t->wakefd, .events = POLLIN}};
  for (;;) {
    pthread_mutex_lock(&t->mu);
    while (!t->stopping && (t->parked || t->pending)) pthread_cond_wait(&t->cv, &t->mu);
    bool stop = t->stopping;
    pthread_mutex_unlock(&t->mu);
    if (stop) break;
    int r = (int)RETRY_EINTR(poll(p, 2, -1));
    int status = r < 0 ? -errno : (p[0].revents & POLLNVAL) ? -EBADF : 0;
    if (status == 0 && p[1].revents != 0) {
      /* Woken (to stop, or after a park): reset the counter and look at the flags again. */
      uint64_t v;
      RETRY_EINTR(read(t->wakefd, &v, sizeof v));
      continue;
    }
    pthread_mutex_lock(&t->mu);
    t->pending = true;
    t->status = status;
    pthread_mutex_unlock(&t->mu);
    if (napi_call_threadsafe_function(t->tsfn, NULL, napi_tsfn_nonblocking) != napi_ok || status < 0) break;
  }
  napi_release_threadsafe_function(t->tsfn, napi_tsfn_release);
  return NULL;
}

/* On the JS thread: the epoll fd is readable (or failed). */
static void tb_call_js(napi_env env, napi_value cb, void *context, void *data) {
  thread_bridge_t *t = context;
  if (env == NULL) return; /* torn down with a call still queued */
  pthread_mutex_lock(&t->mu);
  int status = t->status;
  pthread_mutex_unlock(&t->mu);
  /* Drains and delivers only while someone consumes; may shut the handle down (t->h = NULL). */
  if (t->h != NULL) watch_dispatch(t->h, status);
  pthread_mutex_lock(&t->mu);
  t->pending = false;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static void tb_finalize(napi_env env, void *data, void *hint) {
  tb_unref(data);
}

int thread_arm(handle_t *h) {
  thread_bridge_t *t = h->tb;
  if (t != NULL) {
    pthread_mutex_lock(&t->mu);
    int status = t->status;
    t->parked = false;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    return status; /* < 0: the thread ended on a poll() failure */
  }
  t = calloc(1, sizeof *t);
  int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (!t || wakefd < 0) {
    int err = wakefd < 0 ? errno : ENOMEM;
    if (wakefd >= 0) close(wakefd);
    free(t);
    return -err;
  }
  t->h = h;
  t->epfd = h->fd;
  t->wakefd = wakefd;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  t->refs = 1; /* the thread-safe function's, from here on: its finalizer frees t on failure */
  napi_value name;
  /* No JS function: tb_call_js finds the callback through the handle, so the
     thread-safe function keeps no Epoll alive. */
  if (napi_create_string_utf8(h->env, "ioready:Epoll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_threadsafe_function(h->env, NULL, NULL, name, 0, 1, t, tb_finalize, t, tb_call_js, &t->tsfn) !=
          napi_ok) {
    tb_unref(t);
    return -ENOMEM;
  }
  t->tsfn_refd = true;
  int err = pthread_create(&t->thread, NULL, tb_main, t);
  if (err != 0) {
    /* No thread: release the function ourselves; its finalizer frees t. */
    napi_release_threadsafe_function(t->tsfn, napi_tsfn_abort);
    return -err;
  }
  t->joinable = true;
  t->refs++; /* the handle's */
  h->tb = t;
  return 0;
}

void thread_park(handle_t *h) {
  thread_bridge_t *t = h->tb;
  if (t == NULL) return;
  /* A thread in poll() stays there; when it wakes JS it finds nobody consuming, and parks. */
  pthread_mutex_lock(&t->mu);
  t->parked = true;
  pthread_mutex_unlock(&t->mu);
}

void thread_set_ref(handle_t *h, bool ref) {
  thread_bridge_t *t = h->tb;
  if (t == NULL || !t->joinable || ref == t->tsfn_refd) return;
  if (ref) napi_ref_threadsafe_function(h->env, t->tsfn);
  else napi_unref_threadsafe_function(h->env, t->tsfn);
  t->tsfn_refd = ref;
}

void thread_shutdown(handle_t *h) {
  thread_bridge_t *t = h->tb;
  if (t == NULL) return;
  h->tb = NULL;
  t->h = NULL;
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
  }
  /* Closed now, not when the thread-safe function is finalized (later): the fd count is back at once. */
  close(t->wakefd);
  t->wakefd = -1;
  tb_unref(t);
}
