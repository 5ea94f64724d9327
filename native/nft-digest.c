/*
 * nftTableDigest(netnsFd, family, table) -> {digest, chains, rules, sets, elements, objects, flowtables, listings} | null
 *
 * What an nftables table holds, as one 64-bit digest (16 hex digits), read
 * with nf_tables dumps instead of an `nft -s list table` process: the full
 * sync compares it to the digest recorded when a listing last found the
 * table intact (src/plumbing/gateway), so a table nobody touched is checked
 * without a process. null: there is no such table.
 *
 * Hashed, in the order the kernel dumps them: the table (flags, userdata =
 * the comment), its chains (type, hook, priority, devices, policy, flags,
 * userdata), rules (every expression, in order; userdata), sets (and, per
 * set, its elements, order-free: a hash set may dump them in another order
 * after a resize), objects and flowtables. Left out is everything that
 * changes while nobody edits the table, and the identities `nft -s list`
 * does not print either:
 *   - counter values (counter expressions, counter objects), quota used and
 *     its depleted flag, `last` timestamps, element expiry times;
 *   - reference counts (NFTA_*_USE), base chain counters;
 *   - handles and rule positions (a rule's place is its place in the dump);
 *   - the ruleset generation (it only tells a listing torn by a commit).
 * Unknown attributes and expressions are hashed as they are: if one held
 * state, the digest would differ while nothing was edited, and the caller
 * would list with `nft` (a process, never a wrong repair).
 *
 * The hash is SipHash-2-4 keyed with a random key per process: the digest
 * is only compared within one agent's life, and a keyed hash cannot be
 * steered by someone crafting rules to keep it unchanged (FNV could).
 *
 * Bounds: 64 MiB of dump messages and 65536 sets per listing (beyond: an
 * error, E2BIG/EFBIG); memory is the receive buffer and the set names.
 * Listed again (at most 4 times) when the ruleset generation changed
 * between or during the dumps, or the kernel marked a dump interrupted.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "napi-args.h"
#include "nft-wire.h"
#include "nft.h"
#include "op-error.h"

#define DIGEST_MAX_SETS 65536
/* Expressions inside expressions (dynset, set templates) deeper than this are hashed as they are. */
#define DIGEST_MAX_DEPTH 4

/* ---- SipHash-2-4, streamed ---- */

static uint64_t sip_key[2];
static pthread_once_t sip_key_once = PTHREAD_ONCE_INIT;

