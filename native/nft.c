/*
 * nf_tables over a plain NETLINK_NETFILTER socket: the host seal's chains
 * and the gateway table's counters, without an `nft` process. Layouts and
 * constants are the kernel's uapi (linux/netfilter/nf_tables.h,
 * nfnetlink.h); no libnftnl.
 *
 *   nftNetdevChains(netnsFd, table, add[], remove[], priority) -> failures[]
 *       One transaction (NFNL_MSG_BATCH_BEGIN ... BATCH_END) in the netdev
 *       family: with `add`, the table (created when missing, flags 0 like
 *       `add table`) and per name a base chain hooked at ingress of the
 *       device of that name, the given priority, policy drop, type filter;
 *       per name in `remove` the chain flushed and deleted. Every message asks
 *       for an ACK; the result lists the messages the kernel refused, each
 *       with its interface name in `ifname` (null: the table or the batch as a whole).
 *       Empty: committed. Not empty: nothing was committed (all or nothing).
 *   nftCounters(netnsFd, family, table) -> [{name, packets, bytes}]
 *       The named counters of one table (NFT_MSG_GETOBJ dump).
 *   nftGuardTable(netnsFd, table, priority) -> {sealed[], other[], tableChanged}
 *       The netdev table `table` read as nft-text.ts's parseGuardTable reads
 *       `nft -s list table` (the full sync's listing without a process):
 *       `sealed` the chains exactly as nftNetdevChains adds them, with no
 *       rule; `other` every other chain; `tableChanged` when the table holds
 *       more than chains (flags, a comment, a named set, an object, a
 *       flowtable). Dumps of the table, chains, rules, sets, objects and
 *       flowtables, listed again (a bounded number of times) when the
 *       ruleset generation changed in between. A missing table lists empty.
 *
 * Whole-call failures (entering the namespace, the socket, a lost or late
 * answer) are thrown as errors with code, errno, op and reason, as in rtnl.c.
 * The socket, dump requests and reads serve nft-digest.c too (nft-wire.h).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "napi-args.h"
#include "netns.h"
#include "nft.h"
#include "nft-wire.h"
#include "op-error.h"

/* Longest a transaction may wait for the kernel's answer. */
#define NFT_TIMEOUT_S 10
/* Names per call: a pass plugs at most 256; the cap bounds the buffers, the caller splits beyond it. */
#define NFT_MAX_NAMES 1024
#define TABLE_CAP 64
#define RECV_CAP 65536
#define REASON_CAP 256

static uint32_t next_seq = 1;

/* ---- message building ---- */

struct buf {
  char *p;
  size_t len, cap;
};

static int buf_room(struct buf *b, size_t more) {
  if (b->len + more <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return 0;
  memset(p + b->cap, 0, cap - b->cap);
  b->p = p;
  b->cap = cap;
  return 1;
}

/* Starts a message (header + nfgenmsg); returns its offset, or (size_t)-1 when out of memory. */
static size_t msg_begin(struct buf *b, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id, uint32_t seq) {
  size_t need = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct nfgenmsg)));
  if (!buf_room(b, need)) return (size_t)-1;
  size_t at = b->len;
  struct nlmsghdr *h = (struct nlmsghdr *)(b->p + at);
  h->nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg));
  h->nlmsg_type = type;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
  h->nlmsg_seq = seq;
  h->nlmsg_pid = 0;
  struct nfgenmsg *g = NLMSG_DATA(h);
  g->nfgen_family = family;
  g->version = NFNETLINK_V0;
  g->res_id = htons(res_id);
  b->len = at + need;
  return at;
}

static void msg_end(struct buf *b, size_t at) {
  ((struct nlmsghdr *)(b->p + at))->nlmsg_len = (uint32_t)(b->len - at);
}

/* Appends an attribute; returns its offset (for nests) or (size_t)-1. */
static size_t attr(struct buf *b, uint16_t type, const void *data, size_t len) {
  if (!buf_room(b, NLA_ALIGN(NLA_HDRLEN + len))) return (size_t)-1;
  size_t at = b->len;
  struct nlattr *a = (struct nlattr *)(b->p + at);
  a->nla_type = type;
  a->nla_len = (uint16_t)(NLA_HDRLEN + len);
  if (len) memcpy(b->p + at + NLA_HDRLEN, data, len);
  b->len = at + NLA_ALIGN(NLA_HDRLEN + len);
  return at;
}

static int attr_str(struct buf *b, uint16_t type, const char *s) { return attr(b, type, s, strlen(s) + 1) != (size_t)-1; }
/* nf_tables' integers are big-endian. */
static int attr_be32(struct buf *b, uint16_t type, uint32_t v) {
  uint32_t be = htonl(v);
  return attr(b, type, &be, sizeof be) != (size_t)-1;
}

static void nest_end(struct buf *b, size_t at) {
  ((struct nlattr *)(b->p + at))->nla_len = (uint16_t)(b->len - at);
}

