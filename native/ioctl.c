/*
 * ioctl(2), generic: the request number says how many bytes the kernel reads
 * or writes through the argument (_IOC_SIZE) and in which direction
 * (_IOC_DIR), so one wrapper serves every well-formed request (GPIO, and
 * later evdev, hidraw...) with the struct encoded in TypeScript. The buffer's
 * length is checked against the request before the call: a request never
 * reads or writes past the caller's memory. Requests that do not encode their
 * argument (the old-style ones, such as TIOCGWINSZ's 0x5413) are not served.
 */
#include "ioready.h"

#include <sys/ioctl.h>

/*
 * ioctl(fd, request, buf?) -> result | -errno
 * request: an unsigned 32-bit request number. _IOC_NONE requests take no
 * buffer (argument 0); any other needs a Buffer/TypedArray/DataView of
 * exactly _IOC_SIZE(request) bytes, or a TypeError is thrown and nothing is
 * called. EINTR is retried.
 */
static napi_value ioctl_js(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t fd;
  uint32_t request;
  if (!get_args(env, info, 3, argv) || !arg_int32(env, argv[0], &fd) || !arg_uint32(env, argv[1], &request))
    return NULL;
  napi_valuetype type;
  if (napi_typeof(env, argv[2], &type) != napi_ok) {
    ioready_throw_last(env);
    return NULL;
  }
  size_t size = _IOC_SIZE(request);
  if (_IOC_DIR(request) == _IOC_NONE) {
    if (type != napi_undefined) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ioready native: an _IOC_NONE ioctl request takes no buffer");
      return NULL;
    }
    return ret_errno_or(env, RETRY_EINTR(ioctl(fd, (unsigned long)request, 0)));
  }
  void *data;
  size_t len;
  if (!arg_bytes(env, argv[2], &data, &len)) return NULL;
  /* SAFETY: the kernel reads and writes exactly _IOC_SIZE(request) bytes at data for a
   * request that encodes its size, and the buffer holds exactly that many. */
  if (len != size) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ioready native: the buffer's length differs from the size the ioctl request encodes");
    return NULL;
  }
  return ret_errno_or(env, RETRY_EINTR(ioctl(fd, (unsigned long)request, data)));
}

bool init_ioctl(napi_env env, napi_value exports) {
  return export_fn(env, exports, "ioctl", ioctl_js);
}
