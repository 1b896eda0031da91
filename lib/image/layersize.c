/* Docker's layer size from a tar, and its cache (see layersize.h). */
#include "layersize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"

#define NO_INODE ((size_t)-1)

struct pyoci_dsize {
  pyoci_strmap_t paths; /* path -> inode index, NO_INODE = removed/dir */
  int64_t *inode_size;
  size_t n_inodes, cap;
};

pyoci_dsize_t *pyoci_dsize_new(void)
{
  pyoci_dsize_t *d = xcalloc(1, sizeof(*d));
  return d;
}

void pyoci_dsize_free(pyoci_dsize_t *d)
{
  if (d == NULL)
    return;
  pyoci_strmap_clear(&d->paths, NULL);
  free(d->inode_size);
  free(d);
}

static size_t new_inode(pyoci_dsize_t *d, int64_t size)
{
  if (d->n_inodes == d->cap) {
    d->cap = d->cap ? d->cap * 2 : 1024;
    d->inode_size = xrealloc(d->inode_size, d->cap * sizeof(*d->inode_size));
  }
  d->inode_size[d->n_inodes] = size;
  return d->n_inodes++;
}

/* A non-directory replacing a directory removes what was under it, as
 * Docker's untar does (RemoveAll before creating the new entry). */
static void remove_under(pyoci_dsize_t *d, const char *path)
{
  size_t len = strlen(path);
  pyoci_strmap_slot_t *s;
  for (size_t i = 0; (s = pyoci_strmap_next(&d->paths, &i)) != NULL;)
    if (strncmp(s->key, path, len) == 0 && s->key[len] == '/')
      s->val.num = NO_INODE;
}

static void set_path(pyoci_dsize_t *d, const char *path, size_t inode)
{
  pyoci_strmap_insert(&d->paths, path, NULL)->val.num = inode;
}

void pyoci_dsize_add(pyoci_dsize_t *d, const pyoci_tar_entry_t *e)
{
  if (e->path[0] == '\0')
    return;
  const char *target;
  if (pyoci_is_opaque_whiteout(e->path))
    return; /* an xattr on the directory */
  if (pyoci_is_whiteout(e->path, &target)) {
    /* overlay2 turns ".wh.x" into a 0/0 character device named x */
    cleanup_free char *p = NULL;
    size_t dirlen = (size_t)(target - e->path) - 4;
    p = xasprintf("%.*s%s", (int)dirlen, e->path, target);
    set_path(d, p, new_inode(d, 0));
    return;
  }
  const char *base = strrchr(e->path, '/');
  base = base ? base + 1 : e->path;
  if (strncmp(base, ".wh..wh.", 8) == 0)
    return; /* AUFS metadata: Docker skips it */
  pyoci_strmap_slot_t *found = pyoci_strmap_find(&d->paths, e->path);
  size_t *cur = found ? &found->val.num : NULL;
  switch (e->type) {
  case PYOCI_TAR_DIR:
    if (cur)
      *cur = NO_INODE; /* a directory has no size; a file it replaces goes */
    else
      set_path(d, e->path, NO_INODE);
    return;
  case PYOCI_TAR_FILE:
    remove_under(d, e->path);
    set_path(d, e->path, new_inode(d, e->size));
    return;
  case PYOCI_TAR_SYMLINK:
    remove_under(d, e->path);
    set_path(d, e->path, new_inode(d, e->link ? (int64_t)strlen(e->link) : 0));
    return;
  case PYOCI_TAR_HARDLINK: {
    pyoci_strmap_slot_t *ts = e->link ? pyoci_strmap_find(&d->paths, e->link) : NULL;
    size_t *t = ts ? &ts->val.num : NULL;
    remove_under(d, e->path);
    set_path(d, e->path, t && *t != NO_INODE ? *t : new_inode(d, 0));
    return;
  }
  default: /* devices, FIFOs: st_size 0 */
    remove_under(d, e->path);
    set_path(d, e->path, new_inode(d, 0));
    return;
  }
}