/* ---- talking to the kernel ---- */

/* A NETLINK_NETFILTER socket bound to netns `fd` (-1: the caller's own), buffers sized for `msgs` acks. */
static int open_nft_socket(int netns, size_t bytes, size_t msgs, int *sock) {
  int saved, err = nsvs_enter_netns(netns, &saved);
  if (err) return err;
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  err = s < 0 ? errno : 0;
  nsvs_leave_netns(saved);
  if (err) return err;
  struct timeval tv = { .tv_sec = NFT_TIMEOUT_S, .tv_usec = 0 };
  int one = 1;
  if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) { err = errno; close(s); return err; }
  setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  /* Every ack is its own skb: room for all of them, or the kernel drops some (ENOBUFS) and the outcome is unknown. */
  int rcv = (int)(msgs * 2048 > (1u << 20) ? msgs * 2048 : (1u << 20));
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0) setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  int snd = (int)(bytes * 2 > (1u << 18) ? bytes * 2 : (1u << 18));
  if (setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof snd) < 0) setsockopt(s, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
  *sock = s;
  return 0;
}

static int send_all(int sock, const struct buf *b) {
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ssize_t n;
  do n = sendto(sock, b->p, b->len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return (size_t)n == b->len ? 0 : EMSGSIZE;
}

/* Reads one datagram; 0, or an errno (a timeout is ETIMEDOUT). */
static int recv_one(int sock, char *buf, int *len) {
  ssize_t n;
  do n = recv(sock, buf, RECV_CAP, MSG_TRUNC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT : errno;
  if (n == 0) return EIO;
  /* A datagram longer than the buffer was cut: its messages cannot be read whole. */
  if (n > RECV_CAP) return EMSGSIZE;
  *len = (int)n;
  return 0;
}

/* ---- the seal: one transaction of netdev chains ---- */

enum step { STEP_TABLE, STEP_FLUSH, STEP_DELETE, STEP_ADD };
static const char *const STEP_OP[] = { "add table", "flush chain", "delete chain", "add chain" };

/* What one message of the batch was, and how the kernel answered it. */
struct sent {
  enum step step;
  int name; /* index into the names, -1 for the table */
  int acked;
  int err;
  char reason[REASON_CAP];
};

struct names {
  char (*v)[IFNAMSIZ + 1];
  uint32_t count;
};

/* An array of 0..NFT_MAX_NAMES interface names (1-15 bytes each); else a TypeError and -1. */
static int names_arg(napi_env env, napi_value v, struct names *out) {
  bool is_array = false;
  out->v = NULL;
  out->count = 0;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &out->count) != napi_ok || out->count > NFT_MAX_NAMES) {
    napi_throw_type_error(env, "EINVAL", "expected an array of at most 1024 interface names");
    return -1;
  }
  if (out->count == 0) return 0;
  out->v = calloc(out->count, sizeof *out->v);
  if (!out->v) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return -1;
  }
  for (uint32_t i = 0; i < out->count; i++) {
    napi_value e;
    if (napi_get_element(env, v, i, &e) != napi_ok || nsvs_str_arg(env, e, out->v[i], sizeof out->v[i], "interface name must be 1-15 bytes")) {
      free(out->v);
      out->v = NULL;
      return -1;
    }
  }
  return 0;
}

/* nft identifiers as the table names are made (letters, digits, underscore): 1..63 bytes. */
static int table_arg(napi_env env, napi_value v, char *table) {
  if (nsvs_str_arg(env, v, table, TABLE_CAP, "table name must be 1-62 bytes")) return -1;
  for (const char *c = table; *c; c++) {
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_')) {
      napi_throw_type_error(env, "EINVAL", "table name may hold only letters, digits and underscores");
      return -1;
    }
  }
  return 0;
}

