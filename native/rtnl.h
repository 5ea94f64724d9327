/* rtnetlink functions of the addon (rtnl.c). */
#ifndef NSVSWITCH_RTNL_H
#define NSVSWITCH_RTNL_H
#include <node_api.h>

/* Adds the rtnl* functions to the addon's exports. */
void nsvs_rtnl_define(napi_env env, napi_value exports);

#endif
