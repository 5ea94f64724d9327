/*
 * nsvswitch's native addon: the few things only native code can do without
 * spawning a process. Each call may enter another network namespace for the
 * length of one system call on the calling thread (setns affects only this
 * thread) and always returns to the thread's own before it returns.
 *
 *   setTxChecksum(netnsFd, ifname, on)  ethtool ETHTOOL_STXCSUM (like `ethtool -K IF tx on|off`)
 *   getTxChecksum(netnsFd, ifname)      ethtool ETHTOOL_GTXCSUM
 *   writeNetnsFile(netnsFd, path, text) write a /proc/sys/net file as seen from that namespace
 *   writeNetnsFiles(netnsFd, paths, texts) -> err|null
 *                                       the same for several files, entering the namespace once: stops
 *                                       at the first file that fails (its index in err.index)
 *   readNetnsFiles(netnsFd, paths) -> [text|err]
 *                                       read /proc/sys/net files as seen from that namespace, entering it
 *                                       once: each file's text, or its error (a failed file stops none)
 *   rtnl*                               rtnetlink: veths, addresses, routes (rtnl.c)
 *   nft*                                nf_tables: the host seal's chains, named counters (nft.c),
 *                                       a table's digest (nft-digest.c)
 *   watchMounts(callback)               a call on each change of the mount table (mounts.c)
 *
 * netnsFd < 0 means "the calling thread's own namespace". Errors are thrown
 * as Error objects whose `code` is the errno name (ENODEV, EPERM, ...).
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include "op-error.h"

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
#include "mounts.h"
#include "nft.h"
#include "rtnl.h"

#define PATH_MAX_LEN 512
#define TEXT_MAX_LEN 256

/* Error "<what> <name>: <strerror>" with code (errno name) and errno. */
static napi_value errno_error(napi_env env, int err, const char *what, const char *name) {
  char msg[PATH_MAX_LEN + 128];
  snprintf(msg, sizeof msg, "%s %s: %s", what, name, strerror(err));
  return nsvs_errno_error(env, msg, err);
}