int64_t pyoci_dsize_total(const pyoci_dsize_t *d)
{
  if (d->n_inodes == 0)
    return 0;
  bool *seen = xcalloc(d->n_inodes, sizeof(bool));
  int64_t total = 0;
  pyoci_strmap_slot_t *s;
  for (size_t i = 0; (s = pyoci_strmap_next(&d->paths, &i)) != NULL;) {
    size_t ino = s->val.num;
    if (ino == NO_INODE || seen[ino])
      continue;
    seen[ino] = true;
    total += d->inode_size[ino];
  }
  free(seen);
  return total;
}

/* ---- cache ---- */

const pyoci_layer_cache_t pyoci_layer_size_cache = {.subdir = "cache/layersize"};

static char *cache_path(pyoci_store_t *s, const char *diff_id)
{
  if (!pyoci_digest_valid(diff_id))
    return NULL;
  char *p = NULL;
  p = xasprintf("%s/%s/%s", pyoci_store_path(s), pyoci_layer_size_cache.subdir, diff_id + 7);
  return p;
}

bool pyoci_layer_size_cache_get(pyoci_store_t *s, const char *diff_id, int64_t *size)
{
  cleanup_free char *p = cache_path(s, diff_id);
  cleanup_free char *buf = NULL;
  size_t len;
  pyoci_error_t *err = NULL;
  if (p == NULL || !pyoci_path_exists(p))
    return false;
  if (pyoci_read_file(p, 32, &buf, &len, &err) < 0) {
    pyoci_error_free(err);
    return false;
  }
  char *end;
  errno = 0;
  long long v = strtoll(buf, &end, 10);
  if (errno != 0 || end == buf || (*end != '\n' && *end != '\0') || v < 0)
    return false; /* damaged: recompute (and overwrite) */
  *size = v;
  return true;
}

void pyoci_layer_size_cache_put(pyoci_store_t *s, const char *diff_id, int64_t size)
{
  cleanup_free char *p = cache_path(s, diff_id);
  if (p == NULL)
    return;
  pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  dir = xasprintf("%s/%s", pyoci_store_path(s), pyoci_layer_size_cache.subdir);
  char buf[32];
  int n = snprintf(buf, sizeof(buf), "%lld\n", (long long)size);
  if (pyoci_mkdir_p(dir, 0755, &err) < 0 || pyoci_write_file_atomic(p, buf, (size_t)n, 0644, &err) < 0) {
    pyoci_log(PYOCI_LOG_DEBUG, "layer size cache: %s", err->msg);
    pyoci_error_free(err);
  }
}

int pyoci_layer_reader_open(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, int *fd,
                            pyoci_tar_reader_t **r, pyoci_error_t **err)
{
  int64_t blob_size;
  if (pyoci_store_open_blob(s, desc->digest, fd, &blob_size, err) < 0)
    return -1;
  return pyoci_tar_reader_open_verified(*fd, desc->digest, diff_id, r, err);
}

int pyoci_layer_unpacked_size(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, int64_t *size,
                              pyoci_error_t **err)
{
  if (pyoci_layer_size_cache_get(s, diff_id, size))
    return 0;
  cleanup_close int fd = -1;
  pyoci_tar_reader_t *r = NULL;
  /* An invalid diff_id has no cache entry to poison (cache_path). */
  if (pyoci_layer_reader_open(s, desc, pyoci_digest_valid(diff_id) ? diff_id : NULL, &fd, &r, err) < 0)
    return -1;
  pyoci_dsize_t *d = pyoci_dsize_new();
  pyoci_tar_entry_t e;
  int rc;
  while ((rc = pyoci_tar_reader_next(r, &e, err)) > 0)
    pyoci_dsize_add(d, &e);
  pyoci_tar_reader_free(r);
  if (rc == 0) {
    *size = pyoci_dsize_total(d);
    pyoci_layer_size_cache_put(s, diff_id, *size);
  }
  pyoci_dsize_free(d);
  return rc < 0 ? pyoci_error_prefix(err, "size of layer %s", desc->digest) : 0;
}

int pyoci_image_unpacked_size(pyoci_store_t *s, const pyoci_image_t *img, int64_t *size, pyoci_error_t **err)
{
  int64_t total = 0;
  for (size_t i = 0; i < img->n_layers; i++) {
    int64_t n;
    if (pyoci_layer_unpacked_size(s, &img->layers[i], img->diff_ids[i], &n, err) < 0)
      return -1;
    total += n;
  }
  *size = total;
  return 0;
}
