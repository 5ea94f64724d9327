/*
 * rtnetlink over a plain NETLINK_ROUTE socket: the link, address and route
 * requests `ip` would send, without a process. A netlink socket stays bound
 * to the namespace it was created in, so a socket for another namespace is
 * made by entering it on this thread for exactly one socket() call.
 *
 *   rtnlOpen(netnsFd) -> sock                       NETLINK_ROUTE socket in that namespace (-1: the caller's own)
 *   rtnlClose(sock)
 *   rtnlCreateVeth(sock, name, mtu, peer, peerMac, peerNetnsFd) -> err|null
 *                                                   veth whose peer is created straight in peerNetnsFd
 *   rtnlHostUp(sock, name) -> err|null              addrgenmode none + up (like `ip link set NAME addrgenmode none up`)
 *   rtnlDeleteLink(sock, name) -> err|null
 *   rtnlListLinks(sock, prefix) -> [{name, ifindex, mtu, up}]
 *   rtnlLinkAddrs(sock, names) -> [{name, ifindex, up, addrs4}]
 *                                                   those of the named links that exist, with their IPv4
 *                                                   addresses (what `ip -j addr show` lists for them)
 *   rtnlConfigure(netnsFd, tmpName, ifName, ip, prefixLen, gateway|null) -> err|null
 *                                                   inside the namespace: rename, address, lo up, link up, default route
 *   rtnlConfigure6(netnsFd, tmpName, ifName, ip|null, prefixLen, gateway|null, ip6, prefixLen6, gateway6|null) -> err|null
 *     (ip null: an IPv6-only port, no IPv4 address and no IPv4 route; gateway must then be null too)
 *                                                   the same for a dual-stack port: also addrgenmode eui64 and the
 *                                                   EUI-64 link-local address (nodad) before link up, the IPv6
 *                                                   address without DAD (nodad), the IPv6 default route
 *
 * Per-item operations return null or an error object {op, errno, code,
 * message} (a failed item is routine: the caller attributes it to its
 * namespace); rtnlOpen, rtnlListLinks and rtnlLinkAddrs throw errors with the same fields.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "napi-args.h"
#include "netns.h"
#include "op-error.h"
#include "rtnl.h"

/* Longest a request may wait for the kernel's answer; a sync call never hangs the agent for longer. */
#define RTNL_TIMEOUT_S 10
#define REQ_CAP 1024
#define RECV_CAP 65536
#define REASON_CAP 256

static uint32_t next_seq = 1;

struct req {
  struct nlmsghdr *h;
  char buf[REQ_CAP];
};

/* The outcome of one request: 0, or an errno with the kernel's extended-ack text when it gave one. */
struct outcome {
  int err;
  char reason[REASON_CAP];
};

static struct nlmsghdr *req_init(struct req *r, uint16_t type, uint16_t flags, const void *body, size_t len) {
  memset(r->buf, 0, sizeof r->buf);
  r->h = (struct nlmsghdr *)r->buf;
  r->h->nlmsg_len = NLMSG_LENGTH(len);
  r->h->nlmsg_type = type;
  r->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  memcpy(NLMSG_DATA(r->h), body, len);
  return r->h;
}

/* Appends an attribute; false when the request would not fit (never with the bounded names used here). */
static int put(struct req *r, uint16_t type, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
  if (at + RTA_SPACE(len) > sizeof r->buf) return 0;
  struct rtattr *a = (struct rtattr *)(r->buf + at);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->h->nlmsg_len = at + RTA_SPACE(len);
  return 1;
}

/* Appends bytes that are not an attribute (the ifinfomsg that opens a veth peer nest). */
static int raw(struct req *r, const void *data, size_t len) {
  size_t at = NLMSG_ALIGN(r->h->nlmsg_len);
  if (at + NLMSG_ALIGN(len) > sizeof r->buf) return 0;
  memcpy(r->buf + at, data, len);
  r->h->nlmsg_len = at + NLMSG_ALIGN(len);
  return 1;
}

static int put_str(struct req *r, uint16_t type, const char *s) { return put(r, type, s, strlen(s) + 1); }
static int put_u32(struct req *r, uint16_t type, uint32_t v) { return put(r, type, &v, sizeof v); }

