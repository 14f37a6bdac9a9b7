/*
 * The epoll handle shared by watch.c (the handle and the libuv bridge) and
 * thread_watch.c (the thread bridge for Bun and Deno). Not part of the
 * binding's interface; see watch.c for the design.
 */
#ifndef IOREADY_WATCH_H
#define IOREADY_WATCH_H

#include "ioready.h"

#include <uv.h>

struct epoll_event;
typedef struct thread_bridge thread_bridge_t;

/*
 * The control words JS and C share (watchBind's ctl array), so that a wait()
 * loop needs no call into the addon per batch:
 * - WANT, written by JS: someone consumes. At the end of a wake-up (after its
 *   last callback and the microtasks that followed) C stops the watch if JS
 *   stopped wanting it meanwhile and did not want it again.
 * - ACTIVE, written by C: the watch is started (watchStart ... stop).
 * - DISPATCHING, written by C: a wake-up is being delivered, so JS may leave
 *   the stop to C.
 */
enum { WATCH_CTL_WANT, WATCH_CTL_ACTIVE, WATCH_CTL_DISPATCHING, WATCH_CTL_WORDS };

typedef struct {
  napi_env env;
  int fd;                  /* the epoll fd, -1 once closed */
  bool thread_mode;        /* the bridge: a thread (true) or libuv (false), fixed at handleOpen */
  bool refd;               /* wanted: a consuming watch keeps the event loop alive */
  bool active;             /* someone consumes batches: between watchStart and watchStop */
  int rounds;              /* batches one wake-up may deliver (watchStart) */
  int dispatching;         /* > 0 while dispatch() runs: the memory stays */
  bool finalized, hook_ran;

  /* Bound once by watchBind. */
  napi_ref callback;       /* callback(n, round): strong while active, weak otherwise */
  napi_ref buffer;         /* the Int32Array `out` lives in: strong */
  napi_ref ctl_ref;        /* the Int32Array `ctl` lives in: strong */
  int32_t *ctl;            /* control words shared with JS (WATCH_CTL_*), or NULL */
  napi_async_context actx; /* for napi_make_callback (libuv bridge) */
  int32_t *out;            /* (fd, events) pairs, out_pairs of them */
  uint32_t out_pairs;
  struct epoll_event *evs; /* staging for epoll_wait, out_pairs entries */

  /* The libuv bridge. */
  uv_poll_t poll;
  bool uv_inited, uv_armed, uv_closing, uv_done;

  /* The thread bridge (thread_watch.c), created by the first watchStart. */
  thread_bridge_t *tb;
} handle_t;

/*
 * The epoll fd is readable (or, status < 0, failed): drain and deliver
 * batches to the bound callback while someone consumes. On the JS thread.
 */
void watch_dispatch(handle_t *h, int status);

/* The thread bridge. All on the JS thread; each returns 0 or -errno. */
int thread_arm(handle_t *h);            /* create the thread, or wake it from its park */
void thread_park(handle_t *h);          /* no more wake-ups until armed again */
void thread_set_ref(handle_t *h, bool ref);
void thread_shutdown(handle_t *h);      /* stop and join the thread; idempotent */

#endif