static int build_chain_batch(struct buf *b, struct sent *sent, size_t *nsent, uint32_t base, const char *table,
                             const struct names *add, const struct names *del, int32_t priority) {
  const uint16_t T = NFNL_SUBSYS_NFTABLES << 8;
  const uint8_t fam = NFPROTO_NETDEV;
  uint32_t seq = base;
  size_t n = 0, m;
  if ((m = msg_begin(b, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq++)) == (size_t)-1) return 0;
  msg_end(b, m);
  if (add->count > 0) {
    if ((m = msg_begin(b, T | NFT_MSG_NEWTABLE, NLM_F_ACK | NLM_F_CREATE, fam, 0, seq++)) == (size_t)-1) return 0;
    if (!attr_str(b, NFTA_TABLE_NAME, table) || !attr_be32(b, NFTA_TABLE_FLAGS, 0)) return 0;
    msg_end(b, m);
    sent[n++] = (struct sent){ .step = STEP_TABLE, .name = -1 };
  }
  /* Deletions first (flushed first: a chain someone added rules to cannot be deleted otherwise), as nft-text's script. */
  for (uint32_t i = 0; i < del->count; i++) {
    if ((m = msg_begin(b, T | NFT_MSG_DELRULE, NLM_F_ACK, fam, 0, seq++)) == (size_t)-1) return 0;
    if (!attr_str(b, NFTA_RULE_TABLE, table) || !attr_str(b, NFTA_RULE_CHAIN, del->v[i])) return 0;
    msg_end(b, m);
    sent[n++] = (struct sent){ .step = STEP_FLUSH, .name = (int)i };
    if ((m = msg_begin(b, T | NFT_MSG_DELCHAIN, NLM_F_ACK, fam, 0, seq++)) == (size_t)-1) return 0;
    if (!attr_str(b, NFTA_CHAIN_TABLE, table) || !attr_str(b, NFTA_CHAIN_NAME, del->v[i])) return 0;
    msg_end(b, m);
    sent[n++] = (struct sent){ .step = STEP_DELETE, .name = (int)i };
  }
  for (uint32_t i = 0; i < add->count; i++) {
    if ((m = msg_begin(b, T | NFT_MSG_NEWCHAIN, NLM_F_ACK | NLM_F_CREATE, fam, 0, seq++)) == (size_t)-1) return 0;
    if (!attr_str(b, NFTA_CHAIN_TABLE, table) || !attr_str(b, NFTA_CHAIN_NAME, add->v[i])) return 0;
    size_t hook = attr(b, NFTA_CHAIN_HOOK | NLA_F_NESTED, NULL, 0);
    if (hook == (size_t)-1 || !attr_be32(b, NFTA_HOOK_HOOKNUM, NF_NETDEV_INGRESS) || !attr_be32(b, NFTA_HOOK_PRIORITY, (uint32_t)priority) ||
        !attr_str(b, NFTA_HOOK_DEV, add->v[i])) return 0;
    nest_end(b, hook);
    if (!attr_be32(b, NFTA_CHAIN_POLICY, NF_DROP) || !attr_str(b, NFTA_CHAIN_TYPE, "filter")) return 0;
    msg_end(b, m);
    sent[n++] = (struct sent){ .step = STEP_ADD, .name = (int)i };
  }
  if ((m = msg_begin(b, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, seq++)) == (size_t)-1) return 0;
  msg_end(b, m);
  *nsent = n;
  return 1;
}

/*
 * Reads acks until every message has one, or the kernel refused the batch as
 * a whole (an error against BATCH_BEGIN: a bad batch, or the commit failed;
 * it comes before the per-message acks). 0, or a call-level errno.
 */
static int read_acks(int sock, uint32_t base, struct sent *sent, size_t nsent, int *batch_err, char *batch_reason) {
  char *buf = malloc(RECV_CAP);
  if (!buf) return ENOMEM;
  size_t pending = nsent;
  int err = 0;
  *batch_err = 0;
  while (pending > 0 && *batch_err == 0) {
    int len;
    if ((err = recv_one(sock, buf, &len))) break;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) continue;
      const struct nlmsgerr *e = NLMSG_DATA(h);
      uint32_t seq = e->msg.nlmsg_seq;
      if (seq == base) {
        if (e->error != 0) { *batch_err = -e->error; nsvs_ext_ack_reason(h, batch_reason, REASON_CAP); }
        continue;
      }
      if (seq <= base || seq - base > nsent) continue;
      struct sent *s = &sent[seq - base - 1];
      if (s->acked) continue;
      s->acked = 1;
      s->err = -e->error;
      if (s->err) nsvs_ext_ack_reason(h, s->reason, sizeof s->reason);
      pending--;
    }
  }
  free(buf);
  return err;
}

static napi_value failure(napi_env env, const char *name, const char *op, int err, const char *reason) {
  napi_value o, v;
  o = nsvs_op_error(env, op, name ? name : "(table)", err, reason);
  if (name) napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, o, "ifname", v);
  return o;
}

