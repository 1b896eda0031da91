#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pyoci_die_oom(size_t size)
{
  /* No stdio: it may need memory itself. */
  char msg[80];
  int n = snprintf(msg, sizeof(msg), "pyoci: out of memory (allocating %zu bytes)\n", size);
  if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0) {
    /* nothing left to tell anyone */
  }
  abort();
}

size_t pyoci_st_add(size_t a, size_t b)
{
  size_t r;
  if (__builtin_add_overflow(a, b, &r))
    pyoci_die_oom(SIZE_MAX);
  return r;
}

size_t pyoci_st_mult(size_t a, size_t b)
{
  size_t r;
  if (__builtin_mul_overflow(a, b, &r))
    pyoci_die_oom(SIZE_MAX);
  return r;
}

void *pyoci_xmalloc(size_t size)
{
  void *p = malloc(size ? size : 1);
  if (p == NULL)
    pyoci_die_oom(size);
  return p;
}

void *pyoci_xcalloc(size_t n, size_t size)
{
  size_t total = pyoci_st_mult(n, size); /* ours to refuse, before any allocator sees it */
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (p == NULL)
    pyoci_die_oom(total);
  return p;
}

void *pyoci_xrealloc(void *p, size_t size)
{
  void *q = realloc(p, size ? size : 1);
  if (q == NULL)
    pyoci_die_oom(size);
  return q;
}

void *pyoci_xreallocarray(void *p, size_t n, size_t size)
{
  return pyoci_xrealloc(p, pyoci_st_mult(n, size));
}

void *pyoci_xcheck(void *p)
{
  if (p == NULL)
    pyoci_die_oom(0);
  return p;
}

char *pyoci_xstrdup(const char *s)
{
  char *d = strdup(s);
  if (d == NULL)
    pyoci_die_oom(strlen(s) + 1);
  return d;
}

char *pyoci_xstrndup(const char *s, size_t n)
{
  char *d = strndup(s, n);
  if (d == NULL)
    pyoci_die_oom(n + 1);
  return d;
}

char *pyoci_xstrdup_or_null(const char *s)
{
  return s != NULL ? pyoci_xstrdup(s) : NULL;
}

void *pyoci_xmemdup(const void *p, size_t n)
{
  void *d = pyoci_xmalloc(n);
  if (n)
    memcpy(d, p, n);
  return d;
}

char *pyoci_xvasprintf(const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    pyoci_die_oom(strlen(fmt));
  return s;
}

char *pyoci_xasprintf(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *s = pyoci_xvasprintf(fmt, ap);
  va_end(ap);
  return s;
}

/* ---- string vector ---- */

void pyoci_strv_push_nocopy(pyoci_strv_t *sv, char *s)
{
  ALLOC_GROW(sv->v, sv->n + 2, sv->alloc);
  sv->v[sv->n++] = s;
  sv->v[sv->n] = NULL;
}

void pyoci_strv_push(pyoci_strv_t *sv, const char *s)
{
  pyoci_strv_push_nocopy(sv, pyoci_xstrdup(s));
}

void pyoci_strv_pushf(pyoci_strv_t *sv, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  pyoci_strv_push_nocopy(sv, pyoci_xvasprintf(fmt, ap));
  va_end(ap);
}

void pyoci_strv_pop(pyoci_strv_t *sv)
{
  if (sv->n == 0)
    return;
  free(sv->v[--sv->n]);
  sv->v[sv->n] = NULL;
}

