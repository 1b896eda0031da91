/* Allocation with one out-of-memory policy, plus the two containers every
 * module kept writing again: a string vector and a string-keyed hash map.
 *
 * Policy (as git's xmalloc): when memory runs out, print one line naming the
 * size to stderr and abort().  A toolkit that cannot allocate a few bytes
 * cannot report anything useful through pyoci_error_t either, and a caller
 * that "handles" NULL from every strdup only grows untested paths.  This is
 * the one place below cli/ that prints.  Sizes are checked for overflow
 * (n * size, a + b) before they reach the allocator: an overflow is treated
 * like out-of-memory, never as a short buffer.
 *
 * The short names (xmalloc, xstrdup, ...) are macros for the pyoci_x*
 * functions, so a file reads like git's while the symbols keep the prefix. */
#ifndef PYOCI_UTIL_ALLOC_H
#define PYOCI_UTIL_ALLOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

__attribute__((noreturn)) void pyoci_die_oom(size_t size);

void *pyoci_xmalloc(size_t size) __attribute__((malloc, returns_nonnull));
/* Zeroed; n * size is checked for overflow. */
void *pyoci_xcalloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *pyoci_xrealloc(void *p, size_t size) __attribute__((returns_nonnull));
/* realloc to n * size elements, overflow-checked. */
void *pyoci_xreallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull));
char *pyoci_xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *pyoci_xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
/* NULL stays NULL. */
char *pyoci_xstrdup_or_null(const char *s) __attribute__((malloc));
void *pyoci_xmemdup(const void *p, size_t n) __attribute__((malloc, returns_nonnull));
char *pyoci_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc, returns_nonnull));
char *pyoci_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0), malloc, returns_nonnull));
/* p, or the out-of-memory death when p is NULL: for library calls that fail
 * only by running out of memory (json_dumps, json_pack, EVP_MD_CTX_new). */
void *pyoci_xcheck(void *p);
/* a + b and a * b for sizes, dying on overflow (git's st_add / st_mult). */
size_t pyoci_st_add(size_t a, size_t b);
size_t pyoci_st_mult(size_t a, size_t b);

#define xmalloc pyoci_xmalloc
#define xcalloc pyoci_xcalloc
#define xrealloc pyoci_xrealloc
#define xreallocarray pyoci_xreallocarray
#define xstrdup pyoci_xstrdup
#define xstrndup pyoci_xstrndup
#define xstrdup_or_null pyoci_xstrdup_or_null
#define xmemdup pyoci_xmemdup
#define xasprintf pyoci_xasprintf
#define xvasprintf pyoci_xvasprintf

/* git's growth rule: half again plus 16. */
#define PYOCI_ALLOC_NR(x) (((x) + 16) * 3 / 2)

/* Make room for at least `nr` elements in `arr`, whose capacity is `alloc`
 * (both size_t lvalues); `arr` may move.  As git's ALLOC_GROW. */
#define ALLOC_GROW(arr, nr, alloc)                                                                          \
  do {                                                                                                     \
    if ((nr) > (alloc)) {                                                                                  \
      size_t ag_new_ = PYOCI_ALLOC_NR(alloc) < (size_t)(nr) ? (size_t)(nr) : PYOCI_ALLOC_NR(alloc);        \
      (arr) = pyoci_xreallocarray((arr), ag_new_, sizeof(*(arr)));                                         \
      (alloc) = ag_new_;                                                                                   \
    }                                                                                                      \
  } while (0)

/* ---- string vector ---------------------------------------------------
 * Owned strings, always NULL-terminated once anything was pushed (v[n] ==
 * NULL), so v can go straight to execv or a char ** API. */
typedef struct {
  char **v;
  size_t n, alloc;
} pyoci_strv_t;

#define PYOCI_STRV_INIT {NULL, 0, 0}

/* Push a copy of s / take ownership of s / push a formatted string. */
void pyoci_strv_push(pyoci_strv_t *sv, const char *s);
void pyoci_strv_push_nocopy(pyoci_strv_t *sv, char *s);
void pyoci_strv_pushf(pyoci_strv_t *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Remove and free the last string (no-op when empty). */
void pyoci_strv_pop(pyoci_strv_t *sv);
bool pyoci_strv_contains(const pyoci_strv_t *sv, const char *s);
/* strcmp order. */
void pyoci_strv_sort(pyoci_strv_t *sv);
/* Hand the NULL-terminated array to the caller (never NULL; free with
 * pyoci_strvfreep or cleanup_strv) and leave sv empty. */
char **pyoci_strv_detach(pyoci_strv_t *sv, size_t *n);
void pyoci_strv_clear(pyoci_strv_t *sv);

#define cleanup_strvec __attribute__((cleanup(pyoci_strv_clear)))

/* ---- string-keyed hash map --------------------------------------------
 * Open addressing, linear probing, FNV-1a; keys are copied, values are the
 * caller's (a pointer, or an index / count through the size_t view).  The first
 * put of a key wins: a second put returns the existing slot. */
typedef struct {
  char *key; /* NULL = empty slot (deleted slots hold a private marker) */
  union {
    void *ptr;
    size_t num;
  } val;
} pyoci_strmap_slot_t;

typedef struct {
  pyoci_strmap_slot_t *slots;
  size_t cap, n; /* n: live keys */
  size_t used;   /* live + deleted slots (probing stops only at empty ones) */
} pyoci_strmap_t;

#define PYOCI_STRMAP_INIT {NULL, 0, 0, 0}

uint64_t pyoci_hash_str(const char *s);
/* The slot of key, or NULL when absent. */
pyoci_strmap_slot_t *pyoci_strmap_find(const pyoci_strmap_t *m, const char *key);
/* The slot of key, inserted (value zeroed) when absent; *added says which. */
pyoci_strmap_slot_t *pyoci_strmap_insert(pyoci_strmap_t *m, const char *key, bool *added);
/* Delete the key of a slot from find/insert/next (the value is the
 * caller's to free first).  Safe during iteration. */
void pyoci_strmap_remove(pyoci_strmap_t *m, pyoci_strmap_slot_t *slot);
/* Iterate: for (size_t i = 0; (s = pyoci_strmap_next(m, &i)) != NULL;) */
pyoci_strmap_slot_t *pyoci_strmap_next(const pyoci_strmap_t *m, size_t *i);
/* Free the keys and the table; free_val (may be NULL) gets each value. */
void pyoci_strmap_clear(pyoci_strmap_t *m, void (*free_val)(void *));

#endif
