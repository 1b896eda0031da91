/* fsview: path -> kept file, with OCI layer replacement and whiteouts.
 * A chained hash table of entries plus an add-only set of the directories
 * that hold entries, so the common case (a file that replaces nothing we
 * keep) costs two lookups instead of a scan. */
#include "fsview.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"
#include "catalog.h"

#define NBUCKETS 4096

typedef struct dirnode {
  char *path;
  struct dirnode *next;
} dirnode_t;

struct pyoci_fsview {
  pyoci_fsv_entry_t *buckets[NBUCKETS];
  dirnode_t *dirs[NBUCKETS];
  size_t n;
  uint64_t total;
};

static unsigned hash_str(const char *s)
{
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 16777619u;
  return h % NBUCKETS;
}

pyoci_fsview_t *pyoci_fsview_new(void)
{
  pyoci_fsview_t *v = xcalloc(1, sizeof(*v));
  return v;
}

static void entry_free(pyoci_fsv_entry_t *e)
{
  free(e->path);
  free(e->link);
  free(e->content);
  free(e);
}

void pyoci_fsview_free(pyoci_fsview_t *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < NBUCKETS; i++) {
    for (pyoci_fsv_entry_t *e = v->buckets[i], *nx; e != NULL; e = nx) {
      nx = e->next;
      entry_free(e);
    }
    for (dirnode_t *d = v->dirs[i], *nx; d != NULL; d = nx) {
      nx = d->next;
      free(d->path);
      free(d);
    }
  }
  free(v);
}

const pyoci_fsv_entry_t *pyoci_fsview_get(const pyoci_fsview_t *v, const char *path)
{
  for (const pyoci_fsv_entry_t *e = v->buckets[hash_str(path)]; e != NULL; e = e->next)
    if (strcmp(e->path, path) == 0)
      return e;
  return NULL;
}

static bool dir_known(const pyoci_fsview_t *v, const char *path)
{
  for (const dirnode_t *d = v->dirs[hash_str(path)]; d != NULL; d = d->next)
    if (strcmp(d->path, path) == 0)
      return true;
  return false;
}

/* Remember every ancestor directory of path. */
static void add_ancestors(pyoci_fsview_t *v, const char *path)
{
  cleanup_free char *p = xstrdup(path);
  for (char *slash = strrchr(p, '/'); slash != NULL; slash = strrchr(p, '/')) {
    *slash = '\0';
    if (dir_known(v, p))
      return; /* its ancestors are known too */
    dirnode_t *d = xcalloc(1, sizeof(*d));
    d->path = xstrdup(p);
    unsigned h = hash_str(p);
    d->next = v->dirs[h];
    v->dirs[h] = d;
  }
}

/* Remove entries matching (path itself when self, and/or anything below it)
 * whose layer is < below. */
static void remove_matching(pyoci_fsview_t *v, const char *path, bool self, bool under, int below)
{
  size_t plen = strlen(path);
  for (size_t i = 0; i < NBUCKETS; i++) {
    pyoci_fsv_entry_t **pp = &v->buckets[i];
    while (*pp != NULL) {
      pyoci_fsv_entry_t *e = *pp;
      bool hit;
      if (plen == 0)
        hit = under;
      else if (strcmp(e->path, path) == 0)
        hit = self;
      else
        hit = under && strncmp(e->path, path, plen) == 0 && e->path[plen] == '/';
      if (hit && e->layer < below) {
        *pp = e->next;
        v->total -= e->len;
        v->n--;
        entry_free(e);
      } else {
        pp = &e->next;
      }
    }
  }
}

static void remove_exact(pyoci_fsview_t *v, const char *path)
{
  pyoci_fsv_entry_t **pp = &v->buckets[hash_str(path)];
  for (; *pp != NULL; pp = &(*pp)->next) {
    if (strcmp((*pp)->path, path) == 0) {
      pyoci_fsv_entry_t *e = *pp;
      *pp = e->next;
      v->total -= e->len;
      v->n--;
      entry_free(e);
      return;
    }
  }
}