static void sip_key_init(void) {
  if (getrandom(sip_key, sizeof sip_key, 0) == (ssize_t)sizeof sip_key) return;
  /* No entropy source: still a digest, only no longer secret. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  sip_key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
  sip_key[1] = (uint64_t)ts.tv_sec * 0xc2b2ae3d27d4eb4full ^ (uint64_t)(uintptr_t)&ts;
}

struct sip {
  uint64_t v0, v1, v2, v3, tail;
  uint64_t len;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_rounds(struct sip *s, int n) {
  while (n-- > 0) {
    s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0; s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
    s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
    s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2; s->v2 = ROTL(s->v2, 32);
  }
}

static void sip_init(struct sip *s) {
  pthread_once(&sip_key_once, sip_key_init);
  s->v0 = sip_key[0] ^ 0x736f6d6570736575ull;
  s->v1 = sip_key[1] ^ 0x646f72616e646f6dull;
  s->v2 = sip_key[0] ^ 0x6c7967656e657261ull;
  s->v3 = sip_key[1] ^ 0x7465646279746573ull;
  s->tail = 0;
  s->len = 0;
}

static void sip_feed(struct sip *s, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) {
    s->tail |= (uint64_t)p[i] << (8 * (s->len & 7));
    if ((++s->len & 7) == 0) {
      s->v3 ^= s->tail;
      sip_rounds(s, 2);
      s->v0 ^= s->tail;
      s->tail = 0;
    }
  }
}

static uint64_t sip_final(const struct sip *in) {
  struct sip s = *in;
  uint64_t b = s.tail | (s.len << 56);
  s.v3 ^= b;
  sip_rounds(&s, 2);
  s.v0 ^= b;
  s.v2 ^= 0xff;
  sip_rounds(&s, 4);
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* Fixed-width integers, little-endian, so the stream does not depend on the machine. */
static void feed_u16(struct sip *s, uint16_t v) {
  unsigned char b[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
  sip_feed(s, b, sizeof b);
}

static void feed_u64(struct sip *s, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  sip_feed(s, b, sizeof b);
}

/* ---- attributes ---- */

#define ATTR_TYPE(a) ((uint16_t)((a)->nla_type & NLA_TYPE_MASK))
#define PAYLOAD(a) ((const char *)(a) + NLA_HDRLEN)
#define PAYLOAD_LEN(a) ((size_t)(a)->nla_len - NLA_HDRLEN)

/* Each whole attribute of one level (a malformed one ends the level, as the kernel never sends one). */
#define EACH_ATTR(a, base, size)                                                                                  \
  for (const struct nlattr *a = (const struct nlattr *)(base);                                                   \
       (size_t)((const char *)a - (const char *)(base)) + NLA_HDRLEN <= (size) && a->nla_len >= NLA_HDRLEN &&     \
       (size_t)((const char *)a - (const char *)(base)) + a->nla_len <= (size);                                  \
       a = (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len)))

static const char *attr_strz(const struct nlattr *a) {
  if (!a || a->nla_len <= NLA_HDRLEN) return NULL;
  const char *p = PAYLOAD(a);
  return p[PAYLOAD_LEN(a) - 1] == '\0' ? p : NULL;
}

/* An attribute as it is: type, length, bytes (the kernel zeroes the padding of nests). */
static void feed_attr(struct sip *s, const struct nlattr *a) {
  feed_u16(s, ATTR_TYPE(a));
  feed_u16(s, (uint16_t)PAYLOAD_LEN(a));
  sip_feed(s, PAYLOAD(a), PAYLOAD_LEN(a));
}

/* A nest whose inside the caller hashes: its type and a marker, then its attributes. */
static void feed_nest(struct sip *s, const struct nlattr *a) {
  feed_u16(s, ATTR_TYPE(a));
  feed_u16(s, 0xffff);
}

static void feed_expr(struct sip *s, const struct nlattr *expr, int depth);

/* NFTA_LIST_ELEM after NFTA_LIST_ELEM, each an expression (rules, set and dynset templates, element expressions). */
static void feed_expr_list(struct sip *s, const struct nlattr *list, int depth) {
  feed_nest(s, list);
  EACH_ATTR(e, PAYLOAD(list), PAYLOAD_LEN(list)) {
    if (ATTR_TYPE(e) == NFTA_LIST_ELEM) feed_expr(s, e, depth);
    else feed_attr(s, e);
  }
}

/*
 * The data of a stateful expression or object (`kind`: its expression name; NULL: hashed as it is), less
 * what traffic changes: a counter is all state, `last` too; a quota keeps its limit and inversion.
 */
static void feed_stateful(struct sip *s, const char *kind, const struct nlattr *data, int depth) {
  if (!kind || depth > DIGEST_MAX_DEPTH) { feed_attr(s, data); return; }
  int counter = strcmp(kind, "counter") == 0, last = strcmp(kind, "last") == 0, quota = strcmp(kind, "quota") == 0;
  int dynset = strcmp(kind, "dynset") == 0;
  feed_nest(s, data);
  EACH_ATTR(a, PAYLOAD(data), PAYLOAD_LEN(data)) {
    uint16_t t = ATTR_TYPE(a);
    if (counter || last) continue;
    if (quota && (t == NFTA_QUOTA_CONSUMED || t == NFTA_QUOTA_PAD)) continue;
    if (quota && t == NFTA_QUOTA_FLAGS && PAYLOAD_LEN(a) == 4) {
      uint32_t f;
      memcpy(&f, PAYLOAD(a), 4);
      feed_u16(s, t);
      feed_u64(s, ntohl(f) & ~(uint32_t)NFT_QUOTA_F_DEPLETED);
      continue;
    }
    if (dynset && t == NFTA_DYNSET_EXPR) { feed_expr(s, a, depth + 1); continue; }
    if (dynset && t == NFTA_DYNSET_EXPRESSIONS) { feed_expr_list(s, a, depth + 1); continue; }
    feed_attr(s, a);
  }
}

/* One expression: NFTA_EXPR_NAME, and NFTA_EXPR_DATA less its state. */
static void feed_expr(struct sip *s, const struct nlattr *expr, int depth) {
  const char *name = NULL;
  EACH_ATTR(a, PAYLOAD(expr), PAYLOAD_LEN(expr)) if (ATTR_TYPE(a) == NFTA_EXPR_NAME) name = attr_strz(a);
  feed_nest(s, expr);
  EACH_ATTR(a, PAYLOAD(expr), PAYLOAD_LEN(expr)) {
    if (ATTR_TYPE(a) == NFTA_EXPR_DATA) feed_stateful(s, name, a, depth);
    else feed_attr(s, a);
  }
}

/* ---- one listing ---- */

struct digest {
  const char *table;
  uint8_t family;
  struct sip h;
  char **sets;
  size_t nsets, setcap;
  /* The elements of the set being dumped: count and sum of their own hashes (order-free). */
  uint64_t elem_sum, elem_count;
  uint32_t chains, rules, objects, flowtables;
  uint64_t elements;
  int found;
  int err; /* set by a reader: ENOMEM, E2BIG */
  struct nsvs_nft_listing l;
};

typedef void (*digest_reader)(struct digest *d, const char *attrs, size_t len);

/* The message's attribute naming its table, when it is ours. */
static int ours(const struct digest *d, const char *attrs, size_t len, uint16_t table_attr) {
  EACH_ATTR(a, attrs, len) {
    if (ATTR_TYPE(a) != table_attr) continue;
    const char *t = attr_strz(a);
    return t && strcmp(t, d->table) == 0;
  }
  return 0;
}

/* An object's attributes after its tag, less those in `skip` (a 0-terminated list). */
static void feed_object(struct digest *d, char tag, const char *attrs, size_t len, const uint16_t *skip) {
  sip_feed(&d->h, &tag, 1);
  EACH_ATTR(a, attrs, len) {
    uint16_t t = ATTR_TYPE(a);
    int skipped = 0;
    for (const uint16_t *k = skip; *k && !skipped; k++) skipped = *k == t;
    if (!skipped) feed_attr(&d->h, a);
  }
}

static void read_table(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_TABLE_NAME)) return;
  d->found = 1;
  /* The owner is a socket's port id (its flag is in the flags). */
  static const uint16_t skip[] = { NFTA_TABLE_USE, NFTA_TABLE_HANDLE, NFTA_TABLE_PAD, NFTA_TABLE_OWNER, 0 };
  feed_object(d, 'T', attrs, len, skip);
}