static napi_value js_netdev_chains(napi_env env, napi_callback_info info) {
  napi_value argv[5], out = NULL;
  int netns, priority;
  char table[TABLE_CAP];
  struct names add = { 0 }, del = { 0 };
  if (nsvs_args(env, info, 5, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (table_arg(env, argv[1], table) || names_arg(env, argv[2], &add)) return NULL;
  if (names_arg(env, argv[3], &del)) { free(add.v); return NULL; }
  if (nsvs_int_arg(env, argv[4], &priority, "expected a hook priority")) goto done;
  if (add.count + del.count == 0) { napi_create_array(env, &out); goto done; }

  size_t cap = 1 + add.count + 2 * (size_t)del.count;
  struct sent *sent = calloc(cap, sizeof *sent);
  struct buf b = { 0 };
  size_t nsent = 0;
  uint32_t base = __atomic_fetch_add(&next_seq, (uint32_t)cap + 2, __ATOMIC_RELAXED);
  if (!sent || !build_chain_batch(&b, sent, &nsent, base, table, &add, &del, priority)) {
    free(sent);
    free(b.p);
    napi_throw(env, nsvs_op_error(env, "build nftables batch for", table, ENOMEM, NULL));
    goto done;
  }
  int sock, batch_err = 0, err = open_nft_socket(netns, b.len, nsent, &sock);
  char batch_reason[REASON_CAP] = "";
  const char *op = "open nftables socket for";
  if (!err) {
    op = "send nftables batch to";
    err = send_all(sock, &b);
    if (!err) { op = "read nftables acks from"; err = read_acks(sock, base, sent, nsent, &batch_err, batch_reason); }
    close(sock);
  }
  free(b.p);
  if (err) {
    free(sent);
    napi_throw(env, nsvs_op_error(env, op, table, err, NULL));
    goto done;
  }
  napi_create_array(env, &out);
  uint32_t k = 0;
  if (batch_err) napi_set_element(env, out, k++, failure(env, NULL, "commit", batch_err, batch_reason));
  for (size_t i = 0; i < nsent; i++) {
    if (!sent[i].err) continue;
    const char *name = sent[i].name < 0 ? NULL : (sent[i].step == STEP_ADD ? add.v : del.v)[sent[i].name];
    napi_set_element(env, out, k++, failure(env, name, STEP_OP[sent[i].step], sent[i].err, sent[i].reason));
  }
  free(sent);
done:
  free(add.v);
  free(del.v);
  return out;
}

/* ---- counters: one GETOBJ dump of a table ---- */

struct counters_ctx {
  napi_env env;
  napi_value array;
  uint32_t count;
  const char *table;
};

static void counter_object(struct counters_ctx *c, const struct nlmsghdr *h) {
  const char *name = NULL, *table = NULL;
  uint64_t packets = 0, bytes = 0;
  uint32_t type = 0;
  size_t at = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
  while (at + NLA_HDRLEN <= h->nlmsg_len) {
    const struct nlattr *a = (const struct nlattr *)((const char *)h + at);
    if (a->nla_len < NLA_HDRLEN || at + a->nla_len > h->nlmsg_len) return;
    const char *p = (const char *)a + NLA_HDRLEN;
    size_t len = a->nla_len - NLA_HDRLEN;
    int t = a->nla_type & NLA_TYPE_MASK;
    if ((t == NFTA_OBJ_NAME || t == NFTA_OBJ_TABLE) && len >= 1 && p[len - 1] == '\0') *(t == NFTA_OBJ_NAME ? &name : &table) = p;
    else if (t == NFTA_OBJ_TYPE && len == 4) { memcpy(&type, p, 4); type = ntohl(type); }
    else if (t == NFTA_OBJ_DATA) {
      size_t in = 0;
      while (in + NLA_HDRLEN <= len) {
        const struct nlattr *d = (const struct nlattr *)(p + in);
        if (d->nla_len < NLA_HDRLEN || in + d->nla_len > len) break;
        int dt = d->nla_type & NLA_TYPE_MASK;
        if ((dt == NFTA_COUNTER_PACKETS || dt == NFTA_COUNTER_BYTES) && d->nla_len == NLA_HDRLEN + 8) {
          uint64_t v;
          memcpy(&v, (const char *)d + NLA_HDRLEN, 8);
          *(dt == NFTA_COUNTER_PACKETS ? &packets : &bytes) = be64toh(v);
        }
        in += NLA_ALIGN(d->nla_len);
      }
    }
    at += NLA_ALIGN(a->nla_len);
  }
  if (!name || type != NFT_OBJECT_COUNTER || !table || strcmp(table, c->table) != 0) return;
  napi_value o, v;
  napi_create_object(c->env, &o);
  napi_create_string_utf8(c->env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(c->env, o, "name", v);
  napi_create_double(c->env, (double)packets, &v);
  napi_set_named_property(c->env, o, "packets", v);
  napi_create_double(c->env, (double)bytes, &v);
  napi_set_named_property(c->env, o, "bytes", v);
  napi_set_element(c->env, c->array, c->count++, o);
}

int nsvs_nft_family_table_args(napi_env env, napi_callback_info info, int *netns, uint8_t *family, char *table) {
  napi_value argv[3];
  char family_text[16];
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], netns, "expected an integer file descriptor")) return -1;
  if (nsvs_str_arg(env, argv[1], family_text, sizeof family_text, "expected a family") || table_arg(env, argv[2], table)) return -1;
  if (strcmp(family_text, "inet") == 0) *family = NFPROTO_INET;
  else if (strcmp(family_text, "netdev") == 0) *family = NFPROTO_NETDEV;
  else {
    napi_throw_type_error(env, "EINVAL", "family must be inet or netdev");
    return -1;
  }
  return 0;
}

