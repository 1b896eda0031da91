/* Layer variants for exports (see variant.h). */
#include "variant.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "archive_int.h"
#include "store_int.h"

#define RECORD_MAX 128
#define GZIP_MAX_LEVEL 12 /* libdeflate */

const pyoci_layer_cache_t pyoci_variant_cache = {.subdir = "cache/variants"};

int pyoci_variant_spec_parse(const char *algo, const char *level, pyoci_variant_spec_t *out, pyoci_error_t **err)
{
  int max = 0;
  if (strcmp(algo, "gzip") == 0) {
    out->comp = PYOCI_COMP_GZIP;
    max = GZIP_MAX_LEVEL;
  } else if (strcmp(algo, "zstd") == 0) {
    out->comp = PYOCI_COMP_ZSTD;
    max = ZSTD_maxCLevel();
  } else if (strcmp(algo, "uncompressed") == 0) {
    out->comp = PYOCI_COMP_NONE;
  } else {
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "unknown compression '%s' (gzip, zstd or uncompressed)", algo);
  }
  out->level = 0;
  if (level == NULL)
    return 0;
  if (max == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "uncompressed layers take no compression level");
  char *end = NULL;
  errno = 0;
  long v = strtol(level, &end, 10);
  if (*level == '\0' || *end != '\0' || errno != 0 || v < 1 || v > max)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "compression level '%s': %s takes 1 to %d", level, algo,
                                max);
  out->level = (int)v;
  return 0;
}

const char *pyoci_variant_media_type(pyoci_comp_t comp)
{
  return comp == PYOCI_COMP_GZIP   ? PYOCI_MT_OCI_LAYER_GZIP
         : comp == PYOCI_COMP_ZSTD ? PYOCI_MT_OCI_LAYER_ZSTD
                                   : PYOCI_MT_OCI_LAYER;
}

/* "gzip-6", "zstd-3", "uncompressed": the level is the one really used, so
 * asking for the default and for its number share a variant. */
static void record_name(const pyoci_variant_spec_t *spec, char *buf, size_t n)
{
  if (spec->comp == PYOCI_COMP_NONE) {
    snprintf(buf, n, "uncompressed");
    return;
  }
  int level = spec->level > 0 ? spec->level : spec->comp == PYOCI_COMP_GZIP ? 6 : 3;
  snprintf(buf, n, "%s-%d", spec->comp == PYOCI_COMP_GZIP ? "gzip" : "zstd", level);
}

/* The digest a record names, or false when it is missing or unreadable. */
static bool read_record_at(int dirfd, const char *name, char digest[PYOCI_DIGEST_LEN])
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_read_file_at(dirfd, name, RECORD_MAX, &buf, &len, &err) < 0)
    return false;
  buf[strcspn(buf, "\n")] = '\0';
  if (!pyoci_digest_valid(buf))
    return false;
  snprintf(digest, PYOCI_DIGEST_LEN, "%s", buf);
  return true;
}

static int fill_desc(pyoci_desc_t *out, const char *digest, int64_t size, pyoci_comp_t comp, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  snprintf(out->digest, sizeof(out->digest), "%s", digest);
  out->size = size;
  out->media_type = xstrdup(pyoci_variant_media_type(comp));
  return out->media_type ? 0 : pyoci_error_set(err, ENOMEM, "layer %s", digest);
}

/* A recorded variant whose blob is still there. */
static bool lookup(pyoci_store_t *s, const char *dir, const char *name, pyoci_comp_t comp, pyoci_desc_t *out)
{
  char digest[PYOCI_DIGEST_LEN];
  cleanup_close int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || !read_record_at(dfd, name, digest))
    return false;
  cleanup_close int fd = -1;
  int64_t size = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open_blob(s, digest, &fd, &size, &err) < 0)
    return false;
  return fill_desc(out, digest, size, comp, &err) == 0;
}

/* Best effort: without the record the next export compresses again. */
static void record_put(const char *dir, const char *name, const char *digest)
{
  cleanup_free char *path = pyoci_path_join(dir, name);
  char line[PYOCI_DIGEST_LEN + 1];
  snprintf(line, sizeof(line), "%s\n", digest);
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_mkdir_p(dir, 0755, &err) < 0 || pyoci_write_file_atomic(path, line, strlen(line), 0644, &err) < 0)
    pyoci_log(PYOCI_LOG_WARN, "layer variant record: %s", err->msg);
}

static int compressor_sink(void *c, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_compressor_write(c, buf, len, err);
}

/* Stream the layer uncompressed (checking it against diff_id) through the
 * compressor, if any, into a new blob. */
