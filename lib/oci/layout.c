/* oci:DIR[:REF] — OCI image layout directories in and out of the store. */
#include "layout.h"

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
#include "lib/util/fdcopy.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "archive.h"
#include "archive_int.h"
#include "image.h"
#include "ref.h"

#define LAYOUT_MAX_DEPTH 3
#define LAYOUT_MAX_BLOBS 4096

/* Every digest a manifest or index refers to (config, layers, manifests). */
static int children(const char *buf, size_t len, const char *what, char (**out)[PYOCI_DIGEST_LEN], size_t *n,
                    bool *is_index, pyoci_error_t **err)
{
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, what, err);
  if (j == NULL)
    return -1;
  json_t *m = json_object_get(j, "manifests");
  *is_index = json_is_array(m);
  json_t *lists[2] = {*is_index ? m : json_object_get(j, "layers"), NULL};
  json_t *cfg = json_object_get(j, "config");
  size_t total = json_array_size(lists[0]) + (cfg ? 1 : 0);
  if (total > PYOCI_MAX_LAYERS + 1 && total > 1024)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %zu descriptors is over the limit", what, total);
  *out = xcalloc(total + 1, PYOCI_DIGEST_LEN);
  *n = 0;
  for (size_t i = 0; i <= json_array_size(lists[0]); i++) {
    const json_t *d = i < json_array_size(lists[0]) ? json_array_get(lists[0], i) : cfg;
    if (d == NULL)
      continue;
    const char *dg = pyoci_json_str(d, "digest");
    if (dg == NULL || !pyoci_digest_valid(dg))
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: a descriptor has no valid sha256 digest", what);
    memcpy((*out)[(*n)++], dg, PYOCI_DIGEST_LEN);
  }
  return 0;
}

/* Visit a manifest or index and everything under it with fn: before
 * reading it (pre: import, it must enter the store first) or after what it
 * names (export: a manifest never lands before its blobs). */
typedef int (*blob_fn)(pyoci_store_t *s, int blobs_fd, const char *dir, const char *digest, pyoci_error_t **err);

