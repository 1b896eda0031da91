#include "cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"

#define CACHE_DIR "cache/build"
#define CACHE_RECORD_MAX (64u << 10)

void pyoci_cache_key(const char *parent_key, const char *text, const char *extra, char out[PYOCI_DIGEST_LEN])
{
  pyoci_sha256_t *h = pyoci_sha256_new();
  const char *parts[] = {parent_key ? parent_key : "", text ? text : "", extra ? extra : ""};
  for (size_t i = 0; i < 3; i++) {
    pyoci_sha256_update(h, parts[i], strlen(parts[i]));
    pyoci_sha256_update(h, "\n", 1);
  }
  pyoci_sha256_final(h, out);
}

static char *record_path(pyoci_store_t *s, const char *key)
{
  cleanup_free char *dir = pyoci_path_join(pyoci_store_path(s), CACHE_DIR);
  strbuf_t p = STRBUF_INIT;
  strbuf_addf(&p, "%s/%s.json", dir, key + 7);
  return strbuf_detach(&p);
}

/* Whether a record can give a hit, and its layer fields when it has a
 * layer.  A record whose blob gc removed is a miss for ever. */
static bool record_hit(pyoci_store_t *s, const json_t *rec, bool *has_layer, const char **mt, const char **dg,
                       const char **di)
{
  *has_layer = json_is_true(json_object_get(rec, "layer"));
  if (!*has_layer)
    return true;
  *mt = pyoci_json_str(rec, "mediaType");
  *dg = pyoci_json_str(rec, "digest");
  *di = pyoci_json_str(rec, "diff_id");
  return *mt && pyoci_digest_valid(*dg) && pyoci_digest_valid(*di) && pyoci_store_has_blob(s, *dg);
}

int pyoci_cache_get(pyoci_store_t *s, const char *key, bool *has_layer, pyoci_desc_t *desc,
                    char diff_id[PYOCI_DIGEST_LEN], char created[PYOCI_TIME_LEN], pyoci_error_t **err)
{
  cleanup_free char *path = record_path(s, key);
  if (!pyoci_path_exists(path))
    return 0;
  pyoci_error_t *local = NULL;
  cleanup_json json_t *rec = pyoci_json_load_file(path, CACHE_RECORD_MAX, &local);
  if (rec == NULL) {
    /* A damaged record is just a miss; the step runs again and rewrites it. */
    pyoci_error_free(local);
    return 0;
  }
  const char *mt = NULL, *dg = NULL, *di = NULL;
  if (!record_hit(s, rec, has_layer, &mt, &dg, &di))
    return 0;
  const char *when = pyoci_json_str(rec, "created");
  snprintf(created, PYOCI_TIME_LEN, "%s", when && strlen(when) < PYOCI_TIME_LEN ? when : "");
  if (!*has_layer)
    return 1;
  desc->media_type = xstrdup(mt);
  memcpy(desc->digest, dg, PYOCI_DIGEST_LEN);
  desc->size = pyoci_json_int(rec, "size", 0);
  memcpy(diff_id, di, PYOCI_DIGEST_LEN);
  (void)err;
  return 1;
}

int pyoci_cache_put(pyoci_store_t *s, const char *key, bool has_layer, const pyoci_desc_t *desc,
                    const char *diff_id, const char *created, pyoci_error_t **err)
{
  cleanup_free char *dir = pyoci_path_join(pyoci_store_path(s), CACHE_DIR);
  if (pyoci_mkdir_p(dir, 0700, err) < 0)
    return -1;
  cleanup_json json_t *rec = json_pack("{s:b, s:s}", "layer", has_layer, "created", created);
  if (has_layer) {
    json_object_set_new(rec, "mediaType", json_string(desc->media_type));
    json_object_set_new(rec, "digest", json_string(desc->digest));
    json_object_set_new(rec, "size", json_integer(desc->size));
    json_object_set_new(rec, "diff_id", json_string(diff_id));
  }
  cleanup_free char *text = pyoci_json_dump_canonical(rec);
  cleanup_free char *path = record_path(s, key);
  return pyoci_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* ---- prune ---- */

/* "<key hex>.json"; anything else is a leftover of an interrupted write. */
static bool is_record_name(const char *name)
{
  char digest[PYOCI_DIGEST_LEN];
  size_t n = strlen(name);
  if (n != PYOCI_DIGEST_LEN - 8 + 5 || strcmp(name + n - 5, ".json") != 0)
    return false;
  snprintf(digest, sizeof(digest), "sha256:%.*s", (int)(n - 5), name);
  return pyoci_digest_valid(digest);
}

static bool record_is_dead(pyoci_store_t *s, const char *dir, const char *name)
{
  if (!is_record_name(name))
    return true;
  cleanup_free char *path = pyoci_path_join(dir, name);
  cleanup_error pyoci_error_t *ignored = NULL;
  cleanup_json json_t *rec = pyoci_json_load_file(path, CACHE_RECORD_MAX, &ignored);
  bool has_layer;
  const char *mt, *dg, *di;
  return rec == NULL || !record_hit(s, rec, &has_layer, &mt, &dg, &di);
}

int pyoci_cache_prune(pyoci_store_t *s, pyoci_cache_freed_t *freed, pyoci_error_t **err)
{
  cleanup_free char *dir = pyoci_path_join(pyoci_store_path(s), CACHE_DIR);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_dir DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (d == NULL) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    return e == ENOENT ? 0 : pyoci_error_set(err, e, "open '%s'", dir);
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || !record_is_dead(s, dir, de->d_name))
      continue;
    cleanup_error pyoci_error_t *e = NULL;
    if (pyoci_cache_entry_remove_at(dirfd(d), de->d_name, freed, &e) < 0)
      pyoci_log(PYOCI_LOG_WARN, "prune: %s/%s: %s", dir, de->d_name, e->msg);
  }
  return 0;
}
