/* Module entry and the small helpers every wrapper shares (see ioready.h). */
#include "ioready.h"

#include <stdio.h>
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

bool get_args(napi_env env, napi_callback_info info, size_t argc, napi_value *argv) {
  size_t n = argc;
  if (napi_get_cb_info(env, info, &n, argv, NULL, NULL) != napi_ok) {
    ioready_throw_last(env);
    return false;
  }
  /* Node-API fills missing arguments with undefined (n reports how many came). */
  return true;
}

static bool expect_number(napi_env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a number");
    return false;
  }
  return true;
}

bool arg_int32(napi_env env, napi_value v, int32_t *out) {
  return expect_number(env, v) && napi_get_value_int32(env, v, out) == napi_ok;
}

bool int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  napi_value argv[8];
  if (n > 8 || !get_args(env, info, n, argv)) return false;
  for (size_t i = 0; i < n; i++)
    if (!arg_int32(env, argv[i], &out[i])) return false;
  return true;
}

bool arg_uint32(napi_env env, napi_value v, uint32_t *out) {
  return expect_number(env, v) && napi_get_value_uint32(env, v, out) == napi_ok;
}

bool arg_int64(napi_env env, napi_value v, int64_t *out) {
  return expect_number(env, v) && napi_get_value_int64(env, v, out) == napi_ok;
}

bool arg_double(napi_env env, napi_value v, double *out) {
  return expect_number(env, v) && napi_get_value_double(env, v, out) == napi_ok;
}

bool arg_bool(napi_env env, napi_value v, bool *out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a boolean");
    return false;
  }
  return true;
}

bool arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false, is_dv = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    void *p;
    if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) goto bad;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = p;
    *len = length * elem;
    return true;
  }
  napi_is_dataview(env, v, &is_dv);
  if (is_dv) {
    napi_value ab;
    size_t offset;
    if (napi_get_dataview_info(env, v, len, data, &ab, &offset) != napi_ok) goto bad;
    return true;
  }
bad:
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected a Buffer or TypedArray");
  return false;
}

bool arg_int32_array(napi_env env, napi_value v, int32_t **data, size_t *count) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  void *p;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, count, &p, &ab, &offset) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ioready native: expected an Int32Array");
    return false;
  }
  *data = p;
  return true;
}

napi_value ret_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

napi_value ret_errno_or(napi_env env, long r) {
  return ret_int(env, r < 0 ? -(int64_t)errno : (int64_t)r);
}

napi_value ret_undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t deadline_after(int32_t timeout_ms) {
  return timeout_ms > 0 ? monotonic_ns() + (int64_t)timeout_ms * 1000000 : 0;
}

int32_t time_left(int32_t timeout_ms, int64_t deadline) {
  if (timeout_ms <= 0) return timeout_ms;
  int64_t left = deadline - monotonic_ns();
  return left > 0 ? (int32_t)((left + 999999) / 1000000) : 0;
}

bool export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

bool export_const(napi_env env, napi_value obj, const char *name, double value) {
  napi_value v;
  return napi_create_double(env, value, &v) == napi_ok &&
         napi_set_named_property(env, obj, name, v) == napi_ok;
}

/* The thread bridge for runtimes without libuv (thread_watch.c). */
bool init_thread_watch(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  if (!init_epoll(env, exports) || !init_watch(env, exports) || !init_thread_watch(env, exports) ||
      !init_fd(env, exports) ||
      !init_fdkinds(env, exports) || !init_socket(env, exports) || !init_poll(env, exports)) {
    ioready_throw_last(env);
    return NULL;
  }
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