static struct rtattr *nest(struct req *r, uint16_t type) {
  struct rtattr *a = (struct rtattr *)(r->buf + NLMSG_ALIGN(r->h->nlmsg_len));
  return put(r, type | NLA_F_NESTED, NULL, 0) ? a : NULL;
}

static void nest_end(struct req *r, struct rtattr *a) {
  a->rta_len = (unsigned short)((char *)r->h + r->h->nlmsg_len - (char *)a);
}

typedef void (*on_msg)(struct nlmsghdr *h, void *ctx);

/*
 * Sends one request and reads until its ack (or, for a dump, NLMSG_DONE);
 * replies of this sequence number go to `cb`, stale ones are skipped.
 */
static void talk(int sock, struct req *r, on_msg cb, void *ctx, struct outcome *o) {
  o->err = 0;
  o->reason[0] = '\0';
  uint32_t seq = __atomic_fetch_add(&next_seq, 1, __ATOMIC_RELAXED);
  r->h->nlmsg_seq = seq;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  ssize_t n;
  do n = sendto(sock, r->buf, r->h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel);
  while (n < 0 && errno == EINTR);
  if (n < 0) { o->err = errno; return; }
  int dump = (r->h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  char *buf = malloc(RECV_CAP);
  if (!buf) { o->err = ENOMEM; return; }
  for (;;) {
    do n = recv(sock, buf, RECV_CAP, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) { o->err = (errno == EAGAIN || errno == EWOULDBLOCK) ? ETIMEDOUT : errno; break; }
    if (n == 0) { o->err = EIO; break; }
    int len = (int)n, done = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(h);
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e)) o->err = EIO;
        else if (e->error != 0) { o->err = -e->error; nsvs_ext_ack_reason(h, o->reason, sizeof o->reason); }
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_DONE) { done = dump; if (done) break; continue; }
      if (cb) cb(h, ctx);
    }
    if (done) break;
  }
  free(buf);
}

static int open_route_socket(int *sock) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return errno;
  struct timeval tv = { .tv_sec = RTNL_TIMEOUT_S, .tv_usec = 0 };
  int one = 1, big = 1 << 20;
  if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) { int e = errno; close(s); return e; }
  setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  *sock = s;
  return 0;
}

/* A route socket bound to netns `fd` (-1: the caller's own); the thread is back in its own namespace on return. */
static int socket_in_netns(int fd, int *sock) {
  int saved, err = nsvs_enter_netns(fd, &saved);
  if (err) return err;
  err = open_route_socket(sock);
  nsvs_leave_netns(saved);
  return err;
}

/* ---- requests ---- */

/* What a link lookup learns: its index, its flags (IFF_*) and, when it has a 6-byte one, its MAC address. */
struct link_info {
  int index;
  unsigned flags;
  int has_mac;
  unsigned char mac[6];
};

static void link_lookup_cb(struct nlmsghdr *h, void *ctx) {
  struct link_info *li = ctx;
  if (h->nlmsg_type != RTM_NEWLINK) return;
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  li->index = ifi->ifi_index;
  li->flags = ifi->ifi_flags;
  int len = (int)IFLA_PAYLOAD(h);
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6) { memcpy(li->mac, RTA_DATA(a), 6); li->has_mac = 1; }
  }
}

static void link_lookup(int sock, const char *name, struct link_info *li, struct outcome *o) {
  struct req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  req_init(&r, RTM_GETLINK, 0, &ifi, sizeof ifi);
  memset(li, 0, sizeof *li);
  if (!put_str(&r, IFLA_IFNAME, name)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, link_lookup_cb, li, o);
  if (!o->err && li->index <= 0) o->err = ENODEV;
}

/* The modified EUI-64 link-local address of a MAC (RFC 4291 appendix A): the one the kernel makes with addrgenmode eui64. */
static void eui64_link_local(const unsigned char mac[6], struct in6_addr *out) {
  memset(out, 0, sizeof *out);
  out->s6_addr[0] = 0xfe;
  out->s6_addr[1] = 0x80;
  out->s6_addr[8] = mac[0] ^ 0x02;
  out->s6_addr[9] = mac[1];
  out->s6_addr[10] = mac[2];
  out->s6_addr[11] = 0xff;
  out->s6_addr[12] = 0xfe;
  out->s6_addr[13] = mac[3];
  out->s6_addr[14] = mac[4];
  out->s6_addr[15] = mac[5];
}

