/* A string map for the unpacker (paths a layer created) and the tar writer
 * (inodes already written -> first path).  Open addressing, linear probing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layer_int.h"

static uint64_t hash_str(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ULL;
  }
  return h;
}

static size_t find_slot(const pyoci_strmap_slot_t *slots, size_t cap, const char *key)
{
  size_t i = (size_t)hash_str(key) & (cap - 1);
  while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0)
    i = (i + 1) & (cap - 1);
  return i;
}

const char *pyoci_strmap_get(const pyoci_strmap_t *m, const char *key)
{
  if (m->cap == 0)
    return NULL;
  const pyoci_strmap_slot_t *s = &m->slots[find_slot(m->slots, m->cap, key)];
  if (s->key == NULL)
    return NULL;
  return s->val != NULL ? s->val : s->key;
}

static void grow(pyoci_strmap_t *m)
{
  size_t cap = m->cap ? m->cap * 2 : 256;
  pyoci_strmap_slot_t *slots = calloc(cap, sizeof(*slots));
  if (slots == NULL)
    abort();
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key != NULL)
      slots[find_slot(slots, cap, m->slots[i].key)] = m->slots[i];
  free(m->slots);
  m->slots = slots;
  m->cap = cap;
}

void pyoci_strmap_put(pyoci_strmap_t *m, const char *key, const char *val)
{
  if ((m->n + 1) * 2 > m->cap)
    grow(m);
  pyoci_strmap_slot_t *s = &m->slots[find_slot(m->slots, m->cap, key)];
  if (s->key != NULL)
    return; /* first value wins */
  s->key = strdup(key);
  s->val = val != NULL ? strdup(val) : NULL;
  if (s->key == NULL || (val != NULL && s->val == NULL))
    abort();
  m->n++;
}

void pyoci_strmap_clear(pyoci_strmap_t *m)
{
  for (size_t i = 0; i < m->cap; i++) {
    free(m->slots[i].key);
    free(m->slots[i].val);
  }
  free(m->slots);
  m->slots = NULL;
  m->cap = m->n = 0;
}
