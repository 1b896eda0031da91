/* Garbage collection: delete every blob no index entry reaches, and stale
 * scratch files.  Runs under the exclusive .lock, so no other process is
 * between writing a blob and naming it in index.json while we decide what
 * is garbage. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/log.h"
#include "image.h"
#include "store_internal.h"

int pyoci_store_lock_exclusive(pyoci_store_t *s, pyoci_error_t **err)
{
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0)
    return 0;
  pyoci_log(PYOCI_LOG_INFO, "waiting for other pyoci processes to finish with the store");
  while (flock(s->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return pyoci_error_set(err, errno, "lock '%s/.lock'", s->path);
  return 0;
}

void pyoci_store_lock_shared(pyoci_store_t *s)
{
  while (flock(s->lock_fd, LOCK_SH) < 0 && errno == EINTR)
    ;
}

size_t pyoci_store_clean_tmp(pyoci_store_t *s)
{
  int fd = dup(s->tmp_fd);
  if (fd < 0)
    return 0;
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return 0;
  }
  rewinddir(d);
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || pyoci_store_tmp_claimed(s, de->d_name))
      continue;
    cleanup_error pyoci_error_t *err = NULL;
    if (pyoci_rm_rf_at(s->tmp_fd, de->d_name, &err) == 0)
      n++;
    else
      pyoci_log(PYOCI_LOG_WARN, "%s", err->msg);
  }
  return n;
}

void pyoci_doc_foreach_desc(const json_t *doc, pyoci_desc_fn fn, void *ctx)
{
  static const struct {
    const char *key;
    bool array, manifest;
  } fields[] = {
      {"config", false, false}, {"layers", true, false}, {"manifests", true, true},
      {"subject", false, true}, {"blobs", true, false},
  };
  char role[64];
  for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
    json_t *v = json_object_get(doc, fields[f].key);
    if (v == NULL)
      continue;
    size_t n = fields[f].array ? json_array_size(v) : 1;
    if (fields[f].array && !json_is_array(v)) {
      snprintf(role, sizeof(role), "%s", fields[f].key);
      fn(ctx, NULL, -1, fields[f].manifest, role);
      continue;
    }
    for (size_t i = 0; i < n; i++) {
      json_t *d = fields[f].array ? json_array_get(v, i) : v;
      if (fields[f].array)
        snprintf(role, sizeof(role), "%.*s %zu", (int)strlen(fields[f].key) - 1, fields[f].key, i + 1);
      else
        snprintf(role, sizeof(role), "%s", fields[f].key);
      const char *dg = pyoci_json_str(d, "digest");
      json_int_t size = pyoci_json_int(d, "size", -1);
      fn(ctx, pyoci_digest_valid(dg) && size >= 0 ? dg : NULL, size, fields[f].manifest, role);
    }
  }
}

struct mark_ctx {
  pyoci_store_t *s;
  pyoci_digest_set_t *set;
  int depth;
};

static void mark_manifest(pyoci_store_t *s, pyoci_digest_set_t *set, const char *digest, int depth);

static void mark_desc(void *vctx, const char *digest, int64_t size, bool is_manifest, const char *role)
{
  struct mark_ctx *c = vctx;
  if (digest == NULL)
    return;
  if (is_manifest)
    mark_manifest(c->s, c->set, digest, c->depth + 1);
  else if (!pyoci_digest_set_has(c->set, digest))
    pyoci_digest_set_add(c->set, digest);
}

static void mark_manifest(pyoci_store_t *s, pyoci_digest_set_t *set, const char *digest, int depth)
{
  if (pyoci_digest_set_has(set, digest))
    return;
  pyoci_digest_set_add(set, digest);
  if (depth > 8)
    return;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, &err) < 0) {
    if (err->code != PYOCI_E_NOT_FOUND)
      pyoci_log(PYOCI_LOG_WARN, "gc: %s", err->msg);
    return;
  }
  cleanup_json json_t *doc = pyoci_json_parse_object(buf, len, digest, &err);
  if (doc == NULL) {
    pyoci_log(PYOCI_LOG_WARN, "gc: manifest %s", err->msg);
    return;
  }
  struct mark_ctx c = {s, set, depth};
  pyoci_doc_foreach_desc(doc, mark_desc, &c);
}

int pyoci_store_gc(pyoci_store_t *s, uint64_t *freed_bytes, size_t *freed_blobs, pyoci_error_t **err)
{
  uint64_t bytes = 0;
  size_t blobs = 0;
  if (pyoci_store_lock_exclusive(s, err) < 0)
    return -1;
  int ret = -1;
  pyoci_digest_set_t set = {0};
  cleanup_dir DIR *dir = NULL;
  cleanup_json json_t *idx = pyoci_store_index_load(s, err);
  size_t i;
  if (idx == NULL) {
    pyoci_error_prefix(err, "gc: not deleting anything");
    goto out;
  }
  json_t *e;
  json_array_foreach(json_object_get(idx, "manifests"), i, e)
  {
    const char *d = pyoci_json_str(e, "digest");
    if (pyoci_digest_valid(d))
      mark_manifest(s, &set, d, 0);
  }

  int fd = dup(s->blobs_fd);
  dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    pyoci_error_set(err, errno, "gc: read '%s/blobs/sha256'", s->path);
    if (fd >= 0)
      close(fd);
    goto out;
  }
  rewinddir(dir);
  struct dirent *de;
  char digest[PYOCI_DIGEST_LEN + 256];
  while ((de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
    if (pyoci_digest_set_has(&set, digest))
      continue;
    struct stat st;
    if (fstatat(s->blobs_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
      continue;
    if (unlinkat(s->blobs_fd, de->d_name, 0) < 0) {
      pyoci_log(PYOCI_LOG_WARN, "gc: remove '%s/blobs/sha256/%s': %s", s->path, de->d_name, strerror(errno));
      continue;
    }
    bytes += (uint64_t)st.st_size;
    blobs++;
  }
  fsync(s->blobs_fd);
  pyoci_store_clean_tmp(s);
  ret = 0;
out:
  pyoci_digest_set_free(&set);
  pyoci_store_lock_shared(s);
  if (freed_bytes)
    *freed_bytes = bytes;
  if (freed_blobs)
    *freed_blobs = blobs;
  return ret;
}

int pyoci_store_prune(pyoci_store_t *s, size_t *removed_images, uint64_t *freed_bytes, pyoci_error_t **err)
{
  size_t removed = 0;
  if (pyoci_store_remove_untagged(s, &removed, err) < 0)
    return -1;
  if (removed_images)
    *removed_images = removed;
  return pyoci_store_gc(s, freed_bytes, NULL, err);
}