/* RTM_NEWLINK on an existing link (by index, or by name when index is 0); addrgen: an IN6_ADDR_GEN_MODE_*, or -1 to leave it. */
static void link_set(int sock, int index, const char *by_name, const char *new_name, int up, int addrgen, struct outcome *o) {
  struct req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = index };
  if (up) { ifi.ifi_change = IFF_UP; ifi.ifi_flags = IFF_UP; }
  req_init(&r, RTM_NEWLINK, 0, &ifi, sizeof ifi);
  int ok = 1;
  if (by_name) ok = ok && put_str(&r, IFLA_IFNAME, by_name);
  if (new_name) ok = ok && put_str(&r, IFLA_IFNAME, new_name);
  if (addrgen >= 0) {
    struct rtattr *af = nest(&r, IFLA_AF_SPEC), *in6 = af ? nest(&r, AF_INET6) : NULL;
    uint8_t mode = (uint8_t)addrgen;
    ok = ok && in6 && put(&r, IFLA_INET6_ADDR_GEN_MODE, &mode, 1);
    if (ok) { nest_end(&r, in6); nest_end(&r, af); }
  }
  if (!ok) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

static void create_veth(int sock, const char *name, uint32_t mtu, const char *peer, const unsigned char mac[6], int peer_netns, struct outcome *o) {
  struct req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
  int ok = put_str(&r, IFLA_IFNAME, name) && put_u32(&r, IFLA_MTU, mtu);
  struct rtattr *info = ok ? nest(&r, IFLA_LINKINFO) : NULL;
  ok = info && put_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = ok ? nest(&r, IFLA_INFO_DATA) : NULL;
  struct rtattr *pe = data ? nest(&r, VETH_INFO_PEER) : NULL;
  struct ifinfomsg peer_ifi = { .ifi_family = AF_UNSPEC };
  /* The peer nest starts with an ifinfomsg of its own, then the peer's attributes. */
  ok = pe && raw(&r, &peer_ifi, sizeof peer_ifi);
  ok = ok && put_str(&r, IFLA_IFNAME, peer) && put(&r, IFLA_ADDRESS, mac, 6) && put_u32(&r, IFLA_MTU, mtu) &&
       put_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns);
  if (!ok) { o->err = EMSGSIZE; return; }
  nest_end(&r, pe);
  nest_end(&r, data);
  nest_end(&r, info);
  talk(sock, &r, NULL, NULL, o);
}

