/*
 * watchMounts(callback) -> { close() }
 *
 * Calls `callback` (no arguments) on the JS thread each time this process's
 * mount table changes: a thread polls /proc/self/mountinfo, which reports a
 * change as POLLPRI/POLLERR. A namespace file is bind-mounted after it is
 * created (`ip netns add`, container runtimes), and a mount makes no inotify
 * event, so without this the agent can only look again on a timer. Changes
 * that come faster than the JS thread takes them become one call (a queue of
 * one). The thread does not keep the event loop alive; close() stops it.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mounts.h"
#include "op-error.h"

struct mount_watch {
  napi_threadsafe_function tsfn;
  pthread_t thread;
  int fd;
  int wake[2];
  int closed;
};

static void *watch_thread(void *arg) {
  struct mount_watch *w = arg;
  struct pollfd p[2] = { { w->fd, POLLPRI, 0 }, { w->wake[0], POLLIN, 0 } };
  for (;;) {
    int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (p[0].revents & POLLNVAL) break;
    /* napi_queue_full: a call is still pending, which will look anyway. */
    if (p[0].revents & (POLLPRI | POLLERR)) napi_call_threadsafe_function(w->tsfn, NULL, napi_tsfn_nonblocking);
  }
  return NULL;
}

static void call_js(napi_env env, napi_value cb, void *ctx, void *data) {
  (void)ctx;
  (void)data;
  if (env == NULL || cb == NULL) return;
  napi_value undef;
  napi_get_undefined(env, &undef);
  napi_call_function(env, undef, cb, 0, NULL, NULL);
}

static void stop_watch(napi_env env, struct mount_watch *w) {
  if (w->closed) return;
  w->closed = 1;
  char b = 1;
  ssize_t n;
  do n = write(w->wake[1], &b, 1); while (n < 0 && errno == EINTR);
  pthread_join(w->thread, NULL);
  close(w->fd);
  close(w->wake[0]);
  close(w->wake[1]);
  napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
  (void)env;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  void *data = NULL;
  napi_get_cb_info(env, info, NULL, NULL, NULL, &data);
  stop_watch(env, data);
  return NULL;
}

static void finalize_watch(napi_env env, void *data, void *hint) {
  (void)hint;
  struct mount_watch *w = data;
  stop_watch(env, w);
  free(w);
}

static napi_value js_watch_mounts(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], name, handle, closer;
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "watchMounts(callback)");
    return NULL;
  }
  struct mount_watch *w = calloc(1, sizeof *w);
  if (!w) {
    napi_throw(env, nsvs_errno_error(env, "watchMounts: out of memory", ENOMEM));
    return NULL;
  }
  w->fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (w->fd < 0) {
    int err = errno;
    free(w);
    napi_throw(env, nsvs_errno_error(env, "watchMounts: open /proc/self/mountinfo", err));
    return NULL;
  }
  if (pipe2(w->wake, O_CLOEXEC) != 0) {
    int err = errno;
    close(w->fd);
    free(w);
    napi_throw(env, nsvs_errno_error(env, "watchMounts: pipe", err));
    return NULL;
  }
  napi_create_string_utf8(env, "nsvswitch-mounts", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 1, 1, NULL, NULL, NULL, call_js, &w->tsfn) != napi_ok) {
    close(w->fd);
    close(w->wake[0]);
    close(w->wake[1]);
    free(w);
    napi_throw_error(env, "EIO", "watchMounts: cannot create a thread-safe function");
    return NULL;
  }
  napi_unref_threadsafe_function(env, w->tsfn);
  int err = pthread_create(&w->thread, NULL, watch_thread, w);
  if (err != 0) {
    napi_release_threadsafe_function(w->tsfn, napi_tsfn_abort);
    close(w->fd);
    close(w->wake[0]);
    close(w->wake[1]);
    free(w);
    napi_throw(env, nsvs_errno_error(env, "watchMounts: pthread_create", err));
    return NULL;
  }
  napi_create_object(env, &handle);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, w, &closer);
  napi_set_named_property(env, handle, "close", closer);
  napi_wrap(env, handle, w, finalize_watch, NULL, NULL);
  return handle;
}

void nsvs_mounts_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "watchMounts", NULL, js_watch_mounts, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