static int make(pyoci_store_t *s, const pyoci_desc_t *layer, int stored, const char *diff_id,
                const pyoci_variant_spec_t *spec, char digest[PYOCI_DIGEST_LEN], int64_t *size, pyoci_error_t **err)
{
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  pyoci_compressor_t *c = NULL;
  if (spec->comp != PYOCI_COMP_NONE &&
      (c = pyoci_compressor_new(spec->comp, spec->level, 0, pyoci_blob_writer_sink, w)) == NULL) {
    pyoci_blob_writer_abort(w);
    return pyoci_error_set(err, ENOMEM, "cannot start the compressor");
  }
  char got[PYOCI_DIGEST_LEN];
  int64_t usize = 0;
  int rc = pyoci_blob_stream_uncompressed(s, layer->digest, stored, c ? compressor_sink : pyoci_blob_writer_sink,
                                          c ? (void *)c : (void *)w, got, &usize, err);
  if (rc == 0 && strcmp(got, diff_id) != 0)
    rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "content hashes to %s, not to its diff_id %s", got,
                              diff_id);
  if (rc == 0 && c != NULL) {
    rc = pyoci_compressor_finish(c, err);
    c = NULL;
  }
  if (rc < 0) {
    pyoci_compressor_free(c);
    pyoci_blob_writer_abort(w);
    return -1;
  }
  /* Uncompressed, the blob is the layer: its digest must be the diff_id. */
  return pyoci_blob_writer_commit(w, spec->comp == PYOCI_COMP_NONE ? diff_id : NULL, digest, size, err);
}

int pyoci_variant_get(pyoci_store_t *s, const pyoci_desc_t *layer, const char *diff_id,
                      const pyoci_variant_spec_t *spec, pyoci_desc_t *out, pyoci_variant_origin_t *origin,
                      pyoci_error_t **err)
{
  int stored = pyoci_layer_media_compression(layer->media_type);
  if (stored < 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "layer %s: unsupported media type '%s'", layer->digest,
                                layer->media_type);
  if (!pyoci_digest_valid(diff_id))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "layer %s: invalid diff_id '%s'", layer->digest, diff_id);
  if ((pyoci_comp_t)stored == spec->comp) {
    *origin = PYOCI_VARIANT_STORED;
    return fill_desc(out, layer->digest, layer->size, spec->comp, err);
  }
  char name[32];
  record_name(spec, name, sizeof(name));
  cleanup_free char *top = pyoci_path_join(pyoci_store_path(s), pyoci_variant_cache.subdir);
  cleanup_free char *dir = pyoci_path_join(top, diff_id + 7);
  if (lookup(s, dir, name, spec->comp, out)) {
    *origin = PYOCI_VARIANT_CACHED;
    return 0;
  }
  char digest[PYOCI_DIGEST_LEN];
  int64_t size = 0;
  if (make(s, layer, stored, diff_id, spec, digest, &size, err) < 0)
    return pyoci_error_prefix(err, "layer %s to %s", layer->digest, name);
  record_put(dir, name, digest);
  *origin = PYOCI_VARIANT_MADE;
  return fill_desc(out, digest, size, spec->comp, err);
}

/* ---- for gc and fsck (store_int.h) ---- */

/* "sha256:<name>" into digest when name is a digest's hex. */
static bool hex_name(const char *name, char digest[PYOCI_DIGEST_LEN])
{
  size_t n = strlen(name);
  if (n != PYOCI_DIGEST_LEN - 8)
    return false;
  memcpy(digest, "sha256:", 7);
  memcpy(digest + 7, name, n + 1);
  return pyoci_digest_valid(digest);
}

/* parent/name as a DIR (not following a symlink), or NULL. */
static DIR *opendir_at(int parent_fd, const char *name)
{
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL && fd >= 0)
    close(fd);
  return d;
}

static void mark_layer_dir(pyoci_store_t *s, int top_fd, const char *hex, pyoci_digest_set_t *keep)
{
  cleanup_dir DIR *d = opendir_at(top_fd, hex);
  if (d == NULL)
    return;
  struct dirent *de;
  char digest[PYOCI_DIGEST_LEN];
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.' && read_record_at(dirfd(d), de->d_name, digest) && pyoci_store_has_blob(s, digest) &&
        !pyoci_digest_set_has(keep, digest))
      pyoci_digest_set_add(keep, digest);
}

void pyoci_variant_mark_blobs(pyoci_store_t *s, pyoci_digest_set_t *live_diff_ids, pyoci_digest_set_t *keep)
{
  cleanup_dir DIR *d = opendir_at(s->dir_fd, pyoci_variant_cache.subdir);
  if (d == NULL)
    return;
  struct dirent *de;
  char digest[PYOCI_DIGEST_LEN];
  while ((de = readdir(d)) != NULL) {
    if (hex_name(de->d_name, digest) && pyoci_digest_set_has(live_diff_ids, digest))
      mark_layer_dir(s, dirfd(d), de->d_name, keep);
  }
}
