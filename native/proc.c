/*
 * Processes as fds: pidfd_open(2) and pidfd_send_signal(2), through
 * syscall(2) (glibc has wrappers only since 2.36, newer than the floor the
 * prebuilt binaries keep). A pidfd is readable (EPOLLIN) once its process has
 * exited, reaped or not; waiting on it, and the policy around signals, is
 * TypeScript's (src/fd/pidfd.ts).
 */
#include "ioready.h"

#include <sys/syscall.h>
#include <unistd.h>

/* The same number on every architecture (the unified syscall table, Linux 5.1 / 5.3). */
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* pidfdOpen(pid, flags) -> fd | -errno. The fd is close-on-exec (the kernel always sets it). */
static napi_value pidfd_open_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* pid, flags */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, syscall(SYS_pidfd_open, (long)a[0], (long)(unsigned)a[1]));
}

/* pidfdSendSignal(pidfd, signal) -> 0 | -errno (no siginfo, no flags: as kill(2)). */
static napi_value pidfd_send_signal_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* pidfd, signal */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, syscall(SYS_pidfd_send_signal, (long)a[0], (long)a[1], NULL, 0L));
}

bool init_proc(napi_env env, napi_value exports) {
  return export_fn(env, exports, "pidfdOpen", pidfd_open_js) &&
         export_fn(env, exports, "pidfdSendSignal", pidfd_send_signal_js);
}
