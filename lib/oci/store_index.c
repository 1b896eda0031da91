/* index.json: the store's list of images and their names.
 *
 * Readers just read the file: it is only ever replaced by rename, so they
 * always see a complete version.  Writers take index.lock exclusively, read,
 * modify and write it back atomically, so concurrent taggers never lose each
 * other's names.  Invariant kept by every writer: a name appears on at most
 * one entry, and a manifest either has named entries or one unnamed entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "lib/util/log.h"
#include "image.h"
#include "ref.h"
#include "store_int.h"

json_t *pyoci_store_index_load(pyoci_store_t *s, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_free char *what = pyoci_path_join(s->path, "index.json");
  cleanup_error pyoci_error_t *rerr = NULL;
  if (pyoci_read_file_at(s->dir_fd, "index.json", PYOCI_JSON_MAX, &buf, &len, &rerr) < 0) {
    if (rerr->code == PYOCI_E_NOT_FOUND)
      return json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", PYOCI_MT_OCI_INDEX, "manifests");
    pyoci_error_propagate(err, &rerr);
    return NULL;
  }
  json_t *j = pyoci_json_parse_object(buf, len, what, err);
  if (j == NULL)
    return NULL;
  json_t *m = json_object_get(j, "manifests");
  if (m == NULL) {
    json_object_set_new(j, "manifests", json_array());
  } else if (!json_is_array(m)) {
    json_decref(j);
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': \"manifests\" is not an array", what);
    return NULL;
  }
  return j;
}

static int index_save(pyoci_store_t *s, json_t *idx, pyoci_error_t **err)
{
  cleanup_free char *data = pyoci_json_dump_canonical(idx);
  cleanup_free char *p = pyoci_path_join(s->path, "index.json");
  return pyoci_write_file_atomic(p, data, strlen(data), 0644, err);
}

int pyoci_store_index_replace(pyoci_store_t *s, json_t *idx, const char *keep_as, pyoci_error_t **err)
{
  cleanup_close int lock = pyoci_store_lock_index(s, err);
  if (lock < 0)
    return -1;
  struct stat st;
  if (fstatat(s->dir_fd, "index.json", &st, 0) == 0 && st.st_size > 0 &&
      linkat(s->dir_fd, "index.json", s->dir_fd, keep_as, 0) < 0 && errno != EEXIST)
    return pyoci_error_set(err, errno, "keep the old '%s/index.json' as '%s'", s->path, keep_as);
  return index_save(s, idx, err);
}

static const char *entry_digest(const json_t *e)
{
  const char *d = pyoci_json_str(e, "digest");
  return pyoci_digest_valid(d) ? d : NULL;
}

static const char *entry_raw_name(const json_t *e)
{
  return pyoci_json_str(json_object_get(e, "annotations"), PYOCI_REF_NAME_ANNOTATION);
}

/* The entry's name in familiar form (other tools may write full names);
 * NULL when untagged.  Caller frees. */
static char *entry_name(const json_t *e)
{
  const char *raw = entry_raw_name(e);
  if (raw == NULL)
    return NULL;
  char *n = pyoci_ref_normalize(raw, NULL);
  return n ? n : xstrdup(raw);
}

static bool entry_valid(const json_t *e)
{
  return json_is_object(e) && entry_digest(e) != NULL && pyoci_json_str(e, "mediaType") != NULL &&
         pyoci_json_int(e, "size", -1) >= 0;
}

int pyoci_store_list(pyoci_store_t *s, pyoci_index_entry_t **entries, size_t *n, pyoci_error_t **err)
{
  cleanup_json json_t *idx = pyoci_store_index_load(s, err);
  if (idx == NULL)
    return -1;
  json_t *m = json_object_get(idx, "manifests");
  size_t count = json_array_size(m), k = 0;
  pyoci_index_entry_t *v = xcalloc(count ? count : 1, sizeof(*v));
  for (size_t i = 0; i < count; i++) {
    json_t *e = json_array_get(m, i);
    if (!entry_valid(e)) {
      pyoci_log(PYOCI_LOG_WARN, "%s/index.json: skipping invalid entry %zu (run pyoci fsck)", s->path, i);
      continue;
    }
    memcpy(v[k].digest, entry_digest(e), PYOCI_DIGEST_LEN);
    v[k].media_type = xstrdup(pyoci_json_str(e, "mediaType"));
    v[k].size = pyoci_json_int(e, "size", 0);
    v[k].name = entry_name(e);
    k++;
  }
  *entries = v;
  *n = k;
  return 0;
}