static int walk_tree(pyoci_store_t *s, int blobs_fd, const char *dir, const char *digest, int depth, blob_fn fn,
                     bool pre, pyoci_error_t **err)
{
  if (depth > LAYOUT_MAX_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': indexes nested too deep", dir);
  if (pre && fn(s, blobs_fd, dir, digest, err) < 0)
    return -1;
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return -1;
  cleanup_free char(*kids)[PYOCI_DIGEST_LEN] = NULL;
  size_t n = 0;
  bool is_index = false;
  if (children(buf, len, digest, &kids, &n, &is_index, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    int rc = is_index ? walk_tree(s, blobs_fd, dir, kids[i], depth + 1, fn, pre, err)
                      : fn(s, blobs_fd, dir, kids[i], err);
    if (rc < 0)
      return -1;
  }
  return pre ? 0 : fn(s, blobs_fd, dir, digest, err);
}

/* ---- import ---- */

static int import_blob(pyoci_store_t *s, int blobs_fd, const char *dir, const char *digest, pyoci_error_t **err)
{
  if (pyoci_store_has_blob(s, digest))
    return 0;
  cleanup_close int fd = openat(blobs_fd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "'%s': blob %s", dir, digest);
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  char buf[1 << 16];
  ssize_t got;
  while ((got = read(fd, buf, sizeof(buf))) > 0)
    if (pyoci_blob_writer_write(w, buf, (size_t)got, err) < 0) {
      pyoci_blob_writer_abort(w);
      return -1;
    }
  if (got < 0) {
    pyoci_blob_writer_abort(w);
    return pyoci_error_set(err, errno, "read '%s' blob %s", dir, digest);
  }
  if (pyoci_blob_writer_commit(w, digest, NULL, NULL, err) < 0)
    return pyoci_error_prefix(err, "'%s'", dir);
  return 0;
}

/* The diff_ids of a manifest's config, read from DIR for the door check;
 * NULL when there is none to read (an artifact, a config the import walk
 * will refuse anyway): the layers are then checked for entries only. */
static char (*config_diff_ids(int blobs_fd, const char *dir, const json_t *manifest, size_t *n))[PYOCI_DIGEST_LEN]
{
  const char *dg = pyoci_json_str(json_object_get(manifest, "config"), "digest");
  *n = 0;
  if (dg == NULL || !pyoci_digest_valid(dg))
    return NULL;
  cleanup_close int fd = openat(blobs_fd, dg + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  char(*ids)[PYOCI_DIGEST_LEN] = NULL;
  pyoci_error_t *ignored = NULL;
  if (fd < 0 || pyoci_read_fd(fd, dg, PYOCI_MAX_CONFIG_SIZE, &buf, &len, &ignored) < 0 ||
      pyoci_config_parse_diff_ids(buf, len, dir, dg, &ids, n, &ignored) < 0)
    ids = NULL;
  pyoci_error_free(ignored);
  return ids;
}

/* Before anything enters the store: every image layer DIR's manifest (or
 * index) names passes the entry check load and pull apply, read from DIR,
 * and is held against its config's diff_id, so a layer with "../" or
 * absolute names, or one that is not what the config says, is refused at
 * the door and leaves nothing in the store.  Malformed descriptors are
 * left to the import walk, which refuses them. */
static int check_layers(int blobs_fd, const char *dir, const char *digest, int depth, pyoci_error_t **err)
{
  if (depth > LAYOUT_MAX_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': indexes nested too deep", dir);
  cleanup_close int fd = openat(blobs_fd, digest + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "'%s': blob %s", dir, digest);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_fd(fd, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "'%s'", dir);
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, digest, err);
  if (j == NULL)
    return pyoci_error_prefix(err, "'%s'", dir);
  json_t *manifests = json_object_get(j, "manifests");
  json_t *list = json_is_array(manifests) ? manifests : json_object_get(j, "layers");
  size_t n_ids = 0, k = 0;
  cleanup_free char(*ids)[PYOCI_DIGEST_LEN] = json_is_array(manifests) ? NULL : config_diff_ids(blobs_fd, dir, j, &n_ids);
  size_t i;
  json_t *d;
  json_array_foreach(list, i, d) {
    const char *dg = pyoci_json_str(d, "digest");
    if (dg == NULL || !pyoci_digest_valid(dg))
      continue;
    if (json_is_array(manifests)) {
      if (check_layers(blobs_fd, dir, dg, depth + 1, err) < 0)
        return -1;
      continue;
    }
    const char *mt = pyoci_json_str(d, "mediaType");
    if (!pyoci_media_type_is_image_layer(mt))
      continue;
    const char *id = k < n_ids ? pyoci_layer_diff_id_to_check(mt, dg, ids[k]) : NULL;
    k++;
    cleanup_close int lfd = openat(blobs_fd, dg + 7, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (lfd < 0)
      return pyoci_error_set(err, errno, "'%s': blob %s", dir, dg);
    if (pyoci_layer_validate(lfd, dg, id, err) < 0)
      return pyoci_error_prefix(err, "'%s': layer refused", dir);
  }
  return 0;
}

static int pick_entry(const char *dir, const char *ref, const pyoci_oci_index_entry_t *e, size_t n, size_t *which,
                      pyoci_error_t **err)
{
  cleanup_free char *norm = ref ? pyoci_ref_normalize(ref, NULL) : NULL;
  for (size_t i = 0; i < n && ref; i++)
    if ((e[i].bare_tag && strcmp(e[i].bare_tag, ref) == 0) || (e[i].name && norm && strcmp(e[i].name, norm) == 0)) {
      *which = i;
      return 0;
    }
  if (ref == NULL && n == 1) {
    *which = 0;
    return 0;
  }
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "'%s': %s", dir,
                              ref ? "no image with that reference" : "holds several images: name one (oci:DIR:REF)");
}

int pyoci_layout_import(pyoci_store_t *s, const char *dir, const char *ref, char digest[PYOCI_DIGEST_LEN],
                        pyoci_error_t **err)
{
  cleanup_free char *index_path = pyoci_path_join(dir, "index.json");
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(index_path, PYOCI_ARCHIVE_MAX_JSON, &buf, &len, err) < 0)
    return -1;
  pyoci_oci_index_entry_t *e = NULL;
  size_t n = 0, which = 0;
  if (pyoci_oci_index_parse(buf, len, dir, &e, &n, err) < 0)
    return -1;
  int rc = pick_entry(dir, ref, e, n, &which, err);
  if (rc == 0)
    memcpy(digest, e[which].digest, PYOCI_DIGEST_LEN);
  cleanup_free char *media_type = rc == 0 && e[which].media_type ? xstrdup(e[which].media_type) : NULL;
  pyoci_oci_index_free(e, n);
  if (rc < 0)
    return -1;
  cleanup_free char *blobs = pyoci_path_join(dir, "blobs/sha256");
  cleanup_close int blobs_fd = open(blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (blobs_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", blobs);
  if (check_layers(blobs_fd, dir, digest, 0, err) < 0 ||
      walk_tree(s, blobs_fd, dir, digest, 0, import_blob, true, err) < 0)
    return -1;
  return pyoci_store_add_image(s, digest, media_type, -1, NULL, err);
}

/* ---- export ---- */

static int export_blob(pyoci_store_t *s, int blobs_fd, const char *dir, const char *digest, pyoci_error_t **err)
{
  struct stat st;
  if (fstatat(blobs_fd, digest + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
    return 0;
  cleanup_close int in = -1;
  int64_t size = 0;
  if (pyoci_store_open_blob(s, digest, &in, &size, err) < 0)
    return -1;
  char tmp[96];
  snprintf(tmp, sizeof(tmp), ".tmp-%s-%d", digest + 7, (int)getpid());
  cleanup_close int out = openat(blobs_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0)
    return pyoci_error_set(err, errno, "create a blob in '%s'", dir);
  if (pyoci_copy_fd(in, out, digest, err) < 0 || fsync(out) < 0 || renameat(blobs_fd, tmp, blobs_fd, digest + 7) < 0) {
    if (err && *err == NULL)
      pyoci_error_set(err, errno, "write blob %s into '%s'", digest, dir);
    unlinkat(blobs_fd, tmp, 0);
    return -1;
  }
  return 0;
}

static int export_index(pyoci_store_t *s, const char *digest, const char *dir, const char *ref, pyoci_error_t **err)
{
  cleanup_free char *path = pyoci_path_join(dir, "index.json");
  cleanup_json json_t *idx = pyoci_path_exists(path) ? pyoci_json_load_file(path, PYOCI_ARCHIVE_MAX_JSON, err)
                                                     : json_pack("{s:i, s:[]}", "schemaVersion", 2, "manifests");
  json_t *list = idx ? json_object_get(idx, "manifests") : NULL;
  if (!json_is_array(list))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': not an OCI index", path);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return -1;
  cleanup_json json_t *m = pyoci_json_parse_object(buf, len, digest, err);
  const char *mt = m ? pyoci_json_str(m, "mediaType") : NULL;
  for (size_t i = json_array_size(list); ref && i-- > 0;) {
    const char *name = pyoci_json_str(json_object_get(json_array_get(list, i), "annotations"), PYOCI_REF_NAME_ANNOTATION);
    if (name && strcmp(name, ref) == 0)
      json_array_remove(list, i);
  }
  json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", mt ? mt : "application/vnd.oci.image.manifest.v1+json",
                        "digest", digest, "size", (json_int_t)len);
  if (ref)
    json_object_set_new(d, "annotations", json_pack("{s:s}", PYOCI_REF_NAME_ANNOTATION, ref));
  json_array_append_new(list, d);
  cleanup_free char *text = json_dumps(idx, JSON_COMPACT);
  return pyoci_write_file_atomic(path, text, strlen(text), 0644, err);
}

int pyoci_layout_export(pyoci_store_t *s, const char *digest, const char *dir, const char *ref, pyoci_error_t **err)
{
  cleanup_free char *blobs = pyoci_path_join(dir, "blobs/sha256");
  cleanup_free char *layout = pyoci_path_join(dir, "oci-layout");
  if (pyoci_mkdir_p(blobs, 0755, err) < 0)
    return -1;
  static const char layout_text[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  if (!pyoci_path_exists(layout) && pyoci_write_file_atomic(layout, layout_text, strlen(layout_text), 0644, err) < 0)
    return -1;
  cleanup_close int blobs_fd = open(blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (blobs_fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", blobs);
  if (walk_tree(s, blobs_fd, dir, digest, 0, export_blob, false, err) < 0 || fsync(blobs_fd) < 0)
    return err && *err ? -1 : pyoci_error_set(err, errno, "fsync '%s'", blobs);
  return export_index(s, digest, dir, ref, err);
}
