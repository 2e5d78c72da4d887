/*
 * pstore_mmap: a MAP_SHARED mapping of part of a file as an ArrayBuffer.
 *
 * Stores into a shared file mapping are in the page cache the moment they
 * execute, so they outlive a killed process exactly like pwrite() does, at
 * the cost of a memcpy instead of a system call. Node-API only (C, no C++
 * wrapper), so the addon is ABI-stable across Node versions.
 *
 *   map(fd, offset, length, writable) -> ArrayBuffer over [offset, offset+length)
 *   sync(arrayBuffer, offset, length)  -> msync(MS_SYNC) of the pages covering it
 *   unmap(arrayBuffer)                 -> detach it; the mapping goes with its last reference
 *   pageSize()                         -> sysconf(_SC_PAGESIZE)
 *
 * Views of an unmapped buffer read as empty instead of faulting. Truncating
 * the file under a live mapping raises SIGBUS on access, as for any mmap user:
 * map() refuses ranges beyond the end of the file, and the caller must not
 * shrink it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>

/* Whole mapping (page-aligned start) behind one ArrayBuffer. */
typedef struct {
  void *base;
  size_t length;
} mapping_t;

static size_t page_size(void) {
  static size_t ps = 0;
  if (!ps) ps = (size_t)sysconf(_SC_PAGESIZE);
  return ps;
}

static const char *errno_code(int e) {
  switch (e) {
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    case EPERM: return "EPERM";
    case EOVERFLOW: return "EOVERFLOW";
    case EIO: return "EIO";
    case EBUSY: return "EBUSY";
    default: return "EUNKNOWN";
  }
}

static napi_value throw_errno(napi_env env, const char *call, int e) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", call, strerror(e));
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static void finalize_mapping(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  mapping_t *m = hint;
  if (m) {
    munmap(m->base, m->length);
    free(m);
  }
}

/* A non-negative integral double that fits a file offset or size. */
static int get_size(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 0) || d > 9007199254740991.0 || d != (double)(int64_t)d) return 0;
  *out = (int64_t)d;
  return 1;
}

static napi_value js_map(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return throw_type(env, "map(fd, offset, length, writable)");
  int32_t fd;
  int64_t offset, length;
  bool writable = false;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return throw_type(env, "map: fd must be a file descriptor");
  if (!get_size(env, argv[1], &offset)) return throw_type(env, "map: offset must be a non-negative integer");
  if (!get_size(env, argv[2], &length) || length == 0) return throw_type(env, "map: length must be a positive integer");
  if (argc > 3) napi_get_value_bool(env, argv[3], &writable);

  struct stat st;
  if (fstat(fd, &st) != 0) return throw_errno(env, "fstat", errno);
  /* Pages past the end of a regular file fault with SIGBUS: refuse them here. */
  if (S_ISREG(st.st_mode) && offset + length > (int64_t)st.st_size) {
    return throw_errno(env, "map: range ends beyond the file", EINVAL);
  }

  size_t ps = page_size();
  int64_t aligned = offset & ~(int64_t)(ps - 1);
  size_t delta = (size_t)(offset - aligned);
  size_t total = (size_t)length + delta;
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void *base = mmap(NULL, total, prot, MAP_SHARED, fd, (off_t)aligned);
  if (base == MAP_FAILED) return throw_errno(env, "mmap", errno);

  mapping_t *m = malloc(sizeof *m);
  if (!m) {
    munmap(base, total);
    return throw_errno(env, "map", ENOMEM);
  }
  m->base = base;
  m->length = total;
  napi_value ab;
  napi_status s = napi_create_external_arraybuffer(env, (char *)base + delta, (size_t)length, finalize_mapping, m, &ab);
  if (s != napi_ok) {
    munmap(base, total);
    free(m);
    napi_throw_error(env, "ENOTSUP", "map: external ArrayBuffers are not supported by this runtime");
    return NULL;
  }
  return ab;
}

static int buffer_of(napi_env env, napi_value v, char **data, size_t *len) {
  bool is_ab = false;
  if (napi_is_arraybuffer(env, v, &is_ab) != napi_ok || !is_ab) return 0;
  void *p;
  if (napi_get_arraybuffer_info(env, v, &p, len) != napi_ok) return 0;
  *data = p;
  return 1;
}

static napi_value js_sync(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char *data;
  size_t len;
  if (argc < 1 || !buffer_of(env, argv[0], &data, &len)) return throw_type(env, "sync: expected a mapped ArrayBuffer");
  int64_t off = 0, n = (int64_t)len;
  if (argc > 1 && !get_size(env, argv[1], &off)) return throw_type(env, "sync: bad offset");
  if (argc > 2 && !get_size(env, argv[2], &n)) return throw_type(env, "sync: bad length");
  if (len == 0 || data == NULL) return NULL; /* unmapped: nothing to flush */
  if ((size_t)off > len || (size_t)n > len - (size_t)off) return throw_type(env, "sync: range outside the mapping");
  if (n == 0) return NULL;
  size_t ps = page_size();
  uintptr_t from = (uintptr_t)(data + off) & ~(uintptr_t)(ps - 1);
  uintptr_t to = (uintptr_t)(data + off + n);
  if (msync((void *)from, to - from, MS_SYNC) != 0) return throw_errno(env, "msync", errno);
  return NULL;
}

static napi_value js_unmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  char *data;
  size_t len;
  if (argc < 1 || !buffer_of(env, argv[0], &data, &len)) return throw_type(env, "unmap: expected a mapped ArrayBuffer");
  bool detached = false;
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  if (detached) return NULL;
  /* Detaching drops the backing store; its finalizer munmaps. Views now read as empty. */
  if (napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    napi_throw_error(env, "EINVAL", "unmap: the ArrayBuffer cannot be detached");
  }
  return NULL;
}

static napi_value js_page_size(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_uint32(env, (uint32_t)page_size(), &v);
  return v;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"map", NULL, js_map, NULL, NULL, NULL, napi_enumerable, NULL},
    {"sync", NULL, js_sync, NULL, NULL, NULL, napi_enumerable, NULL},
    {"unmap", NULL, js_unmap, NULL, NULL, NULL, napi_enumerable, NULL},
    {"pageSize", NULL, js_page_size, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