void pyoci_index_entries_free(pyoci_index_entry_t *entries, size_t n)
{
  if (entries == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    free(entries[i].media_type);
    free(entries[i].name);
  }
  free(entries);
}

/* ---- resolving ---- */

bool pyoci_doc_is_index(const json_t *doc, const char *entry_media_type)
{
  const char *mt = pyoci_json_str(doc, "mediaType");
  if (mt == NULL)
    mt = entry_media_type;
  if (mt != NULL)
    return strcmp(mt, PYOCI_MT_OCI_INDEX) == 0 || strcmp(mt, PYOCI_MT_DOCKER_LIST) == 0;
  return json_is_array(json_object_get(doc, "manifests")) && json_object_get(doc, "config") == NULL;
}

int pyoci_store_image_id(pyoci_store_t *s, const char *manifest_digest, char id[PYOCI_DIGEST_LEN],
                         pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, manifest_digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return -1;
  cleanup_json json_t *doc = pyoci_json_parse_object(buf, len, manifest_digest, err);
  if (doc == NULL)
    return -1;
  if (pyoci_doc_is_index(doc, NULL)) {
    /* A multi-platform image is known by the image this host would run. */
    cleanup_image pyoci_image_t *img = NULL;
    if (pyoci_image_load_digest(s, manifest_digest, &img, NULL) == 0) {
      memcpy(id, img->config_digest, PYOCI_DIGEST_LEN);
      return 0;
    }
    memcpy(id, manifest_digest, PYOCI_DIGEST_LEN);
    return 0;
  }
  const char *cd = pyoci_json_str(json_object_get(doc, "config"), "digest");
  if (!pyoci_digest_valid(cd))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: no valid config digest", manifest_digest);
  memcpy(id, cd, PYOCI_DIGEST_LEN);
  return 0;
}

static bool is_hex_string(const char *p, size_t max)
{
  size_t n = 0;
  for (; p[n]; n++)
    if (!((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f')))
      return false;
  return n > 0 && n <= max;
}

static int not_found(pyoci_error_t **err, const char *ref)
{
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "No such image: %s", ref);
}

/* Match a full digest or an ID prefix (prefix_len < 64) against manifest
 * digests (full only) and image IDs. */
static int resolve_id(pyoci_store_t *s, const pyoci_index_entry_t *v, size_t n, const char *hex, const char *ref,
                      char out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  size_t hl = strlen(hex);
  bool full = hl == PYOCI_DIGEST_HEX_LEN;
  if (full)
    for (size_t i = 0; i < n; i++)
      if (strcmp(v[i].digest + 7, hex) == 0) {
        memcpy(out, v[i].digest, PYOCI_DIGEST_LEN);
        return 0;
      }
  const char *found = NULL;
  cleanup_strbuf strbuf_t matches = STRBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i; j++)
      seen = seen || strcmp(v[j].digest, v[i].digest) == 0;
    if (seen)
      continue;
    char id[PYOCI_DIGEST_LEN];
    if (pyoci_store_image_id(s, v[i].digest, id, NULL) < 0)
      continue; /* damaged entries are fsck's business */
    if (strncmp(id + 7, hex, hl) != 0)
      continue;
    if (found != NULL && full)
      continue; /* several manifests for one config: the first wins */
    if (found != NULL)
      strbuf_addstr(&matches, ", ");
    strbuf_addstr(&matches, v[i].digest);
    if (found == NULL)
      found = v[i].digest;
    else if (!full)
      found = "";
  }
  if (found == NULL)
    return not_found(err, ref);
  if (*found == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "ambiguous image ID prefix '%s': matches manifests %s",
                                ref, strbuf_str(&matches));
  memcpy(out, found, PYOCI_DIGEST_LEN);
  return 0;
}

