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

#define MAX_DEPTH 256

typedef struct {
  char *path; /* NULL: empty; TOMB: deleted */
  int64_t size;
  bool is_dir;
} slot_t;

static char tomb_marker;
#define TOMB (&tomb_marker)

struct pyoci_tree {
  slot_t *slots;
  size_t cap, used, live;
};

pyoci_tree_t *pyoci_tree_new(void)
{
  pyoci_tree_t *t = xcalloc(1, sizeof(*t));
  t->cap = 1024;
  t->slots = xcalloc(t->cap, sizeof(slot_t));
  return t;
}

void pyoci_tree_free(pyoci_tree_t *t)
{
  if (t == NULL)
    return;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].path != NULL && t->slots[i].path != TOMB)
      free(t->slots[i].path);
  free(t->slots);
  free(t);
}

static uint64_t hash(const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static slot_t *find(const pyoci_tree_t *t, const char *path)
{
  size_t mask = t->cap - 1;
  for (size_t i = hash(path) & mask;; i = (i + 1) & mask) {
    slot_t *s = &t->slots[i];
    if (s->path == NULL)
      return NULL;
    if (s->path != TOMB && strcmp(s->path, path) == 0)
      return s;
  }
}

static void rehash(pyoci_tree_t *t)
{
  slot_t *old = t->slots;
  size_t oldcap = t->cap;
  t->cap = t->live * 4 > oldcap ? oldcap * 2 : oldcap;
  t->slots = xcalloc(t->cap, sizeof(slot_t));
  t->used = 0;
  size_t mask = t->cap - 1;
  for (size_t i = 0; i < oldcap; i++) {
    if (old[i].path == NULL || old[i].path == TOMB)
      continue;
    size_t j = hash(old[i].path) & mask;
    while (t->slots[j].path != NULL)
      j = (j + 1) & mask;
    t->slots[j] = old[i];
    t->used++;
  }
  free(old);
}

static void put(pyoci_tree_t *t, const char *path, int64_t size, bool is_dir)
{
  slot_t *s = find(t, path);
  if (s != NULL) {
    s->size = size;
    s->is_dir = is_dir;
    return;
  }
  if ((t->used + 1) * 2 > t->cap)
    rehash(t);
  size_t mask = t->cap - 1;
  size_t i = hash(path) & mask;
  while (t->slots[i].path != NULL && t->slots[i].path != TOMB)
    i = (i + 1) & mask;
  if (t->slots[i].path == NULL)
    t->used++;
  t->slots[i].path = xstrdup(path);
  t->slots[i].size = size;
  t->slots[i].is_dir = is_dir;
  t->live++;
}

static void del_slot(pyoci_tree_t *t, slot_t *s)
{
  free(s->path);
  s->path = TOMB;
  t->live--;
}

/* Remove everything strictly under dir ("" = the root). */
static void del_under(pyoci_tree_t *t, const char *dir)
{
  size_t n = strlen(dir);
  for (size_t i = 0; i < t->cap; i++) {
    slot_t *s = &t->slots[i];
    if (s->path == NULL || s->path == TOMB)
      continue;
    if (n == 0 || (strncmp(s->path, dir, n) == 0 && s->path[n] == '/'))
      del_slot(t, s);
  }
}

static void del_path(pyoci_tree_t *t, const char *path)
{
  slot_t *s = find(t, path);
  bool was_dir = s != NULL && s->is_dir;
  if (s != NULL)
    del_slot(t, s);
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
    slot_t *old = find(t, e->path);
    if (e->type == PYOCI_CAT_DIR) {
      if (old != NULL && !old->is_dir)
        del_slot(t, old);
      if (old == NULL || !old->is_dir)
        put(t, e->path, 0, true);
      continue;
    }
    if (old != NULL && old->is_dir)
      del_under(t, e->path);
    int64_t size = e->size;
    if (e->type == PYOCI_CAT_SYMLINK)
      size = e->link ? (int64_t)strlen(e->link) : 0;
    else if (e->type == PYOCI_CAT_HARDLINK) {
      const slot_t *target = e->link ? find(t, e->link) : NULL;
      size = target ? target->size : 0;
    }
    put(t, e->path, size, false);
  }
}

size_t pyoci_tree_files(const pyoci_tree_t *t)
{
  size_t n = 0;
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].path != NULL && t->slots[i].path != TOMB && !t->slots[i].is_dir)
      n++;
  return n;
}

pyoci_tree_node_t *pyoci_tree_nodes(const pyoci_tree_t *t, size_t *n)
{
  pyoci_tree_node_t *v = xcalloc(t->live + 1, sizeof(*v));
  size_t k = 0;
  for (size_t i = 0; i < t->cap; i++) {
    const slot_t *s = &t->slots[i];
    if (s->path == NULL || s->path == TOMB)
      continue;
    v[k].path = s->path;
    v[k].size = s->size;
    v[k].is_dir = s->is_dir;
    k++;
  }
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

static int walk(pyoci_tree_t *t, int dfd, const char *rel, const char *top, int depth, inodes_t *ino, int64_t *total,
                pyoci_error_t **err)
{
  if (depth > MAX_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s/%s': nested deeper than %d", top, rel, MAX_DEPTH);
  int fd2 = dup(dfd);
  if (fd2 < 0)
    return pyoci_error_set(err, errno, "dup");
  cleanup_dir DIR *d = fdopendir(fd2);
  if (d == NULL) {
    close(fd2);
    return pyoci_error_set(err, errno, "opendir '%s/%s'", top, rel);
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *child = NULL;
    child = xasprintf("%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
    struct stat st;
    if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      return pyoci_error_set(err, errno, "stat '%s/%s'", top, child);
    if (S_ISDIR(st.st_mode)) {
      put(t, child, 0, true);
      cleanup_close int cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (cfd < 0)
        return pyoci_error_set(err, errno, "open '%s/%s'", top, child);
      if (walk(t, cfd, child, top, depth + 1, ino, total, err) < 0)
        return -1;
      continue;
    }
    int64_t size = 0;
    if (S_ISREG(st.st_mode)) {
      size = st.st_size;
      if (st.st_nlink < 2 || !seen_inode(ino, st.st_dev, st.st_ino))
        *total += size;
    } else if (S_ISLNK(st.st_mode)) {
      size = st.st_size; /* the target's length */
      *total += size;
    }
    put(t, child, size, false);
  }
  if (errno != 0)
    return pyoci_error_set(err, errno, "readdir '%s/%s'", top, rel);
  return 0;
}

int pyoci_tree_from_dir(pyoci_tree_t *t, const char *dir, int64_t *docker_size, pyoci_error_t **err)
{
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dir);
  inodes_t ino = {0};
  *docker_size = 0;
  int rc = walk(t, fd, "", dir, 0, &ino, docker_size, err);
  free(ino.v);
  return rc;
}
