/*
 * nsvswitch's native addon: the few things only native code can do without
 * spawning a process. Each call may enter another network namespace for the
 * length of one system call on the calling thread (setns affects only this
 * thread) and always returns to the thread's own before it returns.
 *
 *   setTxChecksum(netnsFd, ifname, on)  ethtool ETHTOOL_STXCSUM (like `ethtool -K IF tx on|off`)
 *   getTxChecksum(netnsFd, ifname)      ethtool ETHTOOL_GTXCSUM
 *   writeNetnsFile(netnsFd, path, text) write a /proc/sys/net file as seen from that namespace
 *   rtnl*                               rtnetlink: veths, addresses, routes (rtnl.c)
 *   nft*                                nf_tables: the host seal's chains, named counters (nft.c)
 *
 * netnsFd < 0 means "the calling thread's own namespace". Errors are thrown
 * as Error objects whose `code` is the errno name (ENODEV, EPERM, ...).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "napi-args.h"
#include "netns.h"
#include "nft.h"
#include "rtnl.h"

#define PATH_MAX_LEN 512
#define TEXT_MAX_LEN 256

static napi_value throw_errno(napi_env env, int err, const char *what, const char *name) {
  char msg[PATH_MAX_LEN + 128];
  const char *code = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s %s: %s", what, name, strerror(err));
  napi_throw_error(env, code ? code : "EUNKNOWN", msg);
  return NULL;
}

/* Enters netns `fd` on this thread; *saved gets the fd to return with (or -1 when nothing was entered). */
int nsvs_enter_netns(int fd, int *saved) {
  *saved = -1;
  if (fd < 0) return 0;
  int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (cur < 0) return errno;
  if (setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(cur);
    return e;
  }
  *saved = cur;
  return 0;
}

/* A thread left in a tenant's namespace would do everything after this in the wrong place: never continue. */
void nsvs_leave_netns(int saved) {
  if (saved < 0) return;
  if (setns(saved, CLONE_NEWNET) < 0) {
    fprintf(stderr, "nsvswitch native: cannot return to the agent's network namespace: %s\n", strerror(errno));
    abort();
  }
  close(saved);
}

/* A datagram socket bound to netns `fd`: ioctls on it name interfaces of that namespace. */
static int socket_in(int fd, int *sock) {
  int saved, err = nsvs_enter_netns(fd, &saved);
  if (err) return err;
  *sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  err = *sock < 0 ? errno : 0;
  nsvs_leave_netns(saved);
  return err;
}

static int ethtool_value(int netns, const char *ifname, struct ethtool_value *ev) {
  int sock, err = socket_in(netns, &sock);
  if (err) return err;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  ifr.ifr_data = (void *)ev;
  err = ioctl(sock, SIOCETHTOOL, &ifr) < 0 ? errno : 0;
  close(sock);
  return err;
}

static napi_value set_tx_checksum(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char ifname[IFNAMSIZ + 1];
  bool on;
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (nsvs_str_arg(env, argv[1], ifname, sizeof ifname, "interface name must be 1-15 bytes")) return NULL;
  if (napi_get_value_bool(env, argv[2], &on) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected a boolean");
    return NULL;
  }
  struct ethtool_value ev = { .cmd = ETHTOOL_STXCSUM, .data = on ? 1 : 0 };
  int err = ethtool_value(netns, ifname, &ev);
  if (err) return throw_errno(env, err, "set tx checksum offload of", ifname);
  return NULL;
}

static napi_value get_tx_checksum(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  int netns;
  char ifname[IFNAMSIZ + 1];
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (nsvs_str_arg(env, argv[1], ifname, sizeof ifname, "interface name must be 1-15 bytes")) return NULL;
  struct ethtool_value ev = { .cmd = ETHTOOL_GTXCSUM, .data = 0 };
  int err = ethtool_value(netns, ifname, &ev);
  if (err) return throw_errno(env, err, "read tx checksum offload of", ifname);
  napi_get_boolean(env, ev.data != 0, &out);
  return out;
}

static napi_value write_netns_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char path[PATH_MAX_LEN], text[TEXT_MAX_LEN];
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (nsvs_str_arg(env, argv[1], path, sizeof path, "path too long or empty")) return NULL;
  if (nsvs_str_arg(env, argv[2], text, sizeof text, "text too long or empty")) return NULL;
  /* Only network sysctls: this is not a general file writer. */
  if (strncmp(path, "/proc/sys/net/", 14) != 0 || strstr(path, "/..") != NULL) {
    napi_throw_type_error(env, "EINVAL", "only /proc/sys/net/ files may be written");
    return NULL;
  }
  int saved, err = nsvs_enter_netns(netns, &saved);
  if (err) return throw_errno(env, err, "enter namespace to write", path);
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  err = fd < 0 ? errno : 0;
  nsvs_leave_netns(saved);
  if (err) return throw_errno(env, err, "open", path);
  size_t len = strlen(text);
  ssize_t n = write(fd, text, len);
  err = n < 0 ? errno : ((size_t)n != len ? EIO : 0);
  close(fd);
  if (err) return throw_errno(env, err, "write", path);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "setTxChecksum", NULL, set_tx_checksum, NULL, NULL, NULL, napi_default, NULL },
    { "getTxChecksum", NULL, get_tx_checksum, NULL, NULL, NULL, napi_default, NULL },
    { "writeNetnsFile", NULL, write_netns_file, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  nsvs_rtnl_define(env, exports);
  nsvs_nft_define(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
