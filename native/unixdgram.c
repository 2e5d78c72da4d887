/*
 * pstore_unixdgram: AF_UNIX datagram sockets, which Node's dgram module does
 * not offer. `pstore archive --journal` speaks journald's native protocol,
 * one datagram per entry on /run/systemd/journal/socket; the tests bind a
 * fake journald in a temporary directory with the same addon.
 *
 *   send(path, buffer)  -> sendto() of one datagram to the socket at path
 *   bind(path)          -> fd of a new datagram socket bound at path (non-blocking)
 *   recv(fd, max)       -> Buffer of the next datagram, or null when none is queued
 *   close(fd)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *call, int e) {
  char msg[200];
  char code[32];
  snprintf(msg, sizeof msg, "%s: %s", call, strerror(e));
  snprintf(code, sizeof code, "E%d", e);
  switch (e) {
    case ENOENT: strcpy(code, "ENOENT"); break;
    case ECONNREFUSED: strcpy(code, "ECONNREFUSED"); break;
    case EACCES: strcpy(code, "EACCES"); break;
    case EMSGSIZE: strcpy(code, "EMSGSIZE"); break;
    case ENOBUFS: strcpy(code, "ENOBUFS"); break;
    case EAGAIN: strcpy(code, "EAGAIN"); break;
    case EADDRINUSE: strcpy(code, "EADDRINUSE"); break;
    default: break;
  }
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_path(napi_env env, napi_value v, struct sockaddr_un *sa, socklen_t *len) {
  size_t n = 0;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (napi_get_value_string_utf8(env, v, sa->sun_path, sizeof sa->sun_path, &n) != napi_ok) return 0;
  if (n == 0 || n >= sizeof sa->sun_path - 1) return 0;
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  return 1;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  struct sockaddr_un sa;
  socklen_t salen;
  if (argc < 2 || !get_path(env, argv[0], &sa, &salen)) {
    napi_throw_type_error(env, NULL, "send(path, buffer): path must be a socket path shorter than 107 bytes");
    return NULL;
  }
  void *data;
  size_t size;
  if (napi_get_buffer_info(env, argv[1], &data, &size) != napi_ok) {
    napi_throw_type_error(env, NULL, "send(path, buffer): buffer must be a Buffer");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  ssize_t r = sendto(fd, data, size, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  int e = errno;
  close(fd);
  if (r < 0) return throw_errno(env, "sendto", e);
  return NULL;
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  struct sockaddr_un sa;
  socklen_t salen;
  if (argc < 1 || !get_path(env, argv[0], &sa, &salen)) {
    napi_throw_type_error(env, NULL, "bind(path): path must be a socket path shorter than 107 bytes");
    return NULL;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (bind(fd, (struct sockaddr *)&sa, salen) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  int big = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  napi_value v;
  napi_create_int32(env, fd, &v);
  return v;
}

static napi_value js_recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd, max = 1 << 20;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "recv(fd, max)");
    return NULL;
  }
  if (argc > 1) napi_get_value_int32(env, argv[1], &max);
  if (max <= 0 || max > (64 << 20)) max = 1 << 20;
  char *buf = malloc((size_t)max);
  if (!buf) return throw_errno(env, "malloc", ENOMEM);
  ssize_t r = recv(fd, buf, (size_t)max, MSG_DONTWAIT);
  if (r < 0) {
    int e = errno;
    free(buf);
    if (e == EAGAIN || e == EWOULDBLOCK) {
      napi_value nul;
      napi_get_null(env, &nul);
      return nul;
    }
    return throw_errno(env, "recv", e);
  }
  napi_value out;
  void *dst;
  napi_create_buffer_copy(env, (size_t)r, buf, &dst, &out);
  free(buf);
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0) close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
    {"bind", NULL, js_bind, NULL, NULL, NULL, napi_enumerable, NULL},
    {"recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
