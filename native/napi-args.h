/* Arguments from JavaScript, checked: one home for both addon files (nsvswitch.c, rtnl.c). */
#ifndef NSVSWITCH_NAPI_ARGS_H
#define NSVSWITCH_NAPI_ARGS_H

#include <node_api.h>
#include <string.h>

/* At least `want` arguments into argv; else a TypeError and -1. */
static inline int nsvs_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return -1;
  }
  return 0;
}

/* A 32-bit integer; else a TypeError saying `what` and -1. */
static inline int nsvs_int_arg(napi_env env, napi_value v, int *out, const char *what) {
  if (napi_get_value_int32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", what);
    return -1;
  }
  return 0;
}

/* A string of 1..cap-2 bytes without NUL (longer ones are refused, never truncated); else a TypeError and -1. */
static inline int nsvs_str_arg(napi_env env, napi_value v, char *buf, size_t cap, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok || len == 0 || len >= cap - 1 || strlen(buf) != len) {
    napi_throw_type_error(env, "EINVAL", what);
    return -1;
  }
  return 0;
}

#endif
