/*
 * Sockets (socket(7), ip(7), ipv6(7), unix(7)): thin wrappers only.
 *
 * Addresses travel as raw `struct sockaddr` bytes in caller-given Buffers:
 * TypeScript encodes IP literals and Unix paths (src/socket.ts) and decodes
 * what the kernel writes back, so no address policy lives in C. The layout
 * facts TypeScript needs (sizes, offsets) come from the headers (constants.c).
 */
#include "ioready.h"

#include <sys/socket.h>

/* An address argument: its bytes, and the length to hand the kernel. */
static bool arg_sockaddr(napi_env env, napi_value buf_v, napi_value len_v,
                         const struct sockaddr **sa, socklen_t *len) {
  void *data;
  size_t size;
  int32_t n;
  if (!arg_bytes(env, buf_v, &data, &size) || !arg_int32(env, len_v, &n)) return false;
  /* SAFETY: the kernel reads n bytes from data; n may not exceed the buffer. */
  if (n < 0 || (size_t)n > size) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioready native: address length outside the buffer");
    return false;
  }
  *sa = (const struct sockaddr *)data;
  *len = (socklen_t)n;
  return true;
}

/*
 * An address result: a Buffer the kernel writes into, and an Int32Array whose
 * element 0 receives the length the kernel reports (which may exceed the
 * buffer when the address was truncated).
 */
static bool arg_sockaddr_out(napi_env env, napi_value buf_v, napi_value len_v,
                             struct sockaddr **sa, socklen_t *cap, int32_t **len_out) {
  void *data;
  size_t size, count;
  if (!arg_bytes(env, buf_v, &data, &size) || !arg_int32_array(env, len_v, len_out, &count)) return false;
  /* SAFETY: the kernel writes at most *cap = size bytes; len_out[0] needs one element. */
  if (count < 1) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioready native: length output needs 1 element");
    return false;
  }
  *sa = (struct sockaddr *)data;
  *cap = (socklen_t)(size > 0x7fffffff ? 0x7fffffff : size);
  return true;
}

/* socket(domain, type, protocol) -> fd | -errno */
static napi_value socket_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t domain, type, proto;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &domain) ||
      !arg_int32(env, argv[1], &type) || !arg_int32(env, argv[2], &proto))
    return NULL;
  return ret_errno_or(env, socket(domain, type, proto));
}

/*
 * bind(fd, addr, addrlen) / connect(fd, addr, addrlen) -> 0 | -errno.
 * connect is not retried on EINTR: the connection then goes on in the
 * background (a retry would say EALREADY), so TypeScript treats -EINTR like
 * -EINPROGRESS.
 */
static napi_value addr_call(napi_env env, napi_callback_info info, bool is_connect) {
  napi_value argv[3];
  int32_t fd;
  const struct sockaddr *sa;
  socklen_t len;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) ||
      !arg_sockaddr(env, argv[1], argv[2], &sa, &len))
    return NULL;
  return ret_errno_or(env, is_connect ? connect(fd, sa, len) : bind(fd, sa, len));
}
static napi_value bind_js(napi_env env, napi_callback_info info) { return addr_call(env, info, false); }
static napi_value connect_js(napi_env env, napi_callback_info info) { return addr_call(env, info, true); }

/* listen(fd, backlog) -> 0 | -errno */
static napi_value listen_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* fd, backlog */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, listen(a[0], a[1]));
}

/* accept4(fd, flags, addrOut, lenOut) -> new fd | -errno */
static napi_value accept4_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, flags;
  struct sockaddr *sa;
  socklen_t len;
  int32_t *len_out;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &fd) || !arg_int32(env, argv[1], &flags) ||
      !arg_sockaddr_out(env, argv[2], argv[3], &sa, &len, &len_out))
    return NULL;
  long r = RETRY_EINTR(accept4(fd, sa, &len, flags));
  /* SAFETY: len_out has >= 1 element (arg_sockaddr_out). */
  if (r >= 0) len_out[0] = (int32_t)len;
  return ret_errno_or(env, r);
}

/* getsockname / getpeername (fd, addrOut, lenOut) -> 0 | -errno */
static napi_value name_js(napi_env env, napi_callback_info info, bool peer) {
  napi_value argv[3];
  int32_t fd;
  struct sockaddr *sa;
  socklen_t len;
  int32_t *len_out;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) ||
      !arg_sockaddr_out(env, argv[1], argv[2], &sa, &len, &len_out))
    return NULL;
  int r = peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len);
  /* SAFETY: len_out has >= 1 element (arg_sockaddr_out). */
  if (r == 0) len_out[0] = (int32_t)len;
  return ret_errno_or(env, r);
}
static napi_value getsockname_js(napi_env env, napi_callback_info info) { return name_js(env, info, false); }
static napi_value getpeername_js(napi_env env, napi_callback_info info) { return name_js(env, info, true); }