static napi_value js_counters(napi_env env, napi_callback_info info) {
  int netns;
  uint8_t family;
  char table[TABLE_CAP];
  if (nsvs_nft_family_table_args(env, info, &netns, &family, table)) return NULL;
  struct buf b = { 0 };
  uint32_t seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
  size_t m = msg_begin(&b, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETOBJ, NLM_F_DUMP, family, 0, seq);
  int ok = m != (size_t)-1 && attr_str(&b, NFTA_OBJ_TABLE, table) && attr_be32(&b, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
  if (!ok) {
    free(b.p);
    napi_throw(env, nsvs_op_error(env, "build counter request for", table, ENOMEM, NULL));
    return NULL;
  }
  msg_end(&b, m);
  struct counters_ctx c = { .env = env, .count = 0, .table = table };
  napi_create_array(env, &c.array);
  int sock, err = open_nft_socket(netns, b.len, 1, &sock);
  const char *op = "open nftables socket for";
  char reason[REASON_CAP] = "";
  if (!err) {
    op = "list counters of";
    err = send_all(sock, &b);
    char *buf = err ? NULL : malloc(RECV_CAP);
    if (!err && !buf) err = ENOMEM;
    for (int done = 0; !err && !done;) {
      int len;
      if ((err = recv_one(sock, buf, &len))) break;
      for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_seq != seq) continue;
        if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
        if (h->nlmsg_type == NLMSG_ERROR) {
          const struct nlmsgerr *e = NLMSG_DATA(h);
          if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) err = EIO;
          else if (e->error) { err = -e->error; nsvs_ext_ack_reason(h, reason, sizeof reason); }
          done = 1;
          break;
        }
        if (h->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWOBJ)) counter_object(&c, h);
      }
    }
    free(buf);
    close(sock);
  }
  free(b.p);
  if (err) {
    napi_throw(env, nsvs_op_error(env, op, table, err, reason));
    return NULL;
  }
  return c.array;
}

/* ---- the seal table, listed: what nft-text.ts's parseGuardTable reads from `nft -s list table` ---- */

/* Bounds of one listing: beyond them it is an error, never unbounded memory. */
#define GUARD_MAX_CHAINS 65536
/* Listings tried while the ruleset changes under them (five dumps are not one snapshot). */
/* Room for the attribute types of any of the five objects (the largest, sets, has about 20). */
#define GUARD_ATTR_CAP 32

struct guard_chain {
  char *name;
  int sealing; /* hooked exactly as nftNetdevChains adds it (rules aside) */
  int has_rule;
  int hidden;  /* not printed as a chain of its own by nft (a bound chain) or not read as one by the parser */
};

struct guard_list {
  const char *table;
  int32_t priority;
  struct guard_chain *chains;
  size_t count, cap;
  int found;   /* the table exists */
  int changed; /* tableChanged */
  int err;     /* set by a reader: ENOMEM, E2BIG */
  struct nsvs_nft_listing l;
};

typedef void (*guard_reader)(struct guard_list *g, const struct nlattr *const *tb);

/* Attributes of one level into tb[0..max] (last one of a type wins); unknown types are skipped. */
static void attrs_parse(const char *p, size_t len, const struct nlattr **tb, int max) {
  memset(tb, 0, sizeof *tb * (size_t)(max + 1));
  size_t at = 0;
  while (at + NLA_HDRLEN <= len) {
    const struct nlattr *a = (const struct nlattr *)(p + at);
    if (a->nla_len < NLA_HDRLEN || at + a->nla_len > len) return;
    int t = a->nla_type & NLA_TYPE_MASK;
    if (t <= max) tb[t] = a;
    at += NLA_ALIGN(a->nla_len);
  }
}

static const char *nla_strz(const struct nlattr *a) {
  if (!a || a->nla_len <= NLA_HDRLEN) return NULL;
  const char *p = (const char *)a + NLA_HDRLEN;
  return p[a->nla_len - NLA_HDRLEN - 1] == '\0' ? p : NULL;
}

/* A big-endian u32 attribute; `dflt` when absent or not 4 bytes. */
static uint32_t nla_be32(const struct nlattr *a, uint32_t dflt) {
  if (!a || a->nla_len != NLA_HDRLEN + 4) return dflt;
  uint32_t v;
  memcpy(&v, (const char *)a + NLA_HDRLEN, 4);
  return ntohl(v);
}

static int of_table(const struct guard_list *g, const struct nlattr *a) {
  const char *t = nla_strz(a);
  return t && strcmp(t, g->table) == 0;
}

static void guard_table(struct guard_list *g, const struct nlattr *const *tb) {
  if (!of_table(g, tb[NFTA_TABLE_NAME])) return;
  g->found = 1;
  /* Dormant (or any flag), or userdata (nft prints its comment): more than chains. */
  if (nla_be32(tb[NFTA_TABLE_FLAGS], 0) != 0 || tb[NFTA_TABLE_USERDATA]) g->changed = 1;
}