int pyoci_store_resolve(pyoci_store_t *s, const char *ref, char manifest_digest[PYOCI_DIGEST_LEN],
                        pyoci_error_t **err)
{
  if (ref == NULL || *ref == '\0')
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "empty image reference");
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (pyoci_store_list(s, &v, &n, err) < 0)
    return -1;
  int ret;
  if (strncmp(ref, "sha256:", 7) == 0 && pyoci_digest_valid(ref)) {
    ret = resolve_id(s, v, n, ref + 7, ref, manifest_digest, err);
    goto out;
  }
  if (is_hex_string(ref, PYOCI_DIGEST_HEX_LEN) && strlen(ref) == PYOCI_DIGEST_HEX_LEN) {
    ret = resolve_id(s, v, n, ref, ref, manifest_digest, err);
    goto out;
  }
  /* A name first, as Docker does: "abcd" may be an image called abcd. */
  pyoci_ref_t r;
  if (pyoci_ref_parse(ref, &r, NULL) == 0) {
    cleanup_free char *fam = NULL;
    if (r.digest == NULL)
      fam = pyoci_ref_familiar(&r);
    for (size_t i = 0; i < n; i++) {
      bool hit = r.digest ? strcmp(v[i].digest, r.digest) == 0 : (v[i].name && strcmp(v[i].name, fam) == 0);
      if (hit) {
        memcpy(manifest_digest, v[i].digest, PYOCI_DIGEST_LEN);
        pyoci_ref_free(&r);
        ret = 0;
        goto out;
      }
    }
    pyoci_ref_free(&r);
  }
  const char *hex = strncmp(ref, "sha256:", 7) == 0 ? ref + 7 : ref;
  if (is_hex_string(hex, PYOCI_DIGEST_HEX_LEN))
    ret = resolve_id(s, v, n, hex, ref, manifest_digest, err);
  else
    ret = not_found(err, ref);
out:
  pyoci_index_entries_free(v, n);
  return ret;
}

/* ---- updating ---- */

typedef int (*index_edit_fn)(pyoci_store_t *s, json_t *manifests, void *ctx, bool *changed, pyoci_error_t **err);

static bool no_space(const pyoci_error_t *e)
{
  return e != NULL && (e->errno_value == ENOSPC || e->errno_value == EDQUOT);
}

/* Load index.json and apply fn: *idx the edited index (NULL when fn changed
 * nothing), *old (when wanted) the index as it was. */
static int index_edit(pyoci_store_t *s, index_edit_fn fn, void *ctx, json_t **idx, json_t **old, pyoci_error_t **err)
{
  *idx = pyoci_store_index_load(s, err);
  if (*idx == NULL)
    return -1;
  if (old != NULL)
    *old = json_deep_copy(*idx);
  bool changed = false;
  int rc = fn(s, json_object_get(*idx, "manifests"), ctx, &changed, err);
  if (rc < 0 || !changed) {
    json_decref(*idx);
    *idx = NULL;
    return rc < 0 ? -1 : 0;
  }
  /* The OCI layout requires these; older files may lack them. */
  json_object_set_new(*idx, "schemaVersion", json_integer(2));
  json_object_set_new(*idx, "mediaType", json_string(PYOCI_MT_OCI_INDEX));
  return 0;
}

/* A disk so full that not even the new index.json fits (it is written
 * beside the old one and renamed over it, so a crash never leaves half an
 * index): when the edit removes images, delete their blobs first and then
 * write the index.  Under the exclusive lock, so no other process is
 * between writing a blob and naming it; gc_for_index deletes in an order
 * that keeps a crash half-way harmless. */
static int index_update_full_disk(pyoci_store_t *s, index_edit_fn fn, void *ctx, pyoci_error_t **err)
{
  bool was_exclusive = s->exclusive;
  if (!was_exclusive && pyoci_store_lock_exclusive(s, err) < 0)
    return -1;
  int rc = -1;
  cleanup_close int lock = pyoci_store_lock_index(s, err);
  json_t *idx = NULL, *old = NULL;
  pyoci_error_t *serr = NULL;
  uint64_t freed = 0;
  if (lock >= 0 && index_edit(s, fn, ctx, &idx, &old, err) == 0) {
    rc = idx == NULL ? 0 : index_save(s, idx, &serr); /* space may have come back meanwhile */
    if (rc < 0 && no_space(serr) && pyoci_store_gc_for_index(s, old, idx, &freed, err) == 0) {
      if (freed > 0)
        pyoci_log(PYOCI_LOG_INFO, "disk full: deleted the removed images' blobs first (%llu bytes)",
                  (unsigned long long)freed);
      pyoci_error_release(&serr);
      rc = index_save(s, idx, &serr);
    }
    if (rc < 0 && serr != NULL) {
      pyoci_error_propagate(err, &serr);
      if (freed > 0)
        pyoci_error_prefix(err, "the removed images' blobs are deleted, but index.json still lists them "
                                "('pyoci fsck --repair' drops them once there is space)");
    }
  }
  json_decref(idx);
  json_decref(old);
  if (!was_exclusive)
    pyoci_store_lock_shared(s);
  return rc;
}

