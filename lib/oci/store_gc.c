/* Garbage collection: delete every blob no index entry reaches, and stale
 * scratch files.  Runs under the exclusive .lock, so no other process is
 * between writing a blob and naming it in index.json while we decide what
 * is garbage. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "image.h"
#include "store_cache.h"
#include "store_int.h"

int pyoci_store_lock_exclusive(pyoci_store_t *s, pyoci_error_t **err)
{
  if (s->read_only)
    return pyoci_error_set(err, EROFS, "store '%s' cannot be changed", s->path);
  if (flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0) {
    s->exclusive = true;
    return 0;
  }
  pyoci_log(PYOCI_LOG_INFO, "waiting for other pyoci processes to finish with the store");
  while (flock(s->lock_fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return pyoci_error_set(err, errno, "lock '%s/.lock'", s->path);
  s->exclusive = true;
  return 0;
}

void pyoci_store_lock_shared(pyoci_store_t *s)
{
  while (s->lock_fd >= 0 && flock(s->lock_fd, LOCK_SH) < 0 && errno == EINTR)
    ;
  s->exclusive = false;
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

/* The pid in "<prefix>-<pid>-<rest>" (first "-digits-"), or 0. */
static long name_pid(const char *name)
{
  for (const char *p = strchr(name, '-'); p; p = strchr(p + 1, '-')) {
    char *end = NULL;
    long pid = strtol(p + 1, &end, 10);
    if (end != p + 1 && *end == '-' && pid > 0 && p[1] >= '0' && p[1] <= '9')
      return pid;
  }
  return 0;
}

void pyoci_store_sweep_dead(pyoci_store_t *s)
{
  int fd = dup(s->tmp_fd);
  cleanup_dir DIR *d = fd < 0 ? NULL : fdopendir(fd);
  if (d == NULL) {
    if (fd >= 0)
      close(fd);
    return;
  }
  rewinddir(d);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    long pid = name_pid(de->d_name);
    if (pid <= 0 || pid == (long)getpid() || pyoci_store_tmp_claimed(s, de->d_name))
      continue;
    if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
      continue; /* alive (or not ours to ask): in use */
    cleanup_error pyoci_error_t *err = NULL;
    if (pyoci_rm_rf_at(s->tmp_fd, de->d_name, &err) < 0 && err->errno_value != EROFS &&
        err->errno_value != EACCES && err->errno_value != EPERM)
      pyoci_log(PYOCI_LOG_WARN, "remove a killed process's leftover '%s/tmp/%s': %s", s->path, de->d_name,
                err->msg);
  }
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

/* What a mark walk fills: every blob the index reaches and, when diff_ids
 * is set, every layer diff_id an image config names (for the caches keyed
 * by diff_id, see store_cache.c). */
struct mark_ctx {
  pyoci_store_t *s;
  pyoci_digest_set_t *set;
  pyoci_digest_set_t *diff_ids;
  int depth;
};

static void mark_manifest(const struct mark_ctx *c, const char *digest);

/* rootfs.diff_ids of an image config.  A config that is not an image's
 * (an artifact's) names none; one we cannot read leaves its layers' cache
 * entries unprotected, which costs only a recomputation. */
static void mark_diff_ids(const struct mark_ctx *c, const char *config_digest)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_read_blob(c->s, config_digest, PYOCI_MAX_CONFIG_SIZE, &buf, &len, &err) < 0) {
    pyoci_log(PYOCI_LOG_DEBUG, "gc: config %s", err->msg);
    return;
  }
  cleanup_json json_t *cfg = pyoci_json_parse_object(buf, len, config_digest, &err);
  json_t *ids = cfg ? json_object_get(json_object_get(cfg, "rootfs"), "diff_ids") : NULL;
  size_t i;
  json_t *id;
  json_array_foreach(ids, i, id)
  {
    const char *d = json_string_value(id);
    if (pyoci_digest_valid(d) && !pyoci_digest_set_has(c->diff_ids, d))
      pyoci_digest_set_add(c->diff_ids, d);
  }
}

static void mark_desc(void *vctx, const char *digest, int64_t size, bool is_manifest, const char *role)
{
  const struct mark_ctx *c = vctx;
  (void)size;
  if (digest == NULL)
    return;
  if (is_manifest) {
    mark_manifest(c, digest);
    return;
  }
  if (pyoci_digest_set_has(c->set, digest))
    return;
  pyoci_digest_set_add(c->set, digest);
  if (c->diff_ids != NULL && strcmp(role, "config") == 0)
    mark_diff_ids(c, digest);
}

static void mark_manifest(const struct mark_ctx *parent, const char *digest)
{
  if (pyoci_digest_set_has(parent->set, digest))
    return;
  pyoci_digest_set_add(parent->set, digest);
  if (parent->depth >= 8)
    return;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_read_blob(parent->s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, &err) < 0) {
    if (err->code != PYOCI_E_NOT_FOUND)
      pyoci_log(PYOCI_LOG_WARN, "gc: %s", err->msg);
    return;
  }
  cleanup_json json_t *doc = pyoci_json_parse_object(buf, len, digest, &err);
  if (doc == NULL) {
    pyoci_log(PYOCI_LOG_WARN, "gc: manifest %s", err->msg);
    return;
  }
  struct mark_ctx c = *parent;
  c.depth++;
  pyoci_doc_foreach_desc(doc, mark_desc, &c);
}