/* Hook of a base chain: ingress at the priority, exactly one device, named as the chain (NFTA_HOOK_DEVS when the kernel lists them, else NFTA_HOOK_DEV). */
static int sealing_hook(const struct guard_list *g, const struct nlattr *hook, const char *name) {
  const struct nlattr *tb[NFTA_HOOK_MAX + 1];
  attrs_parse((const char *)hook + NLA_HDRLEN, hook->nla_len - NLA_HDRLEN, tb, NFTA_HOOK_MAX);
  if (!tb[NFTA_HOOK_HOOKNUM] || nla_be32(tb[NFTA_HOOK_HOOKNUM], 0) != NF_NETDEV_INGRESS) return 0;
  if (!tb[NFTA_HOOK_PRIORITY] || (int32_t)nla_be32(tb[NFTA_HOOK_PRIORITY], 0) != g->priority) return 0;
  if (tb[NFTA_HOOK_DEVS]) {
    const struct nlattr *devs = tb[NFTA_HOOK_DEVS];
    const char *p = (const char *)devs + NLA_HDRLEN;
    size_t len = devs->nla_len - NLA_HDRLEN, at = 0;
    int n = 0, match = 0;
    while (at + NLA_HDRLEN <= len) {
      const struct nlattr *d = (const struct nlattr *)(p + at);
      if (d->nla_len < NLA_HDRLEN || at + d->nla_len > len) return 0;
      const char *dev = (d->nla_type & NLA_TYPE_MASK) == NFTA_DEVICE_NAME ? nla_strz(d) : NULL;
      n++;
      match = dev && strcmp(dev, name) == 0;
      at += NLA_ALIGN(d->nla_len);
    }
    return n == 1 && match;
  }
  const char *dev = nla_strz(tb[NFTA_HOOK_DEV]);
  return dev && strcmp(dev, name) == 0;
}

static void guard_chain(struct guard_list *g, const struct nlattr *const *tb) {
  const char *name = nla_strz(tb[NFTA_CHAIN_NAME]);
  if (!of_table(g, tb[NFTA_CHAIN_TABLE]) || !name) return;
  if (g->count == GUARD_MAX_CHAINS) {
    g->err = E2BIG;
    snprintf(g->l.reason, sizeof g->l.reason, "more than %d chains", GUARD_MAX_CHAINS);
    return;
  }
  if (g->count == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 64;
    struct guard_chain *c = realloc(g->chains, cap * sizeof *c);
    if (!c) { g->err = ENOMEM; return; }
    g->chains = c;
    g->cap = cap;
  }
  struct guard_chain *c = &g->chains[g->count];
  *c = (struct guard_chain){ .name = strdup(name) };
  if (!c->name) { g->err = ENOMEM; return; }
  g->count++;
  uint32_t flags = nla_be32(tb[NFTA_CHAIN_FLAGS], 0);
  /* nft prints a bound chain inside the rule that jumps to it (a nested block), and a name with
   * whitespace the parser cannot read as a chain: either way the text parser sees a table change. */
  if ((flags & NFT_CHAIN_BINDING) || strpbrk(name, " \t\n\v\f\r")) {
    c->hidden = 1;
    g->changed = 1;
    return;
  }
  const char *type = nla_strz(tb[NFTA_CHAIN_TYPE]);
  c->sealing = tb[NFTA_CHAIN_HOOK] && sealing_hook(g, tb[NFTA_CHAIN_HOOK], name) && type && strcmp(type, "filter") == 0 &&
               tb[NFTA_CHAIN_POLICY] && nla_be32(tb[NFTA_CHAIN_POLICY], NF_ACCEPT) == NF_DROP &&
               (flags & ~(uint32_t)NFT_CHAIN_BASE) == 0 && !tb[NFTA_CHAIN_USERDATA];
}

static int chain_cmp(const void *a, const void *b) {
  return strcmp(((const struct guard_chain *)a)->name, ((const struct guard_chain *)b)->name);
}

static void guard_rule(struct guard_list *g, const struct nlattr *const *tb) {
  const char *chain = nla_strz(tb[NFTA_RULE_CHAIN]);
  if (!of_table(g, tb[NFTA_RULE_TABLE]) || !chain) return;
  struct guard_chain key = { .name = (char *)chain };
  struct guard_chain *c = bsearch(&key, g->chains, g->count, sizeof key, chain_cmp);
  if (c) c->has_rule = 1;
  else g->l.torn = 1; /* a chain added after the chain dump */
}

static void guard_set(struct guard_list *g, const struct nlattr *const *tb) {
  /* Anonymous sets belong to a rule (nft prints them inside it); a named set is a table change. */
  if (of_table(g, tb[NFTA_SET_TABLE]) && !(nla_be32(tb[NFTA_SET_FLAGS], 0) & NFT_SET_ANONYMOUS)) g->changed = 1;
}