bool pyoci_strv_contains(const pyoci_strv_t *sv, const char *s)
{
  for (size_t i = 0; i < sv->n; i++)
    if (strcmp(sv->v[i], s) == 0)
      return true;
  return false;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void pyoci_strv_sort(pyoci_strv_t *sv)
{
  if (sv->n > 1)
    qsort(sv->v, sv->n, sizeof(*sv->v), cmp_str);
}

char **pyoci_strv_detach(pyoci_strv_t *sv, size_t *n)
{
  if (sv->v == NULL)
    sv->v = pyoci_xcalloc(1, sizeof(*sv->v));
  char **v = sv->v;
  if (n != NULL)
    *n = sv->n;
  sv->v = NULL;
  sv->n = sv->alloc = 0;
  return v;
}

void pyoci_strv_clear(pyoci_strv_t *sv)
{
  for (size_t i = 0; i < sv->n; i++)
    free(sv->v[i]);
  free(sv->v);
  sv->v = NULL;
  sv->n = sv->alloc = 0;
}

/* ---- string-keyed hash map ---- */

uint64_t pyoci_hash_str(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

/* A deleted slot: probing goes past it, insertion may reuse it. */
static char tomb_marker;
#define TOMB (&tomb_marker)

static bool is_live(const pyoci_strmap_slot_t *s)
{
  return s->key != NULL && s->key != TOMB;
}

pyoci_strmap_slot_t *pyoci_strmap_find(const pyoci_strmap_t *m, const char *key)
{
  if (m->cap == 0)
    return NULL;
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)pyoci_hash_str(key) & mask;; i = (i + 1) & mask) {
    pyoci_strmap_slot_t *s = &m->slots[i];
    if (s->key == NULL)
      return NULL;
    if (s->key != TOMB && strcmp(s->key, key) == 0)
      return s;
  }
}

/* First empty or deleted slot on key's probe path. */
static pyoci_strmap_slot_t *free_slot(pyoci_strmap_slot_t *slots, size_t cap, const char *key)
{
  size_t i = (size_t)pyoci_hash_str(key) & (cap - 1);
  while (is_live(&slots[i]))
    i = (i + 1) & (cap - 1);
  return &slots[i];
}

/* Grow when live keys fill a quarter, else just drop the deleted slots. */
static void rehash(pyoci_strmap_t *m)
{
  size_t cap = m->cap == 0 ? 64 : m->n * 4 >= m->cap ? pyoci_st_mult(m->cap, 2) : m->cap;
  pyoci_strmap_slot_t *slots = pyoci_xcalloc(cap, sizeof(*slots));
  for (size_t i = 0; i < m->cap; i++)
    if (is_live(&m->slots[i]))
      *free_slot(slots, cap, m->slots[i].key) = m->slots[i];
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
  m->used = m->n;
}

pyoci_strmap_slot_t *pyoci_strmap_insert(pyoci_strmap_t *m, const char *key, bool *added)
{
  pyoci_strmap_slot_t *s = pyoci_strmap_find(m, key);
  if (added != NULL)
    *added = s == NULL;
  if (s != NULL)
    return s;
  if ((m->used + 1) * 2 > m->cap)
    rehash(m);
  s = free_slot(m->slots, m->cap, key);
  if (s->key == NULL)
    m->used++;
  s->key = pyoci_xstrdup(key);
  s->val.num = 0;
  m->n++;
  return s;
}

void pyoci_strmap_remove(pyoci_strmap_t *m, pyoci_strmap_slot_t *slot)
{
  free(slot->key);
  slot->key = TOMB;
  slot->val.num = 0;
  m->n--;
}

pyoci_strmap_slot_t *pyoci_strmap_next(const pyoci_strmap_t *m, size_t *i)
{
  for (; *i < m->cap; (*i)++)
    if (is_live(&m->slots[*i]))
      return &m->slots[(*i)++];
  return NULL;
}

void pyoci_strmap_clear(pyoci_strmap_t *m, void (*free_val)(void *))
{
  for (size_t i = 0; i < m->cap; i++) {
    if (!is_live(&m->slots[i]))
      continue;
    free(m->slots[i].key);
    if (free_val != NULL)
      free_val(m->slots[i].val.ptr);
  }
  free(m->slots);
  m->slots = NULL;
  m->cap = m->n = m->used = 0;
}
