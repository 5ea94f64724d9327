/*
 * The nf_tables netlink plumbing nft.c keeps, for the other nf_tables file
 * (nft-digest.c): one home for the socket, the dump loop, listing again
 * when the ruleset changed under a listing, and the (netns, family, table)
 * arguments.
 */
#ifndef NSVSWITCH_NFT_WIRE_H
#define NSVSWITCH_NFT_WIRE_H

#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

/* Size of a receive buffer: one datagram of a dump (the kernel sends at most 32 KiB). */
#define NSVS_NFT_RECV_CAP 65536
/* Room for a table name (1..62 bytes) and its NUL. */
#define NSVS_NFT_TABLE_CAP 64
/* Room for the kernel's extended-ack text. */
#define NSVS_NFT_REASON_CAP 256

/* A NETLINK_NETFILTER socket bound to netns `fd` (-1: the caller's own), with the receive timeout. 0 or an errno. */
int nsvs_nft_socket(int netns, int *sock);
/* What one listing (several dumps) keeps across its dumps. */
struct nsvs_nft_listing {
  size_t bytes;              /* read so far */
  int torn;                  /* the ruleset changed between or during the dumps: list again */
  int gen_set;
  uint16_t gen;              /* the ruleset generation of the messages so far */
  char reason[NSVS_NFT_REASON_CAP];
};
/* Largest listing read (all its dumps together) before it is an error (EFBIG). */
#define NSVS_NFT_LISTING_MAX_BYTES (64u << 20)
/* Takes one `reply` message's attributes; 0 to go on, or an errno that ends the dump with it. */
typedef int (*nsvs_nft_msg_fn)(void *ctx, const char *attrs, size_t len);
/*
 * One NLM_F_DUMP of `get` in `family` (with `n` string attributes for the kernel to filter by), every
 * `reply` message to `fn`. Each message carries the ruleset generation (nfgenmsg res_id): a different
 * one, or a dump the kernel marks interrupted, sets l->torn. 0, or an errno (l->reason: the kernel's,
 * or the bound that was hit).
 */
int nsvs_nft_dump(int sock, char *rx, struct nsvs_nft_listing *l, uint8_t family, uint8_t get, uint8_t reply,
                  const uint16_t *types, const char *const *values, size_t n, nsvs_nft_msg_fn fn, void *ctx);
/* Listings of one table before a ruleset that keeps changing under them is given up on (EAGAIN). */
#define NSVS_NFT_LISTING_ATTEMPTS 4
/*
 * Lists until a listing is not torn: `reset(ctx)` then `attempt(netns, rx, ctx, op)` (its dumps read into
 * rx), at most NSVS_NFT_LISTING_ATTEMPTS times, `l` being the listing `reset` clears and `attempt` fills.
 * 0 or an errno (*op and l->reason say what failed); *listings gets how many listings it took.
 */
int nsvs_nft_list_untorn(int netns, struct nsvs_nft_listing *l, void (*reset)(void *ctx),
                         int (*attempt)(int netns, char *rx, void *ctx, const char **op), void *ctx, const char **op, int *listings);
/* The arguments (netnsFd, 'inet' | 'netdev', table) into *netns, *family and table[NSVS_NFT_TABLE_CAP]; else a TypeError and -1. */
int nsvs_nft_family_table_args(napi_env env, napi_callback_info info, int *netns, uint8_t *family, char *table);

#endif