static void add_address(int sock, int index, struct in_addr ip, int prefix, struct outcome *o) {
  struct req r;
  struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix, .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index };
  req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  if (!put(&r, IFA_LOCAL, &ip, 4) || !put(&r, IFA_ADDRESS, &ip, 4)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

/* An IPv6 address set statically: IFA_F_NODAD, so it is usable at once (no duplicate detection to wait for). */
static void add_address6(int sock, int index, const struct in6_addr *ip, int prefix, struct outcome *o) {
  struct req r;
  struct ifaddrmsg ifa = {
    .ifa_family = AF_INET6, .ifa_prefixlen = (unsigned char)prefix, .ifa_flags = IFA_F_NODAD,
    .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)index,
  };
  req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
  if (!put(&r, IFA_LOCAL, ip, 16) || !put(&r, IFA_ADDRESS, ip, 16) || !put_u32(&r, IFA_FLAGS, IFA_F_NODAD)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

static void add_default_route6(int sock, int index, const struct in6_addr *gw, struct outcome *o) {
  struct req r;
  struct rtmsg rtm = {
    .rtm_family = AF_INET6, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST,
  };
  req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof rtm);
  if (!put(&r, RTA_GATEWAY, gw, 16) || !put_u32(&r, RTA_OIF, (uint32_t)index)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

static void add_default_route(int sock, int index, struct in_addr gw, struct outcome *o) {
  struct req r;
  struct rtmsg rtm = {
    .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST,
  };
  req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rtm, sizeof rtm);
  if (!put(&r, RTA_GATEWAY, &gw, 4) || !put_u32(&r, RTA_OIF, (uint32_t)index)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

static void delete_link(int sock, const char *name, struct outcome *o) {
  struct req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  req_init(&r, RTM_DELLINK, 0, &ifi, sizeof ifi);
  if (!put_str(&r, IFLA_IFNAME, name)) { o->err = EMSGSIZE; return; }
  talk(sock, &r, NULL, NULL, o);
}

/* ---- N-API glue ---- */

static napi_value make_error(napi_env env, const char *op, const char *subject, const struct outcome *o) {
  return nsvs_op_error(env, op, subject, o->err, o->reason);
}

static napi_value result(napi_env env, const char *op, const char *subject, const struct outcome *o) {
  napi_value v;
  if (o->err == 0) { napi_get_null(env, &v); return v; }
  return make_error(env, op, subject, o);
}

static napi_value throw_outcome(napi_env env, const char *op, const char *subject, const struct outcome *o) {
  napi_throw(env, make_error(env, op, subject, o));
  return NULL;
}

#define IFNAME_ARG(env, v, buf) nsvs_str_arg(env, v, buf, sizeof buf, "interface name must be 1-15 bytes")

/* An address of `family` (AF_INET into a struct in_addr, AF_INET6 into a struct in6_addr) from a JS string. */
static int ip_arg(napi_env env, napi_value v, int family, void *out, const char *what) {
  char text[INET6_ADDRSTRLEN + 2];
  if (nsvs_str_arg(env, v, text, sizeof text, what)) return -1;
  if (inet_pton(family, text, out) != 1) {
    napi_throw_type_error(env, "EINVAL", what);
    return -1;
  }
  return 0;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  int netns, sock;
  if (nsvs_args(env, info, 1, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  struct outcome o = { .err = socket_in_netns(netns, &sock) };
  o.reason[0] = '\0';
  if (o.err) return throw_outcome(env, "open route socket in", "namespace", &o);
  napi_create_int32(env, sock, &out);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int sock;
  if (nsvs_args(env, info, 1, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket")) return NULL;
  if (sock >= 0) close(sock);
  return NULL;
}

static napi_value js_create_veth(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int sock, mtu, peer_netns;
  char name[IFNAMSIZ + 1], peer[IFNAMSIZ + 1], mac_text[20];
  unsigned char mac[6];
  if (nsvs_args(env, info, 6, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket")) return NULL;
  if (IFNAME_ARG(env, argv[1], name) || nsvs_int_arg(env, argv[2], &mtu, "expected an MTU")) return NULL;
  if (IFNAME_ARG(env, argv[3], peer) || nsvs_str_arg(env, argv[4], mac_text, sizeof mac_text, "expected a MAC address")) return NULL;
  if (nsvs_int_arg(env, argv[5], &peer_netns, "expected an integer file descriptor")) return NULL;
  if (mtu < 68 || mtu > 65535 || peer_netns < 0 ||
      sscanf(mac_text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
    napi_throw_type_error(env, "EINVAL", "invalid MTU, MAC address or namespace descriptor");
    return NULL;
  }
  struct outcome o;
  create_veth(sock, name, (uint32_t)mtu, peer, mac, peer_netns, &o);
  return result(env, "create veth", name, &o);
}

static napi_value js_host_up(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int sock;
  char name[IFNAMSIZ + 1];
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket") || IFNAME_ARG(env, argv[1], name)) return NULL;
  struct outcome o;
  link_set(sock, 0, name, NULL, 1, IN6_ADDR_GEN_MODE_NONE, &o);
  return result(env, "host end up", name, &o);
}

static napi_value js_delete_link(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int sock;
  char name[IFNAMSIZ + 1];
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket") || IFNAME_ARG(env, argv[1], name)) return NULL;
  struct outcome o;
  delete_link(sock, name, &o);
  return result(env, "delete veth", name, &o);
}

struct list_ctx {
  napi_env env;
  napi_value array;
  uint32_t count;
  const char *prefix;
};

static void list_cb(struct nlmsghdr *h, void *ctx) {
  struct list_ctx *c = ctx;
  if (h->nlmsg_type != RTM_NEWLINK) return;
  struct ifinfomsg *ifi = NLMSG_DATA(h);
  int len = (int)IFLA_PAYLOAD(h);
  const char *name = NULL;
  uint32_t mtu = 0;
  for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) >= 1 && ((char *)RTA_DATA(a))[RTA_PAYLOAD(a) - 1] == '\0') name = RTA_DATA(a);
    else if (a->rta_type == IFLA_MTU && RTA_PAYLOAD(a) >= 4) memcpy(&mtu, RTA_DATA(a), 4);
  }
  if (!name || strncmp(name, c->prefix, strlen(c->prefix)) != 0) return;
  napi_value o, v;
  napi_create_object(c->env, &o);
  napi_create_string_utf8(c->env, name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(c->env, o, "name", v);
  napi_create_int32(c->env, ifi->ifi_index, &v);
  napi_set_named_property(c->env, o, "ifindex", v);
  napi_create_uint32(c->env, mtu, &v);
  napi_set_named_property(c->env, o, "mtu", v);
  napi_get_boolean(c->env, (ifi->ifi_flags & IFF_UP) != 0, &v);
  napi_set_named_property(c->env, o, "up", v);
  napi_set_element(c->env, c->array, c->count++, o);
}

static napi_value js_list_links(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int sock;
  char prefix[IFNAMSIZ + 1];
  size_t plen = 0;
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket")) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], prefix, sizeof prefix, &plen) != napi_ok || plen >= sizeof prefix - 1) {
    napi_throw_type_error(env, "EINVAL", "prefix must be at most 15 bytes");
    return NULL;
  }
  struct list_ctx c = { .env = env, .count = 0, .prefix = prefix };
  napi_create_array(env, &c.array);
  struct req r;
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
  req_init(&r, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof ifi);
  struct outcome o;
  talk(sock, &r, list_cb, &c, &o);
  if (o.err) return throw_outcome(env, "list links", "of the host", &o);
  return c.array;
}

#define LINK_ADDRS_MAX 1024

/* One link rtnlLinkAddrs answers for: looked up by name, then given the IPv4 addresses of its index. */
struct link_addrs {
  char name[IFNAMSIZ + 1];
  struct link_info li;
  napi_value addrs;
  uint32_t count;
};

struct addrs_ctx {
  napi_env env;
  struct link_addrs *links;
  uint32_t n;
};

/*
 * An RTM_NEWADDR of the IPv4 dump, added to its link as "local/prefix": IFA_LOCAL, else IFA_ADDRESS, as
 * `ip -j addr show` fills its `local` field (the two differ only on a point-to-point address).
 */
static void addrs_cb(struct nlmsghdr *h, void *ctx) {
  struct addrs_ctx *c = ctx;
  if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg))) return;
  struct ifaddrmsg *ifa = NLMSG_DATA(h);
  if (ifa->ifa_family != AF_INET) return;
  const void *local = NULL, *address = NULL;
  int len = (int)IFA_PAYLOAD(h);
  for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFA_LOCAL && RTA_PAYLOAD(a) == 4) local = RTA_DATA(a);
    else if (a->rta_type == IFA_ADDRESS && RTA_PAYLOAD(a) == 4) address = RTA_DATA(a);
  }
  const void *ip = local ? local : address;
  if (!ip) return;
  char text[INET_ADDRSTRLEN + 4];
  if (!inet_ntop(AF_INET, ip, text, INET_ADDRSTRLEN)) return;
  snprintf(text + strlen(text), sizeof text - strlen(text), "/%u", ifa->ifa_prefixlen);
  for (uint32_t i = 0; i < c->n; i++) {
    struct link_addrs *l = &c->links[i];
    if (l->li.index != (int)ifa->ifa_index) continue;
    napi_value v;
    napi_create_string_utf8(c->env, text, NAPI_AUTO_LENGTH, &v);
    napi_set_element(c->env, l->addrs, l->count++, v);
  }
}

/*
 * rtnlLinkAddrs(sock, names): of the links named (at most 1024), those that exist, in the order named, as
 * {name, ifindex, up, addrs4}: `up` the admin state (IFF_UP, the "UP" of `ip`'s flags), `addrs4` their IPv4
 * addresses in the kernel's order (as `ip -j addr show` lists them). One RTM_GETLINK per name (not a dump of
 * every link: a host namespace holds a veth end per workload) and one IPv4 RTM_GETADDR dump. Throws.
 */
static napi_value js_link_addrs(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  int sock;
  bool is_array = false;
  uint32_t n = 0;
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &sock, "expected a socket")) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok || n > LINK_ADDRS_MAX) {
    napi_throw_type_error(env, "EINVAL", "expected an array of at most 1024 interface names");
    return NULL;
  }
  struct link_addrs *links = calloc(n ? n : 1, sizeof *links);
  if (!links) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, argv[1], i, &e) != napi_ok || IFNAME_ARG(env, e, links[i].name)) {
      free(links);
      return NULL;
    }
  }
  struct outcome o = { .err = 0 };
  o.reason[0] = '\0';
  uint32_t found = 0;
  for (uint32_t i = 0; i < n; i++) {
    link_lookup(sock, links[i].name, &links[i].li, &o);
    if (o.err == ENODEV) { links[i].li.index = 0; o.err = 0; continue; }
    if (o.err) {
      napi_value e = make_error(env, "look up link", links[i].name, &o);
      free(links);
      napi_throw(env, e);
      return NULL;
    }
    napi_create_array(env, &links[i].addrs);
    found++;
  }
  if (found > 0) {
    struct addrs_ctx c = { .env = env, .links = links, .n = n };
    struct req r;
    struct ifaddrmsg ifa = { .ifa_family = AF_INET };
    req_init(&r, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
    talk(sock, &r, addrs_cb, &c, &o);
    if (o.err) {
      free(links);
      return throw_outcome(env, "list addresses", "of the host", &o);
    }
  }
  napi_create_array_with_length(env, found, &out);
  for (uint32_t i = 0, at = 0; i < n; i++) {
    if (links[i].li.index <= 0) continue;
    napi_value obj, v;
    napi_create_object(env, &obj);
    napi_create_string_utf8(env, links[i].name, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, obj, "name", v);
    napi_create_int32(env, links[i].li.index, &v);
    napi_set_named_property(env, obj, "ifindex", v);
    napi_get_boolean(env, (links[i].li.flags & IFF_UP) != 0, &v);
    napi_set_named_property(env, obj, "up", v);
    napi_set_named_property(env, obj, "addrs4", links[i].addrs);
    napi_set_element(env, out, at++, obj);
  }
  free(links);
  return out;
}