static napi_value throw_errno(napi_env env, int err, const char *what, const char *name) {
  napi_throw(env, errno_error(env, err, what, name));
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

/* Only network sysctls: this is not a general file reader or writer. */
static int is_net_sysctl(const char *path) {
  return strncmp(path, "/proc/sys/net/", 14) == 0 && strstr(path, "/..") == NULL;
}

static napi_value write_netns_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int netns;
  char path[PATH_MAX_LEN], text[TEXT_MAX_LEN];
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (nsvs_str_arg(env, argv[1], path, sizeof path, "path too long or empty")) return NULL;
  if (nsvs_str_arg(env, argv[2], text, sizeof text, "text too long or empty")) return NULL;
  if (!is_net_sysctl(path)) {
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

#define NETNS_FILES_MAX 64

/* The Error writeNetnsFile would throw ("<what> <path>: <strerror>", code = errno name), with `index` added. */
static napi_value file_error(napi_env env, int err, const char *what, const char *path, uint32_t index) {
  napi_value e = errno_error(env, err, what, path), v;
  napi_create_uint32(env, index, &v);
  napi_set_named_property(env, e, "index", v);
  return e;
}

/* Element i of array `arr` into path[PATH_MAX_LEN], a /proc/sys/net/ file ("may be <verb>" in the TypeError otherwise); -1 with the error thrown. */
static int net_sysctl_path_at(napi_env env, napi_value arr, uint32_t i, char *path, const char *verb) {
  napi_value p;
  if (napi_get_element(env, arr, i, &p) != napi_ok || nsvs_str_arg(env, p, path, PATH_MAX_LEN, "path too long or empty")) return -1;
  if (is_net_sysctl(path)) return 0;
  char msg[64];
  snprintf(msg, sizeof msg, "only /proc/sys/net/ files may be %s", verb);
  napi_throw_type_error(env, "EINVAL", msg);
  return -1;
}

/*
 * writeNetnsFiles(netnsFd, paths, texts): writes texts[i] to paths[i] (/proc/sys/net files) in order, as
 * writeNetnsFile would one by one, but enters the namespace once: the files are opened there in one stretch
 * of open() calls, then the thread is back home before anything is written. Stops at the first file that
 * cannot be opened or written (those before it are written, none after it): returns that file's error
 * (as writeNetnsFile throws it, plus `index`), or null. Bad arguments throw a TypeError, checked before
 * anything is opened.
 */
static napi_value write_netns_files(napi_env env, napi_callback_info info) {
  napi_value argv[3], out;
  int netns;
  bool is_array = false;
  uint32_t n = 0, m = 0;
  if (nsvs_args(env, info, 3, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok ||
      napi_is_array(env, argv[2], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[2], &m) != napi_ok ||
      n != m || n > NETNS_FILES_MAX) {
    napi_throw_type_error(env, "EINVAL", "expected two arrays of the same length (at most 64 paths and texts)");
    return NULL;
  }
  /* On the heap: no static buffers (worker threads may call too), no 48 KiB on the stack. */
  struct file_text { char path[PATH_MAX_LEN]; char text[TEXT_MAX_LEN]; int fd; } *f = calloc(n ? n : 1, sizeof *f);
  if (!f) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value t;
    if (net_sysctl_path_at(env, argv[1], i, f[i].path, "written") ||
        napi_get_element(env, argv[2], i, &t) != napi_ok || nsvs_str_arg(env, t, f[i].text, sizeof f[i].text, "text too long or empty")) {
      free(f);
      return NULL;
    }
  }
  napi_get_null(env, &out);
  uint32_t opened = 0, bad = n;
  const char *what = "open";
  int saved = -1, err = n == 0 ? 0 : nsvs_enter_netns(netns, &saved);
  if (err) {
    out = file_error(env, err, "enter namespace to write", f[0].path, 0);
    free(f);
    return out;
  }
  if (n > 0) {
    for (; opened < n; opened++) {
      f[opened].fd = open(f[opened].path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (f[opened].fd < 0) { err = errno; break; }
    }
    nsvs_leave_netns(saved);
  }
  /* Written in order; after the first failed write nothing more is written (the rest are only closed). */
  for (uint32_t i = 0; i < opened; i++) {
    if (bad == n) {
      size_t len = strlen(f[i].text);
      ssize_t w = write(f[i].fd, f[i].text, len);
      if (w < 0 || (size_t)w != len) { err = w < 0 ? errno : EIO; bad = i; what = "write"; }
    }
    close(f[i].fd);
  }
  /* No write failed but an open did: that file is the answer (err still holds its errno). */
  if (bad == n && opened < n) bad = opened;
  if (bad < n) out = file_error(env, err, what, f[bad].path, bad);
  free(f);
  return out;
}

/*
 * readNetnsFiles(netnsFd, paths): the texts of paths[i] (/proc/sys/net files of at most TEXT_MAX_LEN - 1
 * bytes) as seen from that namespace, entering it once: the files are opened there in one stretch of open()
 * calls, then the thread is back home before anything is read. One entry per path, in order: its text as
 * read (newline included), or the Error writeNetnsFile would throw for it ("open <path>: <strerror>", or
 * "read ...", code = errno name; EFBIG for a longer file) with `index`; a file that fails stops none of the
 * others. A namespace that cannot be entered is thrown; bad arguments throw a TypeError, checked before
 * anything is opened.
 */
static napi_value read_netns_files(napi_env env, napi_callback_info info) {
  napi_value argv[2], out;
  int netns;
  bool is_array = false;
  uint32_t n = 0;
  if (nsvs_args(env, info, 2, argv) || nsvs_int_arg(env, argv[0], &netns, "expected an integer file descriptor")) return NULL;
  if (napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[1], &n) != napi_ok || n > NETNS_FILES_MAX) {
    napi_throw_type_error(env, "EINVAL", "expected an array of at most 64 paths");
    return NULL;
  }
  /* On the heap, as in writeNetnsFiles: no static buffers, no 33 KiB on the stack. */
  struct file_read { char path[PATH_MAX_LEN]; int fd; int err; } *f = calloc(n ? n : 1, sizeof *f);
  if (!f) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (net_sysctl_path_at(env, argv[1], i, f[i].path, "read")) {
      free(f);
      return NULL;
    }
  }
  int saved = -1, err = n == 0 ? 0 : nsvs_enter_netns(netns, &saved);
  if (err) {
    napi_value e = errno_error(env, err, "enter namespace to read", f[0].path);
    free(f);
    napi_throw(env, e);
    return NULL;
  }
  if (n > 0) {
    for (uint32_t i = 0; i < n; i++) {
      f[i].fd = open(f[i].path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      f[i].err = f[i].fd < 0 ? errno : 0;
    }
    nsvs_leave_netns(saved);
  }
  napi_create_array_with_length(env, n, &out);
  char text[TEXT_MAX_LEN];
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    const char *what = "open";
    size_t len = 0;
    if (!f[i].err) {
      what = "read";
      ssize_t r;
      /* Until end of file: a file of TEXT_MAX_LEN bytes or more is refused, never cut. */
      do {
        do r = read(f[i].fd, text + len, sizeof text - len);
        while (r < 0 && errno == EINTR);
        if (r > 0) len += (size_t)r;
      } while (r > 0 && len < sizeof text);
      f[i].err = r < 0 ? errno : (len == sizeof text ? EFBIG : 0);
      close(f[i].fd);
    }
    if (f[i].err) v = file_error(env, f[i].err, what, f[i].path, i);
    else napi_create_string_utf8(env, text, len, &v);
    napi_set_element(env, out, i, v);
  }
  free(f);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "setTxChecksum", NULL, set_tx_checksum, NULL, NULL, NULL, napi_default, NULL },
    { "getTxChecksum", NULL, get_tx_checksum, NULL, NULL, NULL, napi_default, NULL },
    { "writeNetnsFile", NULL, write_netns_file, NULL, NULL, NULL, napi_default, NULL },
    { "writeNetnsFiles", NULL, write_netns_files, NULL, NULL, NULL, napi_default, NULL },
    { "readNetnsFiles", NULL, read_netns_files, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  nsvs_rtnl_define(env, exports);
  nsvs_nft_define(env, exports);
  nsvs_nft_digest_define(env, exports);
  nsvs_mounts_define(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