/* removes: fn only takes names or entries away, so on a full disk the
 * space of what it removes may be freed first (index_update_full_disk). */
static int index_update_ex(pyoci_store_t *s, index_edit_fn fn, void *ctx, bool removes, pyoci_error_t **err)
{
  pyoci_error_t *serr = NULL;
  {
    cleanup_close int lock = pyoci_store_lock_index(s, err);
    if (lock < 0)
      return -1;
    cleanup_json json_t *idx = NULL;
    if (index_edit(s, fn, ctx, &idx, NULL, err) < 0)
      return -1;
    if (idx == NULL || index_save(s, idx, &serr) == 0)
      return 0;
    if (!removes || !no_space(serr))
      return pyoci_error_propagate(err, &serr);
  } /* index.lock released: the exclusive .lock is taken before it, never after */
  pyoci_error_free(serr);
  return index_update_full_disk(s, fn, ctx, err);
}

static int index_update(pyoci_store_t *s, index_edit_fn fn, void *ctx, pyoci_error_t **err)
{
  return index_update_ex(s, fn, ctx, false, err);
}

static bool name_is(const json_t *e, const char *name)
{
  cleanup_free char *n = entry_name(e);
  return n != NULL && strcmp(n, name) == 0;
}

static bool digest_is(const json_t *e, const char *digest)
{
  const char *d = pyoci_json_str(e, "digest");
  return d != NULL && strcmp(d, digest) == 0;
}

static size_t count_digest(const json_t *m, const char *digest)
{
  size_t c = 0, i;
  json_t *e;
  json_array_foreach(m, i, e) if (digest_is(e, digest)) c++;
  return c;
}

static void strip_name(json_t *e)
{
  json_t *a = json_object_get(e, "annotations");
  json_object_del(a, PYOCI_REF_NAME_ANNOTATION);
  if (json_is_object(a) && json_object_size(a) == 0)
    json_object_del(e, "annotations");
}

/* Take name off entry i: drop the entry if its manifest has other entries
 * (or !keep), else leave it unnamed. */
static void unname_entry(json_t *m, size_t i, bool keep)
{
  json_t *e = json_array_get(m, i);
  const char *d = pyoci_json_str(e, "digest");
  if (d == NULL || count_digest(m, d) > 1 || !keep)
    json_array_remove(m, i);
  else
    strip_name(e);
}

struct add_ctx {
  const char *digest, *media_type, *name;
  int64_t size;
};

static int add_edit(pyoci_store_t *s, json_t *m, void *vctx, bool *changed, pyoci_error_t **err)
{
  struct add_ctx *c = vctx;
  size_t i;
  json_t *e;
  if (c->name != NULL) {
    for (i = 0; i < json_array_size(m); i++) {
      e = json_array_get(m, i);
      if (!name_is(e, c->name))
        continue;
      if (digest_is(e, c->digest))
        return 0; /* already so */
      unname_entry(m, i, true);
      *changed = true;
      break;
    }
  }
  json_array_foreach(m, i, e)
  {
    if (!digest_is(e, c->digest) || entry_raw_name(e) != NULL)
      continue;
    if (c->name == NULL)
      return 0; /* already listed, unnamed */
    json_t *a = pyoci_json_member_object(e, "annotations");
    json_object_set_new(a, PYOCI_REF_NAME_ANNOTATION, json_string(c->name));
    *changed = true;
    return 0;
  }
  if (c->name == NULL && count_digest(m, c->digest) > 0)
    return 0;
  json_t *ne = json_pack("{s:s, s:s, s:I}", "mediaType", c->media_type, "digest", c->digest, "size",
                         (json_int_t)c->size);
  if (c->name != NULL)
    json_object_set_new(ne, "annotations", json_pack("{s:s}", PYOCI_REF_NAME_ANNOTATION, c->name));
  json_array_append_new(m, ne);
  *changed = true;
  return 0;
}