static void read_chain(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_CHAIN_TABLE)) return;
  d->chains++;
  static const uint16_t skip[] = { NFTA_CHAIN_HANDLE, NFTA_CHAIN_USE, NFTA_CHAIN_COUNTERS, NFTA_CHAIN_PAD, NFTA_CHAIN_ID, 0 };
  feed_object(d, 'C', attrs, len, skip);
}

static void read_rule(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_RULE_TABLE)) return;
  d->rules++;
  sip_feed(&d->h, "R", 1);
  EACH_ATTR(a, attrs, len) {
    switch (ATTR_TYPE(a)) {
      case NFTA_RULE_HANDLE: case NFTA_RULE_POSITION: case NFTA_RULE_PAD: case NFTA_RULE_ID: case NFTA_RULE_POSITION_ID: case NFTA_RULE_CHAIN_ID:
        break;
      case NFTA_RULE_EXPRESSIONS:
        feed_expr_list(&d->h, a, 0);
        break;
      default:
        feed_attr(&d->h, a);
    }
  }
}

static void read_set(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_SET_TABLE)) return;
  const char *name = NULL;
  EACH_ATTR(a, attrs, len) if (ATTR_TYPE(a) == NFTA_SET_NAME) name = attr_strz(a);
  if (!name) return;
  if (d->nsets == DIGEST_MAX_SETS) {
    d->err = E2BIG;
    snprintf(d->l.reason, sizeof d->l.reason, "more than %d sets", DIGEST_MAX_SETS);
    return;
  }
  if (d->nsets == d->setcap) {
    size_t cap = d->setcap ? d->setcap * 2 : 16;
    char **v = realloc(d->sets, cap * sizeof *v);
    if (!v) { d->err = ENOMEM; return; }
    d->sets = v;
    d->setcap = cap;
  }
  if (!(d->sets[d->nsets] = strdup(name))) { d->err = ENOMEM; return; }
  d->nsets++;
  sip_feed(&d->h, "S", 1);
  EACH_ATTR(a, attrs, len) {
    switch (ATTR_TYPE(a)) {
      case NFTA_SET_HANDLE: case NFTA_SET_PAD: case NFTA_SET_ID:
        break;
      case NFTA_SET_EXPR:
        feed_expr(&d->h, a, 0);
        break;
      case NFTA_SET_EXPRESSIONS:
        feed_expr_list(&d->h, a, 0);
        break;
      default:
        feed_attr(&d->h, a);
    }
  }
}