/* The IPv6 half of a dual-stack port's configuration (rtnlConfigure6). */
struct v6_conf {
  struct in6_addr ip, gw;
  int prefix, has_gw;
};

static napi_value configure(napi_env env, napi_value *argv, const struct v6_conf *v6);

static napi_value js_configure(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (nsvs_args(env, info, 6, argv)) return NULL;
  return configure(env, argv, NULL);
}

static napi_value js_configure6(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  struct v6_conf v6;
  napi_valuetype gw_type;
  if (nsvs_args(env, info, 9, argv)) return NULL;
  if (ip_arg(env, argv[6], AF_INET6, &v6.ip, "expected an IPv6 address") || nsvs_int_arg(env, argv[7], &v6.prefix, "expected an IPv6 prefix length")) return NULL;
  if (napi_typeof(env, argv[8], &gw_type) != napi_ok) return NULL;
  v6.has_gw = gw_type != napi_null && gw_type != napi_undefined;
  if (v6.has_gw && ip_arg(env, argv[8], AF_INET6, &v6.gw, "expected an IPv6 gateway")) return NULL;
  if (v6.prefix < 1 || v6.prefix > 128) {
    napi_throw_type_error(env, "EINVAL", "invalid IPv6 prefix length");
    return NULL;
  }
  return configure(env, argv, &v6);
}