static void guard_obj(struct guard_list *g, const struct nlattr *const *tb) {
  if (of_table(g, tb[NFTA_OBJ_TABLE])) g->changed = 1;
}

static void guard_flowtable(struct guard_list *g, const struct nlattr *const *tb) {
  if (of_table(g, tb[NFTA_FLOWTABLE_TABLE])) g->changed = 1;
}

/* guard_dump's bridge from the shared dump loop to a guard reader: the message's attributes parsed into tb. */
struct guard_call {
  struct guard_list *g;
  int max;
  guard_reader reader;
};

static int guard_msg(void *ctx, const char *attrs, size_t len) {
  struct guard_call *c = ctx;
  const struct nlattr *tb[GUARD_ATTR_CAP];
  attrs_parse(attrs, len, tb, c->max);
  c->reader(c->g, tb);
  return c->g->err;
}

/* One dump of `get` in the netdev family (filtered by the table as attribute `table_attr`, when not 0), every `reply` to `reader`. */
static int guard_dump(int sock, char *rx, struct guard_list *g, uint8_t get, uint8_t reply, uint16_t table_attr, int max, guard_reader reader) {
  if (max >= GUARD_ATTR_CAP) return EINVAL;
  struct guard_call c = { g, max, reader };
  const uint16_t types[] = { table_attr };
  const char *const values[] = { g->table };
  return nsvs_nft_dump(sock, rx, &g->l, NFPROTO_NETDEV, get, reply, types, values, table_attr ? 1 : 0, guard_msg, &c);
}

static void guard_reset(struct guard_list *g) {
  for (size_t i = 0; i < g->count; i++) free(g->chains[i].name);
  free(g->chains);
  *g = (struct guard_list){ .table = g->table, .priority = g->priority };
}

/* One listing: the table, and when it exists its chains, rules, sets, objects and flowtables. 0 or an errno. */
static int guard_attempt(int netns, char *rx, struct guard_list *g, const char **op) {
  int sock, err = open_nft_socket(netns, 4096, 1, &sock);
  if (err) { *op = "open nftables socket for"; return err; }
  *op = "list nftables table";
  err = guard_dump(sock, rx, g, NFT_MSG_GETTABLE, NFT_MSG_NEWTABLE, 0, NFTA_TABLE_MAX, guard_table);
  if (!err && g->found) {
    *op = "list chains of";
    err = guard_dump(sock, rx, g, NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN, 0, NFTA_CHAIN_MAX, guard_chain);
    if (!err) {
      qsort(g->chains, g->count, sizeof *g->chains, chain_cmp);
      *op = "list rules of";
      err = guard_dump(sock, rx, g, NFT_MSG_GETRULE, NFT_MSG_NEWRULE, NFTA_RULE_TABLE, NFTA_RULE_MAX, guard_rule);
    }
    if (!err) { *op = "list sets of"; err = guard_dump(sock, rx, g, NFT_MSG_GETSET, NFT_MSG_NEWSET, NFTA_SET_TABLE, NFTA_SET_MAX, guard_set); }
    if (!err) { *op = "list objects of"; err = guard_dump(sock, rx, g, NFT_MSG_GETOBJ, NFT_MSG_NEWOBJ, NFTA_OBJ_TABLE, NFTA_OBJ_MAX, guard_obj); }
    if (!err) {
      *op = "list flowtables of";
      err = guard_dump(sock, rx, g, NFT_MSG_GETFLOWTABLE, NFT_MSG_NEWFLOWTABLE, NFTA_FLOWTABLE_TABLE, NFTA_FLOWTABLE_MAX, guard_flowtable);
    }
    /* The table went away between the dumps (the set dump's lookup says so): list again. */
    if (err == ENOENT) { err = 0; g->l.torn = 1; }
  }
  close(sock);
  return err;
}

static void guard_reset_any(void *g) { guard_reset(g); }
static int guard_attempt_any(int netns, char *rx, void *g, const char **op) { return guard_attempt(netns, rx, g, op); }

static napi_value string_array(napi_env env, const struct guard_list *g, int sealed) {
  napi_value arr, v;
  uint32_t k = 0;
  napi_create_array(env, &arr);
  for (size_t i = 0; i < g->count; i++) {
    const struct guard_chain *c = &g->chains[i];
    if (c->hidden || (c->sealing && !c->has_rule) != sealed) continue;
    napi_create_string_utf8(env, c->name, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, arr, k++, v);
  }
  return arr;
}

