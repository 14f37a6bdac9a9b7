/* Plain fds: pipes, socketpairs, read, write, close. */
#include "ioready.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Two new fds go to JS through a caller-given Int32Array of length >= 2. */
static napi_value pair_result(napi_env env, int r, int fds[2], napi_value out_v) {
  int32_t *out;
  size_t n;
  if (!arg_int32_array(env, out_v, &out, &n)) {
    if (r == 0) { close(fds[0]); close(fds[1]); }
    return NULL;
  }
  if (r < 0) return ret_int(env, -errno);
  if (n < 2) { close(fds[0]); close(fds[1]); return ret_int(env, -EINVAL); }
  /* SAFETY: n >= 2 was just checked. */
  out[0] = fds[0];
  out[1] = fds[1];
  return ret_int(env, 0);
}

/* pipe2(flags, out: Int32Array) -> 0 | -errno */
static napi_value pipe2_js(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t flags;
  int fds[2];
  if (!get_args(env, info, 2, argv) || !arg_int32(env, argv[0], &flags)) return NULL;
  int r = pipe2(fds, flags);
  return pair_result(env, r, fds, argv[1]);
}

/* socketpair(domain, type, protocol, out: Int32Array) -> 0 | -errno */
static napi_value socketpair_js(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t domain, type, proto;
  int fds[2];
  if (!get_args(env, info, 4, argv) || !arg_int32(env, argv[0], &domain) ||
      !arg_int32(env, argv[1], &type) || !arg_int32(env, argv[2], &proto))
    return NULL;
  int r = socketpair(domain, type, proto, fds);
  return pair_result(env, r, fds, argv[3]);
}

/* Resolve (buffer, offset, length) to a byte range; TS has validated the bounds. */
bool byte_range(napi_env env, napi_value *argv, char **p, size_t *len) {
  void *data;
  size_t size;
  int64_t off, n;
  if (!arg_bytes(env, argv[0], &data, &size) || !arg_int64(env, argv[1], &off) ||
      !arg_int64(env, argv[2], &n))
    return false;
  /* SAFETY: the range is re-checked here so no caller can reach outside the buffer. */
  if (off < 0 || n < 0 || (uint64_t)off > size || (uint64_t)n > size - (uint64_t)off) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioready native: range outside the buffer");
    return false;
  }
  *p = (char *)data + off;
  *len = (size_t)n;
  return true;
}

/*
 * read or write (fd, buf) or (fd, buf, off, len) -> bytes | -errno
 * The hot pair, so the fewest Node-API calls: without a range the whole
 * buffer goes (no offset and length to convert), and the result is an int32
 * (Linux moves at most 0x7ffff000 bytes per call).
 */
static napi_value transfer(napi_env env, napi_callback_info info, bool writing) {
  napi_value argv[4], out;
  size_t argc = 4;
  int32_t fd;
  char *p;
  size_t len;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    ioready_throw_last(env);
    return NULL;
  }
  if (!arg_int32(env, argv[0], &fd)) return NULL;
  if (argc <= 2) {
    if (!arg_bytes(env, argv[1], &data, &len)) return NULL;
    p = data;
  } else if (!byte_range(env, argv + 1, &p, &len)) {
    return NULL;
  }
  /* SAFETY: [p, p + len) is the whole buffer (arg_bytes) or a range byte_range checked inside it. */
  ssize_t r = writing ? RETRY_EINTR(write(fd, p, len)) : RETRY_EINTR(read(fd, p, len));
  if (napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out) != napi_ok) return NULL;
  return out;
}

static napi_value read_js(napi_env env, napi_callback_info info) { return transfer(env, info, false); }
static napi_value write_js(napi_env env, napi_callback_info info) { return transfer(env, info, true); }

/* close(fd) -> 0 | -errno. Never retried: on Linux the fd is released even on EINTR. */
static napi_value close_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!get_args(env, info, 1, argv) || !arg_int32(env, argv[0], &fd)) return NULL;
  int r = close(fd);
  return ret_int(env, (r < 0 && errno != EINTR) ? -errno : 0);
}

/* fcntl(fd, cmd, arg) -> result | -errno (F_GETFL/F_SETFL/F_GETFD/F_SETFD). */
static napi_value fcntl_js(napi_env env, napi_callback_info info) {
  int32_t a[3]; /* fd, cmd, arg */
  if (!int_args(env, info, 3, a)) return NULL;
  if (a[1] != F_GETFL && a[1] != F_SETFL && a[1] != F_GETFD && a[1] != F_SETFD) return ret_int(env, -EINVAL);
  return ret_errno_or(env, RETRY_EINTR(fcntl(a[0], a[1], a[2])));
}

bool init_fd(napi_env env, napi_value exports) {
  return export_fn(env, exports, "pipe2", pipe2_js) &&
         export_fn(env, exports, "socketpair", socketpair_js) &&
         export_fn(env, exports, "read", read_js) &&
         export_fn(env, exports, "write", write_js) &&
         export_fn(env, exports, "close", close_js) &&
         export_fn(env, exports, "fcntl", fcntl_js);
}
