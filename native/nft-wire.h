/*
 * The nf_tables netlink plumbing nft.c keeps, for the other nf_tables file
 * (nft-digest.c): one home for the socket, dump requests and reads.
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
/* Sends one NLM_F_DUMP request `get` in `family` with `n` string attributes (types[i] = values[i]); *seq gets its sequence. 0 or an errno. */
int nsvs_nft_dump_request(int sock, uint8_t family, uint8_t get, const uint16_t *types, const char *const *values, size_t n, uint32_t *seq);
/* Reads one datagram into rx (NSVS_NFT_RECV_CAP bytes); 0, or an errno (a timeout is ETIMEDOUT). */
int nsvs_nft_recv(int sock, char *rx, int *len);
/* A table name argument (letters, digits, underscore; 1..62 bytes) into table[NSVS_NFT_TABLE_CAP]; else a TypeError and -1. */
int nsvs_nft_table_arg(napi_env env, napi_value v, char *table);

#endif
