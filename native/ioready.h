/*
 * ioready native layer: thin wrappers around Linux system calls, and the bridge
 * from an epoll fd to the Node event loop. Nothing else lives here: argument
 * policy, bookkeeping and error objects are TypeScript's job (src/).
 *
 * Conventions, shared by every file:
 * - A wrapper returns a JS number: the call's result (>= 0) or -errno on failure.
 *   TypeScript turns -errno into a Node-style system error (src/errors.ts).
 *   Returning instead of throwing keeps the C small and the hot path cheap.
 * - Arguments arrive already validated by TypeScript; the C still checks their
 *   JS types (arg_int32 & co.) so that a direct misuse of the binding throws a
 *   TypeError instead of reading garbage.
 * - EINTR is retried by one helper (RETRY_EINTR, RETRY_EINTR_TIMED): calls with
 *   a timeout retry with the time that remains (PEP 475). close(2) is never
 *   retried (on Linux the fd is gone either way).
 * - Every access to a caller-given buffer carries a SAFETY comment saying why
 *   it is in bounds.
 */
#ifndef IOREADY_H
#define IOREADY_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

/* Evaluate a Node-API call; on failure throw (if nothing is pending) and return NULL. */
#define NAPI_CALL(env, call)                                                   \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      ioready_throw_last(env);                                                 \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/*
 * Timeouts across EINTR (PEP 475): deadline_after() is the monotonic time, in
 * ns, at which a wait of timeout ms ends; time_left() is what remains of it in
 * whole ms, rounded up so that a wait never ends early. A timeout <= 0 (-1:
 * forever, 0: at once) stays as it is, and costs no clock read.
 */
int64_t monotonic_ns(void);
static inline int64_t deadline_after(int32_t timeout_ms) {
  return timeout_ms > 0 ? monotonic_ns() + (int64_t)timeout_ms * 1000000 : 0;
}
static inline int32_t time_left(int32_t timeout_ms, int64_t deadline) {
  if (timeout_ms <= 0) return timeout_ms;
  int64_t left = deadline - monotonic_ns();
  return left > 0 ? (int32_t)((left + 999999) / 1000000) : 0;
}

/*
 * The one EINTR helper. RETRY_EINTR_TIMED(timeout, expr) evaluates expr (a
 * call returning -1 on failure) again while it fails with EINTR; expr reads
 * the int32 lvalue `timeout` (ms, -1: forever), which is set to the time that
 * remains before each retry (PEP 475). RETRY_EINTR(expr) is the same for a
 * call without a timeout. Both yield the call's last result, errno intact.
 */
#define RETRY_EINTR_TIMED(timeout, expr)                                       \
  ({                                                                           \
    int64_t _deadline = deadline_after(timeout);                               \
    long _r;                                                                   \
    while ((_r = (long)(expr)) == -1 && errno == EINTR)                        \
      (timeout) = time_left((timeout), _deadline);                             \
    _r;                                                                        \
  })
#define RETRY_EINTR(expr)                                                      \
  ({                                                                           \
    int32_t _no_timeout = -1;                                                  \
    RETRY_EINTR_TIMED(_no_timeout, expr);                                      \
  })

/* Throw a TypeError for the last failed Node-API call unless an exception is pending. */
void ioready_throw_last(napi_env env);

/*
 * After a call into JS (napi_make_callback, napi_call_function) returned s:
 * if JS threw, hand the exception to the runtime as uncaught (process
 * 'uncaughtException', or the process dies of it), as for any callback.
 * Returns true when the call succeeded.
 */
bool settle_call(napi_env env, napi_status s);

/* Fetch argc arguments into argv (missing ones are undefined). */
bool get_args(napi_env env, napi_callback_info info, size_t argc, napi_value *argv);

/* Fetch n (<= 8) int32 arguments into out: the shape of most wrappers. */
bool int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out);

/*
 * Typed argument readers: on a wrong type they throw a TypeError and return
 * false (napi_get_value_* itself refuses a non-number, so no napi_typeof first).
 */
bool arg_int32(napi_env env, napi_value v, int32_t *out);
bool arg_uint32(napi_env env, napi_value v, uint32_t *out);
bool arg_int64(napi_env env, napi_value v, int64_t *out);
bool arg_bool(napi_env env, napi_value v, bool *out);
/* A Buffer / TypedArray / DataView: its bytes and length. */
bool arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* argv[0..2] = (buffer, offset, length): the bytes, range re-checked (fd.c). */
bool byte_range(napi_env env, napi_value *argv, char **p, size_t *len);
/* An Int32Array: its elements and element count. */
bool arg_int32_array(napi_env env, napi_value v, int32_t **data, size_t *count);

/* Result helpers: a number, or -errno when r < 0 (errno read at the call). */
napi_value ret_int(napi_env env, int64_t v);
napi_value ret_errno_or(napi_env env, long r);

/* Export a function by name. */
bool export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb);

/* Largest batch one epoll_wait may return; documented in the README (maxEvents cap). */
#define EPOLL_BATCH_CAP 4096

/*
 * Copy n epoll events into out as (fd, events) int32 pairs: the layout every
 * batch reaches JS in. The caller guarantees out holds at least 2 * n int32s.
 */
struct epoll_event;
void copy_events(int32_t *out, const struct epoll_event *evs, int n);

/* Each concept file registers its functions here (addon.c calls them in order). */
bool init_constants(napi_env env, napi_value exports);
bool init_epoll(napi_env env, napi_value exports);
bool init_watch(napi_env env, napi_value exports);
bool init_fd(napi_env env, napi_value exports);
bool init_fdkinds(napi_env env, napi_value exports);
bool init_socket(napi_env env, napi_value exports);
bool init_poll(napi_env env, napi_value exports);
bool init_ioctl(napi_env env, napi_value exports);
bool init_gpio(napi_env env, napi_value exports);

#endif