static void mark_index_json(pyoci_store_t *s, const json_t *idx, pyoci_digest_set_t *set,
                            pyoci_digest_set_t *diff_ids)
{
  struct mark_ctx top = {s, set, diff_ids, -1};
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(idx, "manifests"), i, e)
  {
    const char *d = pyoci_json_str(e, "digest");
    if (pyoci_digest_valid(d))
      mark_manifest(&top, d);
  }
}

static int mark_index(pyoci_store_t *s, pyoci_digest_set_t *set, pyoci_digest_set_t *diff_ids, pyoci_error_t **err)
{
  cleanup_json json_t *idx = pyoci_store_index_load(s, err);
  if (idx == NULL)
    return pyoci_error_prefix(err, "gc: not deleting anything");
  mark_index_json(s, idx, set, diff_ids);
  return 0;
}

static int sweep_blobs(pyoci_store_t *s, pyoci_digest_set_t *set, uint64_t *bytes, size_t *blobs,
                       pyoci_error_t **err)
{
  int fd = dup(s->blobs_fd);
  cleanup_dir DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return pyoci_error_set(err, e, "gc: read '%s/blobs/sha256'", s->path);
  }
  rewinddir(dir);
  struct dirent *de;
  char digest[PYOCI_DIGEST_LEN + 256];
  while ((de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
    if (pyoci_digest_set_has(set, digest))
      continue;
    struct stat st;
    if (fstatat(s->blobs_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
      continue;
    if (unlinkat(s->blobs_fd, de->d_name, 0) < 0) {
      pyoci_log(PYOCI_LOG_WARN, "gc: remove '%s/blobs/sha256/%s': %s", s->path, de->d_name, strerror(errno));
      continue;
    }
    *bytes += (uint64_t)st.st_size;
    (*blobs)++;
  }
  fsync(s->blobs_fd);
  return 0;
}

int pyoci_store_gc_locked(pyoci_store_t *s, pyoci_digest_set_t *diff_ids, uint64_t *freed_bytes,
                          size_t *freed_blobs, pyoci_error_t **err)
{
  *freed_bytes = 0;
  *freed_blobs = 0;
  pyoci_digest_set_t set = {0};
  /* Layer variants made for exports are named by no manifest: the diff_ids
   * of the remaining images say which of them to keep. */
  pyoci_digest_set_t own_diff_ids = {0};
  if (diff_ids == NULL)
    diff_ids = &own_diff_ids;
  int ret = mark_index(s, &set, diff_ids, err);
  if (ret == 0) {
    pyoci_variant_mark_blobs(s, diff_ids, &set);
    ret = sweep_blobs(s, &set, freed_bytes, freed_blobs, err);
  }
  pyoci_digest_set_free(&own_diff_ids);
  pyoci_digest_set_free(&set);
  if (ret == 0)
    pyoci_store_clean_tmp(s);
  return ret;
}

/* The order is what makes it safe to die half-way: the manifests of the
 * entries new_idx drops go first, so the old index.json (still on disk)
 * can only name a missing manifest -- an entry fsck --repair drops and rmi
 * removes again -- never an image that lost a layer or its config. */
int pyoci_store_gc_for_index(pyoci_store_t *s, const json_t *old_idx, const json_t *new_idx, uint64_t *freed_bytes,
                             pyoci_error_t **err)
{
  pyoci_digest_set_t keep = {0}, diff_ids = {0};
  mark_index_json(s, new_idx, &keep, &diff_ids);
  pyoci_variant_mark_blobs(s, &diff_ids, &keep);
  uint64_t bytes = 0;
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(old_idx, "manifests"), i, e)
  {
    const char *d = pyoci_json_str(e, "digest");
    struct stat st;
    if (!pyoci_digest_valid(d) || pyoci_digest_set_has(&keep, d) ||
        fstatat(s->blobs_fd, d + 7, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
      continue;
    if (unlinkat(s->blobs_fd, d + 7, 0) == 0)
      bytes += (uint64_t)st.st_size;
  }
  fsync(s->blobs_fd);
  size_t blobs = 0;
  int ret = sweep_blobs(s, &keep, &bytes, &blobs, err);
  if (ret == 0)
    pyoci_store_clean_tmp(s);
  pyoci_digest_set_free(&keep);
  pyoci_digest_set_free(&diff_ids);
  if (freed_bytes != NULL)
    *freed_bytes = bytes;
  return ret;
}

int pyoci_store_gc(pyoci_store_t *s, uint64_t *freed_bytes, size_t *freed_blobs, pyoci_error_t **err)
{
  uint64_t bytes = 0;
  size_t blobs = 0;
  if (pyoci_store_lock_exclusive(s, err) < 0)
    return -1;
  int ret = pyoci_store_gc_locked(s, NULL, &bytes, &blobs, err);
  pyoci_store_lock_shared(s);
  if (freed_bytes)
    *freed_bytes = bytes;
  if (freed_blobs)
    *freed_blobs = blobs;
  return ret;
}

int pyoci_store_prune(pyoci_store_t *s, size_t *removed_images, uint64_t *freed_bytes, pyoci_error_t **err)
{
  pyoci_prune_stats_t st;
  int rc = pyoci_store_prune_all(s, NULL, &st, err);
  if (removed_images)
    *removed_images = st.images;
  if (freed_bytes)
    *freed_bytes = st.blob_bytes;
  return rc;
}
