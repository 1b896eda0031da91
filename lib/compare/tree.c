/* Merged file trees: path -> (size, directory?) in an open-addressing hash
 * table, with OCI layer semantics applied record by record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "compare.h"

#include "lib/util/walk.h"

/* The map's value holds the size and the directory bit together (sizes are
 * never negative): no allocation per path, on trees of 100k files. */
struct pyoci_tree {
  pyoci_strmap_t map;
};

static size_t pack(int64_t size, bool is_dir)
{
  return ((size_t)size << 1) | (is_dir ? 1u : 0u);
}

static bool slot_is_dir(const pyoci_strmap_slot_t *s)
{
  return (s->val.num & 1) != 0;
}

static int64_t slot_size(const pyoci_strmap_slot_t *s)
{
  return (int64_t)(s->val.num >> 1);
}

pyoci_tree_t *pyoci_tree_new(void)
{
  return xcalloc(1, sizeof(pyoci_tree_t));
}

void pyoci_tree_free(pyoci_tree_t *t)
{
  if (t == NULL)
    return;
  pyoci_strmap_clear(&t->map, NULL);
  free(t);
}

static pyoci_strmap_slot_t *find(const pyoci_tree_t *t, const char *path)
{
  return pyoci_strmap_find(&t->map, path);
}

static void put(pyoci_tree_t *t, const char *path, int64_t size, bool is_dir)
{
  pyoci_strmap_insert(&t->map, path, NULL)->val.num = pack(size, is_dir);
}

/* Remove everything strictly under dir ("" = the root). */
static void del_under(pyoci_tree_t *t, const char *dir)
{
  size_t n = strlen(dir);
  pyoci_strmap_slot_t *s;
  for (size_t i = 0; (s = pyoci_strmap_next(&t->map, &i)) != NULL;)
    if (n == 0 || (strncmp(s->key, dir, n) == 0 && s->key[n] == '/'))
      pyoci_strmap_remove(&t->map, s);
}

static void del_path(pyoci_tree_t *t, const char *path)
{
  pyoci_strmap_slot_t *s = find(t, path);
  bool was_dir = s != NULL && slot_is_dir(s);
  if (s != NULL)
    pyoci_strmap_remove(&t->map, s);
  if (s == NULL || was_dir)
    del_under(t, path);
}

bool pyoci_tree_has(const pyoci_tree_t *t, const char *path)
{
  return find(t, path) != NULL;
}

void pyoci_tree_apply(pyoci_tree_t *t, const pyoci_layer_record_t *rec)
{
  /* Whiteouts in a layer hide what the layers below put there, never the
   * layer's own entries: apply them all first. */
  for (size_t i = 0; i < rec->n_entries; i++) {
    const char *p = rec->entries[i].path;
    const char *slash = strrchr(p, '/');
    const char *base = slash ? slash + 1 : p;
    if (strncmp(base, ".wh.", 4) != 0)
      continue;
    cleanup_free char *dir = xstrndup(p, slash ? (size_t)(slash - p) : 0);
    if (strcmp(base, ".wh..wh..opq") == 0) {
      del_under(t, dir);
    } else if (base[4] != '\0') {
      cleanup_free char *target = NULL;
      target = xasprintf("%s%s%s", dir, dir[0] ? "/" : "", base + 4);
      del_path(t, target);
    }
  }
  for (size_t i = 0; i < rec->n_entries; i++) {
    const pyoci_lrec_entry_t *e = &rec->entries[i];
    const char *slash = strrchr(e->path, '/');
    if (strncmp(slash ? slash + 1 : e->path, ".wh.", 4) == 0)
      continue;
    pyoci_strmap_slot_t *old = find(t, e->path);
    if (e->type == PYOCI_CAT_DIR) {
      if (old == NULL || !slot_is_dir(old))
        put(t, e->path, 0, true);
      continue;
    }
    if (old != NULL && slot_is_dir(old))
      del_under(t, e->path);
    int64_t size = e->size;
    if (e->type == PYOCI_CAT_SYMLINK)
      size = e->link ? (int64_t)strlen(e->link) : 0;
    else if (e->type == PYOCI_CAT_HARDLINK) {
      const pyoci_strmap_slot_t *target = e->link ? find(t, e->link) : NULL;
      size = target ? slot_size(target) : 0;
    }
    put(t, e->path, size, false);
  }
}

size_t pyoci_tree_files(const pyoci_tree_t *t)
{
  size_t n = 0;
  pyoci_strmap_slot_t *s;
  for (size_t i = 0; (s = pyoci_strmap_next(&t->map, &i)) != NULL;)
    n += !slot_is_dir(s);
  return n;
}

pyoci_tree_node_t *pyoci_tree_nodes(const pyoci_tree_t *t, size_t *n)
{
  pyoci_tree_node_t *v = xcalloc(t->map.n + 1, sizeof(*v));
  size_t k = 0;
  pyoci_strmap_slot_t *s;
  for (size_t i = 0; (s = pyoci_strmap_next(&t->map, &i)) != NULL; k++)
    v[k] = (pyoci_tree_node_t){.path = s->key, .size = slot_size(s), .is_dir = slot_is_dir(s)};
  *n = k;
  return v;
}

/* ---- directories ---- */

typedef struct {
  dev_t dev;
  ino_t ino;
} inode_t;

typedef struct {
  inode_t *v;
  size_t n, cap;
} inodes_t;

/* True when the inode was seen before (linear: only multi-link files). */
static bool seen_inode(inodes_t *s, dev_t dev, ino_t ino)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->v[i].dev == dev && s->v[i].ino == ino)
      return true;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
  }
  s->v[s->n++] = (inode_t){dev, ino};
  return false;
}

typedef struct {
  pyoci_tree_t *t;
  inodes_t ino;
  int64_t *total;
} from_dir_t;

static int add_entry(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  from_dir_t *w = ctx;
  const struct stat *st = e->st;
  int64_t size = 0;
  if (S_ISREG(st->st_mode)) {
    size = st->st_size;
    if (st->st_nlink < 2 || !seen_inode(&w->ino, st->st_dev, st->st_ino))
      *w->total += size;
  } else if (S_ISLNK(st->st_mode)) {
    size = st->st_size; /* the target's length */
    *w->total += size;
  }
  put(w->t, e->rel, size, S_ISDIR(st->st_mode));
  return 0;
}

int pyoci_tree_from_dir(pyoci_tree_t *t, const char *dir, int64_t *docker_size, pyoci_error_t **err)
{
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dir);
  from_dir_t w = {t, {0}, docker_size};
  *docker_size = 0;
  int rc = pyoci_walk_at(fd, dir, add_entry, &w, 0, PYOCI_WALK_STAT, err);
  free(w.ino.v);
  return rc;
}