static napi_value js_guard_table(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns, priority;
  char table[TABLE_CAP];
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (table_arg(env, argv[1], table) || nsvs_int_arg(env, argv[2], &priority, "expected a hook priority")) return NULL;
  struct guard_list g = { .table = table, .priority = priority };
  const char *op = "list nftables table";
  int listings;
  int err = nsvs_nft_list_untorn(netns, &g.l, guard_reset_any, guard_attempt_any, &g, &op, &listings);
  napi_value out = NULL;
  if (err) {
    napi_throw(env, nsvs_op_error(env, op, table, err, g.l.reason));
  } else {
    napi_value v;
    napi_create_object(env, &out);
    napi_set_named_property(env, out, "sealed", string_array(env, &g, 1));
    napi_set_named_property(env, out, "other", string_array(env, &g, 0));
    napi_get_boolean(env, g.changed, &v);
    napi_set_named_property(env, out, "tableChanged", v);
  }
  guard_reset(&g);
  return out;
}

/* ---- for nft-digest.c (nft-wire.h): the same socket, requests and reads ---- */

_Static_assert(RECV_CAP == NSVS_NFT_RECV_CAP && TABLE_CAP == NSVS_NFT_TABLE_CAP && REASON_CAP == NSVS_NFT_REASON_CAP, "nft-wire.h sizes");

int nsvs_nft_socket(int netns, int *sock) { return open_nft_socket(netns, 4096, 1, sock); }

/* Sends one NLM_F_DUMP request `get` in `family` with `n` string attributes (types[i] = values[i]); *seq gets its sequence. */
static int dump_request(int sock, uint8_t family, uint8_t get, const uint16_t *types, const char *const *values, size_t n, uint32_t *seq) {
  struct buf b = { 0 };
  *seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
  size_t m = msg_begin(&b, (NFNL_SUBSYS_NFTABLES << 8) | get, NLM_F_DUMP, family, 0, *seq);
  int ok = m != (size_t)-1;
  for (size_t i = 0; ok && i < n; i++) ok = attr_str(&b, types[i], values[i]);
  if (!ok) { free(b.p); return ENOMEM; }
  msg_end(&b, m);
  int err = send_all(sock, &b);
  free(b.p);
  return err;
}

int nsvs_nft_dump(int sock, char *rx, struct nsvs_nft_listing *l, uint8_t family, uint8_t get, uint8_t reply,
                  const uint16_t *types, const char *const *values, size_t n, nsvs_nft_msg_fn fn, void *ctx) {
  uint32_t seq;
  int err = dump_request(sock, family, get, types, values, n, &seq);
  for (int done = 0; !err && !done;) {
    int len;
    if ((err = recv_one(sock, rx, &len))) break;
    l->bytes += (size_t)len;
    if (l->bytes > NSVS_NFT_LISTING_MAX_BYTES) {
      snprintf(l->reason, sizeof l->reason, "listing larger than %u MiB", NSVS_NFT_LISTING_MAX_BYTES >> 20);
      return EFBIG;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)rx; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_flags & NLM_F_DUMP_INTR) l->torn = 1;
      if (h->nlmsg_type == NLMSG_DONE) {
        /* The dump's own failure, if any, is the int after the header. */
        int status = 0;
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof status)) memcpy(&status, NLMSG_DATA(h), sizeof status);
        if (status < 0) err = -status;
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) err = EIO;
        else if (e->error) { err = -e->error; nsvs_ext_ack_reason(h, l->reason, sizeof l->reason); }
        done = 1;
        break;
      }
      if (h->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | reply) || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg))) continue;
      const struct nfgenmsg *nfg = NLMSG_DATA(h);
      uint16_t gen = ntohs(nfg->res_id);
      if (l->gen_set && gen != l->gen) l->torn = 1;
      l->gen = gen;
      l->gen_set = 1;
      size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct nfgenmsg)));
      int stop = fn(ctx, (const char *)h + off, h->nlmsg_len - off);
      if (stop) return stop;
    }
  }
  return err;
}

int nsvs_nft_list_untorn(int netns, struct nsvs_nft_listing *l, void (*reset)(void *ctx),
                         int (*attempt)(int netns, char *rx, void *ctx, const char **op), void *ctx, const char **op, int *listings) {
  char *rx = malloc(NSVS_NFT_RECV_CAP);
  int err = rx ? 0 : ENOMEM;
  *listings = 0;
  while (!err) {
    if (*listings == NSVS_NFT_LISTING_ATTEMPTS) {
      err = EAGAIN;
      *op = "list nftables table";
      snprintf(l->reason, sizeof l->reason, "the ruleset changed during each of %d listings", NSVS_NFT_LISTING_ATTEMPTS);
      break;
    }
    reset(ctx);
    ++*listings;
    err = attempt(netns, rx, ctx, op);
    if (!err && !l->torn) break;
  }
  free(rx);
  return err;
}


void nsvs_nft_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "nftNetdevChains", NULL, js_netdev_chains, NULL, NULL, NULL, napi_default, NULL },
    { "nftCounters", NULL, js_counters, NULL, NULL, NULL, napi_default, NULL },
    { "nftGuardTable", NULL, js_guard_table, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
