/*
 * Passing fds over Unix sockets: sendmsg(2) / recvmsg(2) with one SCM_RIGHTS
 * control message (unix(7)). Received fds are close-on-exec
 * (MSG_CMSG_CLOEXEC); every fd the kernel installs in this process is either
 * handed to JS or closed here, so none can leak. Validation and the result's
 * shape are TypeScript's (src/fd/fdpass.ts).
 */
#include "ioready.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel's limit of fds per message (SCM_MAX_FD, not in the uAPI headers). */
#define FDPASS_MAX 253

/* A control buffer for FDPASS_MAX fds, aligned for struct cmsghdr. */
typedef union {
  struct cmsghdr align;
  char buf[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
} control_t;

/*
 * sendFds(fd, buf, off, len, fds: Int32Array, count) -> bytes | -errno: the first
 * count fds of the array go (MSG_NOSIGNAL: EPIPE, never SIGPIPE).
 */
static napi_value send_fds_js(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fd, *fds, count;
  char *p;
  size_t len, cap;
  if (!get_args(env, info, 6, argv) || !arg_int32(env, argv[0], &fd) || !byte_range(env, argv + 1, &p, &len) ||
      !arg_int32_array(env, argv[4], &fds, &cap) || !arg_int32(env, argv[5], &count))
    return NULL;
  /* SAFETY: count <= cap, the array's element count, so fds[0 .. count) is in bounds. */
  if (count < 0 || count > FDPASS_MAX || (size_t)count > cap) return ret_int(env, -EINVAL);
  size_t n = (size_t)count;
  control_t control;
  memset(&control, 0, sizeof control);
  /* SAFETY: [p, p + len) is inside the buffer (byte_range). */
  struct iovec iov = {.iov_base = p, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (n > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(n * sizeof(int));
    /* SAFETY: n <= FDPASS_MAX, so n ints fit in the control buffer after the header; fds holds n. */
    memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
  }
  return ret_errno_or(env, RETRY_EINTR(sendmsg(fd, &msg, MSG_NOSIGNAL)));
}

/*
 * recvFds(fd, buf, off, len, maxFds, fdsOut: Int32Array, info: Int32Array(2))
 *   -> bytes | -errno; info[0] = the fds written to fdsOut (at most maxFds), info[1] = 1 if some were
 *   closed instead (MSG_CTRUNC), else 0.
 * The control buffer's length is CMSG_LEN(maxFds ints), not CMSG_SPACE: the
 * kernel fills every whole int of it, and CMSG_SPACE's padding would make room
 * for one fd more than asked (room for 1 delivers 2). The kernel closes what
 * does not fit and sets MSG_CTRUNC. Any fd beyond fdsOut's room is closed
 * here and reported the same way, so nothing installed is ever lost.
 */
static napi_value recv_fds_js(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t fd, max, *out, *res;
  char *p;
  size_t len, cap, res_n;
  if (!get_args(env, info, 7, argv) || !arg_int32(env, argv[0], &fd) || !byte_range(env, argv + 1, &p, &len) ||
      !arg_int32(env, argv[4], &max) || !arg_int32_array(env, argv[5], &out, &cap) ||
      !arg_int32_array(env, argv[6], &res, &res_n))
    return NULL;
  if (max < 0 || max > FDPASS_MAX || res_n < 2) return ret_int(env, -EINVAL);
  if (cap > (size_t)max) cap = (size_t)max; /* at most maxFds go to JS, whatever the array's room */
  control_t control;
  /* SAFETY: [p, p + len) is inside the buffer (byte_range). */
  struct iovec iov = {.iov_base = p, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (max > 0) {
    msg.msg_control = control.buf;
    /* SAFETY: CMSG_LEN(max ints) <= CMSG_SPACE(FDPASS_MAX ints), the buffer's size. */
    msg.msg_controllen = CMSG_LEN((size_t)max * sizeof(int));
  }
  long r = RETRY_EINTR(recvmsg(fd, &msg, MSG_CMSG_CLOEXEC));
  if (r < 0) return ret_int(env, -errno);
  size_t got = 0;
  int flags = msg.msg_flags;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len < CMSG_LEN(0)) continue;
    size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    /* SAFETY: the kernel wrote cmsg_len bytes of this message inside msg_controllen (CMSG_NXTHDR checks). */
    const unsigned char *data = CMSG_DATA(cm);
    for (size_t i = 0; i < count; i++) {
      int received;
      memcpy(&received, data + i * sizeof(int), sizeof(int));
      /* SAFETY: got < cap, the element count of out. */
      if (got < cap) out[got++] = received;
      else close(received), flags |= MSG_CTRUNC;
    }
  }
  /* SAFETY: res_n >= 2 was checked above. */
  res[0] = (int32_t)got;
  res[1] = (flags & MSG_CTRUNC) != 0;
  return ret_errno_or(env, r);
}

bool init_fdpass(napi_env env, napi_value exports) {
  return export_fn(env, exports, "sendFds", send_fds_js) && export_fn(env, exports, "recvFds", recv_fds_js);
}