/* Elements of the set being dumped: each hashed alone and added up, so their order does not count. */
static void read_elements(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_SET_ELEM_LIST_TABLE)) return;
  EACH_ATTR(list, attrs, len) {
    if (ATTR_TYPE(list) != NFTA_SET_ELEM_LIST_ELEMENTS) continue;
    EACH_ATTR(elem, PAYLOAD(list), PAYLOAD_LEN(list)) {
      struct sip e;
      sip_init(&e);
      EACH_ATTR(a, PAYLOAD(elem), PAYLOAD_LEN(elem)) {
        switch (ATTR_TYPE(a)) {
          case NFTA_SET_ELEM_EXPIRATION: case NFTA_SET_ELEM_PAD:
            break;
          case NFTA_SET_ELEM_EXPR:
            feed_expr(&e, a, 0);
            break;
          case NFTA_SET_ELEM_EXPRESSIONS:
            feed_expr_list(&e, a, 0);
            break;
          default:
            feed_attr(&e, a);
        }
      }
      d->elem_sum += sip_final(&e);
      d->elem_count++;
      d->elements++;
    }
  }
}

static void read_object(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_OBJ_TABLE)) return;
  d->objects++;
  uint32_t type = 0;
  EACH_ATTR(a, attrs, len) {
    if (ATTR_TYPE(a) == NFTA_OBJ_TYPE && PAYLOAD_LEN(a) == 4) { memcpy(&type, PAYLOAD(a), 4); type = ntohl(type); }
  }
  /* Counter and quota objects carry the same attributes as their expressions. */
  const char *kind = type == NFT_OBJECT_COUNTER ? "counter" : type == NFT_OBJECT_QUOTA ? "quota" : NULL;
  sip_feed(&d->h, "O", 1);
  EACH_ATTR(a, attrs, len) {
    switch (ATTR_TYPE(a)) {
      case NFTA_OBJ_HANDLE: case NFTA_OBJ_USE: case NFTA_OBJ_PAD:
        break;
      case NFTA_OBJ_DATA:
        feed_stateful(&d->h, kind, a, 0);
        break;
      default:
        feed_attr(&d->h, a);
    }
  }
}

static void read_flowtable(struct digest *d, const char *attrs, size_t len) {
  if (!ours(d, attrs, len, NFTA_FLOWTABLE_TABLE)) return;
  d->flowtables++;
  static const uint16_t skip[] = { NFTA_FLOWTABLE_USE, NFTA_FLOWTABLE_HANDLE, NFTA_FLOWTABLE_PAD, 0 };
  feed_object(d, 'F', attrs, len, skip);
}

/* digest_dump's bridge from the shared dump loop to a digest reader. */
struct digest_call {
  struct digest *d;
  digest_reader reader;
};

static int digest_msg(void *ctx, const char *attrs, size_t len) {
  struct digest_call *c = ctx;
  c->reader(c->d, attrs, len);
  return c->d->err;
}

/* One dump of `get` (filtered by the string attributes given), every `reply` message to `reader`. */
static int digest_dump(int sock, char *rx, struct digest *d, uint8_t get, uint8_t reply, const uint16_t *types, const char *const *values, size_t n, digest_reader reader) {
  struct digest_call c = { d, reader };
  return nsvs_nft_dump(sock, rx, &d->l, d->family, get, reply, types, values, n, digest_msg, &c);
}

static void digest_reset(struct digest *d) {
  for (size_t i = 0; i < d->nsets; i++) free(d->sets[i]);
  free(d->sets);
  *d = (struct digest){ .table = d->table, .family = d->family };
  sip_init(&d->h);
  /* The family is in each message's header, not its attributes: hashed once, first. */
  sip_feed(&d->h, &d->family, 1);
}