static napi_value configure(napi_env env, napi_value *argv, const struct v6_conf *v6) {
  int netns, prefix = 32;
  char tmp[IFNAMSIZ + 1], ifname[IFNAMSIZ + 1];
  struct in_addr ip, gw;
  napi_valuetype ip_type, gw_type;
  if (nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (IFNAME_ARG(env, argv[1], tmp) || IFNAME_ARG(env, argv[2], ifname)) return NULL;
  /* An IPv6-only port (rtnlConfigure6 with ip null) gets no IPv4 address, and so no IPv4 route either. */
  if (napi_typeof(env, argv[3], &ip_type) != napi_ok) return NULL;
  int has_ip = !v6 || (ip_type != napi_null && ip_type != napi_undefined);
  if (has_ip && (ip_arg(env, argv[3], AF_INET, &ip, "expected an IPv4 address") || nsvs_int_arg(env, argv[4], &prefix, "expected a prefix length"))) return NULL;
  if (napi_typeof(env, argv[5], &gw_type) != napi_ok) return NULL;
  int has_gw = gw_type != napi_null && gw_type != napi_undefined;
  if (has_gw && !has_ip) {
    napi_throw_type_error(env, "EINVAL", "an IPv4 gateway needs an IPv4 address");
    return NULL;
  }
  if (has_gw && ip_arg(env, argv[5], AF_INET, &gw, "expected an IPv4 gateway")) return NULL;
  if (prefix < 1 || prefix > 32 || netns < 0) {
    napi_throw_type_error(env, "EINVAL", "invalid prefix length or namespace descriptor");
    return NULL;
  }
  struct outcome o = { .err = 0 };
  int sock, index = 0;
  o.reason[0] = '\0';
  o.err = socket_in_netns(netns, &sock);
  if (o.err) return result(env, "enter namespace", ifname, &o);
  /* Each step only after the previous one succeeded: after a failed rename nothing touches the name's owner. */
  const char *op = "rename";
  struct link_info li;
  link_lookup(sock, tmp, &li, &o);
  index = li.index;
  if (!o.err) link_set(sock, index, NULL, ifname, 0, -1, &o);
  if (!o.err && has_ip) { op = "address"; add_address(sock, index, ip, prefix, &o); }
  if (!o.err && v6) { op = "addrgenmode eui64"; link_set(sock, index, NULL, NULL, 0, IN6_ADDR_GEN_MODE_EUI64, &o); }
  /*
   * The EUI-64 link-local address, set here (nodad) while the link is still down. Left to the kernel, it
   * is made at link up (or at the first carrier, from linkwatch) always tentative, and only a queued
   * addrconf work item, which has to take the RTNL lock, clears that flag (accept_dad=0 skips the probes,
   * not the work): on a busy host the port would be ready with a link-local it cannot use yet. The
   * kernel's own attempt at link up then finds the address there and adds nothing; addrgenmode stays eui64.
   */
  if (!o.err && v6) {
    op = "link-local";
    struct in6_addr ll;
    if (!li.has_mac) o.err = EADDRNOTAVAIL;
    else { eui64_link_local(li.mac, &ll); add_address6(sock, index, &ll, 64, &o); }
  }
  if (!o.err) { op = "loopback up"; link_set(sock, 0, "lo", NULL, 1, -1, &o); }
  if (!o.err) { op = "link up"; link_set(sock, index, NULL, NULL, 1, -1, &o); }
  if (!o.err && v6) { op = "address6"; add_address6(sock, index, &v6->ip, v6->prefix, &o); }
  if (!o.err && has_gw) { op = "default route"; add_default_route(sock, index, gw, &o); }
  if (!o.err && v6 && v6->has_gw) { op = "default route6"; add_default_route6(sock, index, &v6->gw, &o); }
  close(sock);
  return result(env, op, ifname, &o);
}

void nsvs_rtnl_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "rtnlOpen", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlClose", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlCreateVeth", NULL, js_create_veth, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlHostUp", NULL, js_host_up, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlDeleteLink", NULL, js_delete_link, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlListLinks", NULL, js_list_links, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlLinkAddrs", NULL, js_link_addrs, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlConfigure", NULL, js_configure, NULL, NULL, NULL, napi_default, NULL },
    { "rtnlConfigure6", NULL, js_configure6, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