static char *tag_name(const char *name, pyoci_error_t **err)
{
  pyoci_ref_t r;
  if (pyoci_ref_parse(name, &r, err) < 0)
    return NULL;
  if (r.digest != NULL) {
    pyoci_ref_free(&r);
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "refusing to create a tag with a digest reference: '%s'", name);
    return NULL;
  }
  char *f = pyoci_ref_familiar(&r);
  pyoci_ref_free(&r);
  return f;
}

int pyoci_store_add_image(pyoci_store_t *s, const char *manifest_digest, const char *media_type, int64_t size,
                          const char *name, pyoci_error_t **err)
{
  if (!pyoci_digest_valid(manifest_digest))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid manifest digest '%s'",
                                manifest_digest ? manifest_digest : "");
  int64_t blob_size = 0;
  int fd = -1;
  if (pyoci_store_open_blob(s, manifest_digest, &fd, &blob_size, err) < 0)
    return pyoci_error_prefix(err, "add image");
  close(fd);
  if (size < 0)
    size = blob_size;
  if (size != blob_size)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "add image %s: size %lld does not match the blob's %lld bytes",
                                manifest_digest, (long long)size, (long long)blob_size);
  cleanup_free char *fam = NULL;
  if (name != NULL && (fam = tag_name(name, err)) == NULL)
    return -1;
  struct add_ctx c = {manifest_digest, media_type ? media_type : PYOCI_MT_OCI_MANIFEST, fam, size};
  return index_update(s, add_edit, &c, err);
}

struct untag_ctx {
  const char *name;
  bool keep;
};

static int untag_edit(pyoci_store_t *s, json_t *m, void *vctx, bool *changed, pyoci_error_t **err)
{
  struct untag_ctx *c = vctx;
  for (size_t i = 0; i < json_array_size(m); i++) {
    if (!name_is(json_array_get(m, i), c->name))
      continue;
    unname_entry(m, i, c->keep);
    *changed = true;
    return 0;
  }
  return not_found(err, c->name);
}

int pyoci_store_untag(pyoci_store_t *s, const char *name, bool untagged_keep, pyoci_error_t **err)
{
  cleanup_free char *fam = tag_name(name, err);
  if (fam == NULL)
    return -1;
  struct untag_ctx c = {fam, untagged_keep};
  return index_update_ex(s, untag_edit, &c, true, err);
}

static int remove_edit(pyoci_store_t *s, json_t *m, void *vctx, bool *changed, pyoci_error_t **err)
{
  const char *digest = vctx;
  for (size_t i = 0; i < json_array_size(m);) {
    if (digest_is(json_array_get(m, i), digest)) {
      json_array_remove(m, i);
      *changed = true;
    } else {
      i++;
    }
  }
  if (!*changed)
    return not_found(err, digest);
  return 0;
}

int pyoci_store_remove_image(pyoci_store_t *s, const char *manifest_digest, pyoci_error_t **err)
{
  if (!pyoci_digest_valid(manifest_digest))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid manifest digest '%s'",
                                manifest_digest ? manifest_digest : "");
  return index_update_ex(s, remove_edit, (void *)manifest_digest, true, err);
}

static int remove_untagged_edit(pyoci_store_t *s, json_t *m, void *vctx, bool *changed, pyoci_error_t **err)
{
  size_t *removed = vctx;
  *removed = 0; /* applied again after a full disk (index_update_full_disk) */
  for (size_t i = 0; i < json_array_size(m);) {
    if (entry_raw_name(json_array_get(m, i)) == NULL) {
      json_array_remove(m, i);
      (*removed)++;
      *changed = true;
    } else {
      i++;
    }
  }
  return 0;
}

int pyoci_store_remove_untagged(pyoci_store_t *s, size_t *removed, pyoci_error_t **err)
{
  *removed = 0;
  return index_update_ex(s, remove_untagged_edit, removed, true, err);
}
