/* nf_tables functions of the addon (nft.c). */
#ifndef NSVSWITCH_NFT_H
#define NSVSWITCH_NFT_H
#include <node_api.h>

/* Adds the nft* functions to the addon's exports. */
void nsvs_nft_define(napi_env env, napi_value exports);
/* Adds nftTableDigest (nft-digest.c). */
void nsvs_nft_digest_define(napi_env env, napi_value exports);

#endif
