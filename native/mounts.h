#ifndef NSVS_MOUNTS_H
#define NSVS_MOUNTS_H
#include <node_api.h>

/* Defines watchMounts on exports (mounts.c). */
void nsvs_mounts_define(napi_env env, napi_value exports);

#endif
