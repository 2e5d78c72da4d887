/*
 * Userspace stand-ins for the few kernel facilities that lib/reed_solomon,
 * lib/zlib_inflate, lib/lzo and lib/lz4 use, so that the kernel's own C can
 * be compiled into the differential-test driver. Our code (MIT); the kernel
 * sources themselves are extracted at test time and never committed.
 */
#ifndef PSTORE_KSHIM_H
#define PSTORE_KSHIM_H
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef uint16_t __le16;
typedef uint32_t __le32;

#define GFP_KERNEL 0u
#define __init
#define __exit
#define __always_inline inline __attribute__((always_inline))
#define noinline __attribute__((noinline))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
#define MODULE_AUTHOR(s)
#define module_init(f)
#define module_exit(f)
#define BUG_ON(c) do { if (c) { fprintf(stderr, "BUG_ON(%s) at %s:%d\n", #c, __FILE__, __LINE__); abort(); } } while (0)
#define WARN_ON(c) (!!(c))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define container_of(p, t, m) ((t *)((char *)(p) - offsetof(t, m)))
#define fallthrough __attribute__((__fallthrough__))

static inline void *kzalloc(size_t n, gfp_t g) { (void)g; return calloc(1, n); }
static inline void *kmalloc(size_t n, gfp_t g) { (void)g; return malloc(n); }
static inline void *kmalloc_array(size_t n, size_t s, gfp_t g) { (void)g; return calloc(n, s); }
static inline void *kcalloc(size_t n, size_t s, gfp_t g) { (void)g; return calloc(n, s); }
static inline void kfree(const void *p) { free((void *)p); }
static inline void *vmalloc(size_t n) { return malloc(n); }
static inline void *vzalloc(size_t n) { return calloc(1, n); }
static inline void vfree(const void *p) { free((void *)p); }

struct mutex { int unused; };
#define DEFINE_MUTEX(m) struct mutex m
static inline void mutex_lock(struct mutex *m) { (void)m; }
static inline void mutex_unlock(struct mutex *m) { (void)m; }

struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD(n) struct list_head n = { &(n), &(n) }
static inline void INIT_LIST_HEAD(struct list_head *h) { h->next = h; h->prev = h; }
static inline void list_add(struct list_head *e, struct list_head *h) { e->next = h->next; e->prev = h; h->next->prev = e; h->next = e; }
static inline void list_del(struct list_head *e) { e->prev->next = e->next; e->next->prev = e->prev; }
#define list_entry(p, t, m) container_of(p, t, m)
#define list_for_each(p, h) for ((p) = (h)->next; (p) != (h); (p) = (p)->next)

#define get_unaligned(p) ({ __typeof__(*(p)) v_; memcpy(&v_, (p), sizeof(v_)); v_; })
#define put_unaligned(v, p) do { __typeof__(*(p)) v_ = (v); memcpy((p), &v_, sizeof(v_)); } while (0)
static inline u16 get_unaligned_le16(const void *p) { const u8 *b = p; return (u16)(b[0] | b[1] << 8); }
static inline u32 get_unaligned_le32(const void *p) { const u8 *b = p; return (u32)b[0] | (u32)b[1] << 8 | (u32)b[2] << 16 | (u32)b[3] << 24; }
static inline void put_unaligned_le16(u16 v, void *p) { u8 *b = p; b[0] = (u8)v; b[1] = (u8)(v >> 8); }
/* Kernel build facts for x86-64, as Debian builds it. */
#define IS_ENABLED(x) (x)
#ifndef CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS
#define CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS 1
#endif
/* glibc defines both endianness names as values; the kernel defines only the machine's. */
#undef __BIG_ENDIAN
#endif