void pyoci_fsview_replaced(pyoci_fsview_t *v, const char *path, int layer)
{
  remove_exact(v, path);
  /* A directory that became a file takes its old contents with it. */
  if (dir_known(v, path))
    remove_matching(v, path, false, true, layer);
}

static pyoci_fsv_entry_t *insert(pyoci_fsview_t *v, const char *path, int layer)
{
  pyoci_fsview_replaced(v, path, layer);
  pyoci_fsv_entry_t *e = xcalloc(1, sizeof(*e));
  e->path = xstrdup(path);
  e->layer = layer;
  unsigned h = hash_str(path);
  e->next = v->buckets[h];
  v->buckets[h] = e;
  v->n++;
  add_ancestors(v, path);
  return e;
}

int pyoci_fsview_put_file(pyoci_fsview_t *v, const char *path, int layer, char *content, size_t len,
                          pyoci_error_t **err)
{
  const pyoci_fsv_entry_t *old = pyoci_fsview_get(v, path);
  uint64_t total = v->total - (old ? old->len : 0) + len;
  if (total > PYOCI_PKG_MAX_TOTAL) {
    free(content);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "'%s': package metadata kept so far is over the limit of %llu bytes", path,
                                (unsigned long long)PYOCI_PKG_MAX_TOTAL);
  }
  pyoci_fsv_entry_t *e = insert(v, path, layer);
  e->type = PYOCI_FSV_FILE;
  e->content = content;
  e->len = len;
  v->total += len;
  return 0;
}

void pyoci_fsview_put_symlink(pyoci_fsview_t *v, const char *path, int layer, const char *target)
{
  pyoci_fsv_entry_t *e = insert(v, path, layer);
  e->type = PYOCI_FSV_SYMLINK;
  e->link = xstrdup(target);
}

void pyoci_fsview_whiteout(pyoci_fsview_t *v, const char *path, int layer)
{
  remove_matching(v, path, true, true, layer);
}

void pyoci_fsview_opaque(pyoci_fsview_t *v, const char *dir, int layer)
{
  remove_matching(v, dir, false, true, layer);
}

char *pyoci_fsview_clean_path(const char *path)
{
  return pyoci_path_normalize(path, PYOCI_PATH_CLAMP);
}

const pyoci_fsv_entry_t *pyoci_fsview_resolve(const pyoci_fsview_t *v, const char *path)
{
  cleanup_free char *cur = xstrdup(path);
  for (int depth = 0; depth < 16; depth++) {
    const pyoci_fsv_entry_t *e = pyoci_fsview_get(v, cur);
    if (e == NULL)
      return NULL;
    if (e->type == PYOCI_FSV_FILE)
      return e;
    cleanup_free char *joined = NULL;
    if (e->link[0] == '/') {
      joined = xstrdup(e->link);
    } else {
      const char *slash = strrchr(cur, '/');
      joined = xasprintf("%.*s/%s", slash ? (int)(slash - cur) : 0, cur, e->link);
    }
    free(cur);
    cur = pyoci_fsview_clean_path(joined);
  }
  return NULL;
}

static int cmp_entry(const void *a, const void *b)
{
  const pyoci_fsv_entry_t *x = *(const pyoci_fsv_entry_t *const *)a, *y = *(const pyoci_fsv_entry_t *const *)b;
  return strcmp(x->path, y->path);
}

const pyoci_fsv_entry_t **pyoci_fsview_sorted(const pyoci_fsview_t *v, size_t *n)
{
  const pyoci_fsv_entry_t **arr = xcalloc(v->n + 1, sizeof(*arr));
  size_t k = 0;
  for (size_t i = 0; i < NBUCKETS; i++)
    for (const pyoci_fsv_entry_t *e = v->buckets[i]; e != NULL; e = e->next)
      arr[k++] = e;
  qsort(arr, k, sizeof(*arr), cmp_entry);
  *n = k;
  return arr;
}