/* recv / send (fd, buf, off, len, flags) -> bytes | -errno */
static napi_value io_call(napi_env env, napi_callback_info info, bool is_send) {
  napi_value argv[5];
  int32_t fd, flags;
  char *p;
  size_t len;
  if (!get_args(env, info, 5, argv) || !arg_int32(env, argv[0], &fd) || !byte_range(env, argv + 1, &p, &len) ||
      !arg_int32(env, argv[4], &flags))
    return NULL;
  /* SAFETY: byte_range put [p, p + len) inside the buffer. */
  return ret_errno_or(env, is_send ? RETRY_EINTR(send(fd, p, len, flags)) : RETRY_EINTR(recv(fd, p, len, flags)));
}
static napi_value recv_js(napi_env env, napi_callback_info info) { return io_call(env, info, false); }
static napi_value send_js(napi_env env, napi_callback_info info) { return io_call(env, info, true); }

/* recvfrom(fd, buf, off, len, flags, addrOut, lenOut) -> bytes | -errno */
static napi_value recvfrom_js(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t fd, flags;
  char *p;
  size_t len;
  struct sockaddr *sa;
  socklen_t salen;
  int32_t *len_out;
  if (!get_args(env, info, 7, argv) || !arg_int32(env, argv[0], &fd) || !byte_range(env, argv + 1, &p, &len) ||
      !arg_int32(env, argv[4], &flags) || !arg_sockaddr_out(env, argv[5], argv[6], &sa, &salen, &len_out))
    return NULL;
  /* SAFETY: [p, p + len) is inside the buffer (byte_range), the address inside its own (arg_sockaddr_out). */
  long r = RETRY_EINTR(recvfrom(fd, p, len, flags, sa, &salen));
  /* A connected stream socket may leave the address untouched: report length 0 then. */
  /* SAFETY: len_out has >= 1 element (arg_sockaddr_out). */
  if (r >= 0) len_out[0] = (int32_t)salen;
  return ret_errno_or(env, r);
}

/* sendto(fd, buf, off, len, flags, addr, addrlen) -> bytes | -errno */
static napi_value sendto_js(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t fd, flags;
  char *p;
  size_t len;
  const struct sockaddr *sa;
  socklen_t salen;
  if (!get_args(env, info, 7, argv) || !arg_int32(env, argv[0], &fd) || !byte_range(env, argv + 1, &p, &len) ||
      !arg_int32(env, argv[4], &flags) || !arg_sockaddr(env, argv[5], argv[6], &sa, &salen))
    return NULL;
  /* SAFETY: [p, p + len) is inside the buffer (byte_range), the address inside its own (arg_sockaddr). */
  return ret_errno_or(env, RETRY_EINTR(sendto(fd, p, len, flags, sa, salen)));
}

/* shutdown(fd, how) -> 0 | -errno */
static napi_value shutdown_js(napi_env env, napi_callback_info info) {
  int32_t a[2]; /* fd, how */
  if (!int_args(env, info, 2, a)) return NULL;
  return ret_errno_or(env, shutdown(a[0], a[1]));
}

/*
 * setsockopt(fd, level, option, values: Int32Array) -> 0 | -errno.
 * The option value is the array's ints in order: one for an int option, two
 * for struct linger { l_onoff, l_linger }.
 */
static napi_value setsockopt_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, opt;
  int32_t *vals;
  size_t count;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &fd) || !arg_int32(env, argv[1], &level) ||
      !arg_int32(env, argv[2], &opt) || !arg_int32_array(env, argv[3], &vals, &count))
    return NULL;
  /* SAFETY: the kernel reads count * 4 bytes, exactly the array's elements. */
  return ret_errno_or(env, setsockopt(fd, level, opt, vals, (socklen_t)(count * sizeof(int32_t))));
}

/*
 * getsockopt(fd, level, option, out: Int32Array) -> bytes written | -errno.
 * out is zeroed first, so a shorter value (a char option) reads as its int.
 */
static napi_value getsockopt_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t fd, level, opt;
  int32_t *out;
  size_t count;
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &fd) || !arg_int32(env, argv[1], &level) ||
      !arg_int32(env, argv[2], &opt) || !arg_int32_array(env, argv[3], &out, &count))
    return NULL;
  /* SAFETY: the kernel writes at most len = count * 4 bytes, the array's size. */
  socklen_t len = (socklen_t)(count * sizeof(int32_t));
  /* SAFETY: i < count, the array's element count. */
  for (size_t i = 0; i < count; i++) out[i] = 0;
  int r = getsockopt(fd, level, opt, out, &len);
  return r < 0 ? ret_int(env, -errno) : ret_int(env, len);
}

bool init_socket(napi_env env, napi_value exports) {
  return export_fn(env, exports, "socket", socket_js) && export_fn(env, exports, "bind", bind_js) &&
         export_fn(env, exports, "connect", connect_js) && export_fn(env, exports, "listen", listen_js) &&
         export_fn(env, exports, "accept4", accept4_js) &&
         export_fn(env, exports, "getsockname", getsockname_js) &&
         export_fn(env, exports, "getpeername", getpeername_js) && export_fn(env, exports, "recv", recv_js) &&
         export_fn(env, exports, "send", send_js) && export_fn(env, exports, "recvfrom", recvfrom_js) &&
         export_fn(env, exports, "sendto", sendto_js) && export_fn(env, exports, "shutdown", shutdown_js) &&
         export_fn(env, exports, "setsockopt", setsockopt_js) &&
         export_fn(env, exports, "getsockopt", getsockopt_js);
}
