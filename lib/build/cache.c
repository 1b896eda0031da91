#include "cache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/cleanup.h"
#include "../util/fs.h"
#include "../util/json.h"
#include "../util/strbuf.h"

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
  cleanup_free char *dir = pyoci_path_join(pyoci_store_path(s), "cache/build");
  strbuf_t p = STRBUF_INIT;
  strbuf_addf(&p, "%s/%s.json", dir, key + 7);
  return strbuf_detach(&p);
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
  *has_layer = json_is_true(json_object_get(rec, "layer"));
  const char *when = pyoci_json_str(rec, "created");
  snprintf(created, PYOCI_TIME_LEN, "%s", when && strlen(when) < PYOCI_TIME_LEN ? when : "");
  if (!*has_layer)
    return 1;
  const char *mt = pyoci_json_str(rec, "mediaType");
  const char *dg = pyoci_json_str(rec, "digest");
  const char *di = pyoci_json_str(rec, "diff_id");
  if (!mt || !pyoci_digest_valid(dg) || !pyoci_digest_valid(di) || !pyoci_store_has_blob(s, dg))
    return 0;
  desc->media_type = strdup(mt);
  memcpy(desc->digest, dg, PYOCI_DIGEST_LEN);
  desc->size = pyoci_json_int(rec, "size", 0);
  memcpy(diff_id, di, PYOCI_DIGEST_LEN);
  (void)err;
  return 1;
}

int pyoci_cache_put(pyoci_store_t *s, const char *key, bool has_layer, const pyoci_desc_t *desc,
                    const char *diff_id, const char *created, pyoci_error_t **err)
{
  cleanup_free char *dir = pyoci_path_join(pyoci_store_path(s), "cache/build");
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
