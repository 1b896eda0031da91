#include "pathmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"

static uint64_t hash_str(const char *s)
{
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

static size_t find(char *const *keys, size_t cap, const char *key)
{
  size_t j = (size_t)hash_str(key) & (cap - 1);
  while (keys[j] && strcmp(keys[j], key) != 0)
    j = (j + 1) & (cap - 1);
  return j;
}

size_t *pyoci_pathmap_get(const pyoci_pathmap_t *m, const char *key)
{
  if (m->cap == 0)
    return NULL;
  size_t j = find(m->keys, m->cap, key);
  return m->keys[j] ? &m->vals[j] : NULL;
}

static void grow(pyoci_pathmap_t *m)
{
  size_t cap = m->cap ? m->cap * 2 : 1024;
  char **keys = xcalloc(cap, sizeof(*keys));
  size_t *vals = xcalloc(cap, sizeof(*vals));
  for (size_t i = 0; i < m->cap; i++) {
    if (m->keys[i] == NULL)
      continue;
    size_t j = find(keys, cap, m->keys[i]);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
  free(m->keys);
  free(m->vals);
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
}

size_t *pyoci_pathmap_put(pyoci_pathmap_t *m, const char *key, size_t init, bool *added)
{
  if ((m->n + 1) * 2 > m->cap)
    grow(m);
  size_t j = find(m->keys, m->cap, key);
  if (added)
    *added = m->keys[j] == NULL;
  if (m->keys[j] == NULL) {
    m->keys[j] = xstrdup(key);
    m->vals[j] = init;
    m->n++;
  }
  return &m->vals[j];
}

void pyoci_pathmap_clear(pyoci_pathmap_t *m)
{
  for (size_t i = 0; i < m->cap; i++)
    free(m->keys[i]);
  free(m->keys);
  free(m->vals);
  m->keys = NULL;
  m->vals = NULL;
  m->cap = m->n = 0;
}