/* One listing: the table, and when it exists its chains, rules, sets with their elements, objects and flowtables. 0 or an errno. */
static int digest_attempt(int netns, char *rx, struct digest *d, const char **op) {
  int sock, err = nsvs_nft_socket(netns, &sock);
  if (err) { *op = "open nftables socket for"; return err; }
  *op = "list nftables table";
  err = digest_dump(sock, rx, d, NFT_MSG_GETTABLE, NFT_MSG_NEWTABLE, NULL, NULL, 0, read_table);
  if (!err && d->found) {
    const char *t[] = { d->table };
    static const uint16_t rule_attr[] = { NFTA_RULE_TABLE }, set_attr[] = { NFTA_SET_TABLE }, obj_attr[] = { NFTA_OBJ_TABLE }, ft_attr[] = { NFTA_FLOWTABLE_TABLE };
    /* Chains are dumped for the whole family (the kernel takes no table there): ours are picked out. */
    *op = "list chains of";
    err = digest_dump(sock, rx, d, NFT_MSG_GETCHAIN, NFT_MSG_NEWCHAIN, NULL, NULL, 0, read_chain);
    if (!err) { *op = "list rules of"; err = digest_dump(sock, rx, d, NFT_MSG_GETRULE, NFT_MSG_NEWRULE, rule_attr, t, 1, read_rule); }
    if (!err) { *op = "list sets of"; err = digest_dump(sock, rx, d, NFT_MSG_GETSET, NFT_MSG_NEWSET, set_attr, t, 1, read_set); }
    for (size_t i = 0; !err && i < d->nsets; i++) {
      static const uint16_t elem_attrs[] = { NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET };
      const char *v[] = { d->table, d->sets[i] };
      d->elem_sum = d->elem_count = 0;
      *op = "list set elements of";
      err = digest_dump(sock, rx, d, NFT_MSG_GETSETELEM, NFT_MSG_NEWSETELEM, elem_attrs, v, 2, read_elements);
      sip_feed(&d->h, "E", 1);
      feed_u64(&d->h, i);
      feed_u64(&d->h, d->elem_count);
      feed_u64(&d->h, d->elem_sum);
    }
    if (!err) { *op = "list objects of"; err = digest_dump(sock, rx, d, NFT_MSG_GETOBJ, NFT_MSG_NEWOBJ, obj_attr, t, 1, read_object); }
    if (!err) { *op = "list flowtables of"; err = digest_dump(sock, rx, d, NFT_MSG_GETFLOWTABLE, NFT_MSG_NEWFLOWTABLE, ft_attr, t, 1, read_flowtable); }
    /* The table or a set went away between the dumps (the lookup says so): list again. */
    if (err == ENOENT) { err = 0; d->l.torn = 1; }
  }
  close(sock);
  return err;
}

static void digest_reset_any(void *d) { digest_reset(d); }
static int digest_attempt_any(int netns, char *rx, void *d, const char **op) { return digest_attempt(netns, rx, d, op); }

static void set_number(napi_env env, napi_value o, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, o, name, n);
}

static napi_value js_table_digest(napi_env env, napi_callback_info info) {
  int netns;
  uint8_t family;
  char table[NSVS_NFT_TABLE_CAP];
  if (nsvs_nft_family_table_args(env, info, &netns, &family, table)) return NULL;
  struct digest d = { .table = table, .family = family };
  const char *op = "list nftables table";
  int listings;
  int err = nsvs_nft_list_untorn(netns, &d.l, digest_reset_any, digest_attempt_any, &d, &op, &listings);
  napi_value out = NULL;
  if (err) {
    napi_throw(env, nsvs_op_error(env, op, table, err, d.l.reason));
  } else if (!d.found) {
    napi_get_null(env, &out);
  } else {
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sip_final(&d.h));
    napi_value v;
    napi_create_object(env, &out);
    napi_create_string_utf8(env, hex, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, out, "digest", v);
    set_number(env, out, "chains", d.chains);
    set_number(env, out, "rules", d.rules);
    set_number(env, out, "sets", (double)d.nsets);
    set_number(env, out, "elements", (double)d.elements);
    set_number(env, out, "objects", d.objects);
    set_number(env, out, "flowtables", d.flowtables);
    /* How many listings it took (more than one: the ruleset changed under the first). */
    set_number(env, out, "listings", listings);
  }
  digest_reset(&d);
  return out;
}

void nsvs_nft_digest_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "nftTableDigest", NULL, js_table_digest, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
