/* Module entry and the small helpers every wrapper shares (see ioready.h). */
#include "ioready.h"

#include <time.h>

void ioready_throw_last(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  const char *msg = (info && info->error_message) ? info->error_message : "Node-API call failed";
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

bool settle_call(napi_env env, napi_status s) {
  if (s == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
  return s == napi_ok;
}

bool get_args(napi_env env, napi_callback_info info, size_t argc, napi_value *argv) {
  size_t n = argc;
  if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok) {
    ioready_throw_last(env);
    return false;
  }
  /* Node-API fills missing arguments with undefined (n reports how many came). */
  return true;
}

static bool not_a(napi_env env, const char *what) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
  return false;
}

bool arg_int32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok || not_a(env, "ioready native: expected a number");
}

bool int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  napi_value argv[8];
  if (n > 8 || !get_args(env, info, n, argv)) return false;
  /* SAFETY: i < n <= 8, the length of argv; out holds n int32s (the caller's array). */
  for (size_t i = 0; i < n; i++)
    if (!arg_int32(env, argv[i], &out[i])) return false;
  return true;
}

bool arg_uint32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok || not_a(env, "ioready native: expected a number");
}

bool arg_int64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok || not_a(env, "ioready native: expected a number");
}

bool arg_bool(napi_env env, napi_value v, bool *out) {
  return napi_get_value_bool(env, v, out) == napi_ok || not_a(env, "ioready native: expected a boolean");
}

/* Bytes per element of a TypedArray type. */
static size_t element_size(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: return 8;
    default: return 1;
  }
}

bool arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  /* A TypedArray (Buffer is one) first: napi_get_typedarray_info refuses anything else. */
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, data, NULL, NULL) == napi_ok) {
    *len = length * element_size(type);
    return true;
  }
  if (napi_get_dataview_info(env, v, len, data, &ab, &offset) == napi_ok) return true;
  return not_a(env, "ioready native: expected a Buffer or TypedArray");
}

bool arg_int32_array(napi_env env, napi_value v, int32_t **data, size_t *count) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  if (napi_get_typedarray_info(env, v, &type, count, &p, &ab, &offset) != napi_ok || type != napi_int32_array)
    return not_a(env, "ioready native: expected an Int32Array");
  *data = p;
  return true;
}

napi_value ret_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

napi_value ret_errno_or(napi_env env, long r) {
  napi_value out;
  /* An int32 when it fits (every call's result but a huge read's): cheaper to make. */
  if (r >= -0x7fffffffL && r <= 0x7fffffffL) {
    if (napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &out) != napi_ok) return NULL;
    return out;
  }
  return ret_int(env, r < 0 ? -(int64_t)errno : (int64_t)r);
}

int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

static napi_value init(napi_env env, napi_value exports) {
  if (!init_constants(env, exports) || !init_epoll(env, exports) || !init_watch(env, exports) ||
      !init_fd(env, exports) || !init_fdkinds(env, exports) ||
      !init_socket(env, exports) || !init_poll(env, exports) || !init_ioctl(env, exports) ||
      !init_gpio(env, exports)) {
    ioready_throw_last(env);
    return NULL;
  }
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
