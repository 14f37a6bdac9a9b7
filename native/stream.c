/* Streams (src/stream/): writev for a write stream's queued chunks. */
#include "ioready.h"

#include <limits.h>
#include <sys/uio.h>

/* The most chunks one writev takes (IOV_MAX is 1024 on Linux); the rest go in the next call. */
#define STREAM_IOV_MAX 64

/*
 * writev(fd, chunks: ArrayBufferView[], firstOffset) -> bytes | -errno
 * Writes chunks[0] from firstOffset, then the others whole, in one call; at
 * most STREAM_IOV_MAX chunks (a partial write is the caller's to continue).
 */
static napi_value writev_js(napi_env env, napi_callback_info info) {
  napi_value argv[3], out;
  int32_t fd;
  int64_t first;
  uint32_t count;
  struct iovec iov[STREAM_IOV_MAX];
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) || !arg_int64(env, argv[2], &first))
    return NULL;
  if (napi_get_array_length(env, argv[1], &count) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected an array of buffers");
    return NULL;
  }
  if (count > STREAM_IOV_MAX) count = STREAM_IOV_MAX;
  for (uint32_t i = 0; i < count; i++) {
    napi_value v;
    void *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || !arg_bytes(env, v, &data, &len)) return NULL;
    size_t skip = 0;
    if (i == 0) {
      if (first < 0 || (uint64_t)first > len) {
        napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ioready native: offset outside the first chunk");
        return NULL;
      }
      skip = (size_t)first;
    }
    /* SAFETY: i < count <= STREAM_IOV_MAX, the length of iov; [data + skip, data + len) is inside the chunk (skip <= len checked above). */
    iov[i].iov_base = (char *)data + skip;
    iov[i].iov_len = len - skip;
  }
  ssize_t r = RETRY_EINTR(writev(fd, iov, (int)count));
  if (napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out) != napi_ok) return NULL;
  return out;
}

bool init_stream(napi_env env, napi_value exports) {
  return export_fn(env, exports, "writev", writev_js);
}
