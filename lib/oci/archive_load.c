/* `pyoci load`: read an archive once, front to back.  Nothing about the
 * archive is known until its metadata arrives, and in a docker-archive
 * manifest.json may well come after the layers, so every member is spooled
 * into a store blob as it passes (sha256 computed on the way) and remembered
 * as path -> digest.  Then the format's planner verifies the images against
 * those blobs, and only when every image checks out are they tagged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/layer/codec.h"
#include "lib/layer/layer.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"
#include "archive_int.h"

#define MAX_LINK_HOPS 8

static void members_free(pyoci_members_t *m)
{
  for (size_t i = 0; i < m->n; i++) {
    free(m->v[i].path);
    free(m->v[i].link);
  }
  free(m->v);
  free(m->manifest_json);
  free(m->index_json);
}

static pyoci_member_t *members_add(pyoci_members_t *m, char *path, pyoci_error_t **err)
{
  if (m->n >= PYOCI_ARCHIVE_MAX_MEMBERS) {
    free(path);
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': more than %u members", m->what,
                         PYOCI_ARCHIVE_MAX_MEMBERS);
    return NULL;
  }
  if (m->n == m->cap) {
    m->cap = m->cap ? m->cap * 2 : 64;
    m->v = xrealloc(m->v, m->cap * sizeof(*m->v));
  }
  pyoci_member_t *e = &m->v[m->n++];
  memset(e, 0, sizeof(*e));
  e->path = path;
  return e;
}

static int cmp_path(const void *a, const void *b)
{
  return strcmp(((const pyoci_member_t *)a)->path, ((const pyoci_member_t *)b)->path);
}

static int members_sort(pyoci_members_t *m, pyoci_error_t **err)
{
  if (m->n > 1)
    qsort(m->v, m->n, sizeof(*m->v), cmp_path);
  for (size_t i = 1; i < m->n; i++)
    if (strcmp(m->v[i - 1].path, m->v[i].path) == 0)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s' appears twice", m->what,
                                  m->v[i].path);
  m->sorted = true;
  return 0;
}

const pyoci_member_t *pyoci_members_find(pyoci_members_t *m, const char *path, pyoci_error_t **err)
{
  const char *want = path;
  for (int hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    pyoci_member_t key = {.path = (char *)want};
    const pyoci_member_t *e = m->n ? bsearch(&key, m->v, m->n, sizeof(*m->v), cmp_path) : NULL;
    if (e == NULL) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s' is missing", m->what, path);
      return NULL;
    }
    if (e->link == NULL)
      return e;
    want = e->link;
  }
  pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s': too many links", m->what, path);
  return NULL;
}

const pyoci_member_t *pyoci_members_find_blob(pyoci_members_t *m, const char *digest, pyoci_error_t **err)
{
  char path[128];
  snprintf(path, sizeof(path), "blobs/sha256/%s", digest + 7);
  return pyoci_members_find(m, path, err);
}

/* Resolve a symlink target relative to the link's directory, staying inside
 * the archive. */
static char *resolve_link(const char *what, const char *member, const char *target, pyoci_error_t **err)
{
  if (target == NULL || target[0] == '\0' || target[0] == '/') {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s': link target '%s' leaves the archive",
                         what, member, target ? target : "");
    return NULL;
  }
  /* member is clean (no ".."), so its directory + target, cleaned, stays
   * inside exactly when the target does not climb above the root. */
  const char *slash = strrchr(member, '/');
  cleanup_free char *joined = xasprintf("%.*s/%s", slash ? (int)(slash - member) : 0, member, target);
  char *clean = pyoci_path_normalize(joined, PYOCI_PATH_NO_ESCAPE);
  if (clean == NULL)
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s': link target '%s' leaves the archive",
                         what, member, target);
  return clean;
}

/* "blobs/sha256/<hex>": the name claims a digest the writer will enforce. */
static bool blob_path_digest(const char *path, char digest[PYOCI_DIGEST_LEN])
{
  if (strncmp(path, "blobs/sha256/", 13) != 0)
    return false;
  snprintf(digest, PYOCI_DIGEST_LEN, "sha256:%s", path + 13);
  return pyoci_digest_valid(digest);
}

/* Legacy per-layer files nobody reads when manifest.json is there. */
static bool is_legacy_junk(const char *path)
{
  const char *slash = strchr(path, '/');
  if (slash == NULL || strchr(slash + 1, '/') != NULL)
    return false;
  return strcmp(slash + 1, "VERSION") == 0 || strcmp(slash + 1, "json") == 0;
}

static int read_small(pyoci_tar_reader_t *r, pyoci_members_t *m, const pyoci_tar_entry_t *e, char **out,
                      size_t *len, pyoci_error_t **err)
{
  if (e->size < 0 || (uint64_t)e->size > PYOCI_ARCHIVE_MAX_JSON)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': %s: %lld bytes is over the limit of %u",
                                m->what, e->path, (long long)e->size, PYOCI_ARCHIVE_MAX_JSON);
  if (pyoci_tar_reader_read_all(r, (size_t)e->size, out, len, err) < 0)
    return pyoci_error_prefix(err, "load '%s': %s", m->what, e->path);
  return 0;
}

static int spool_file(pyoci_store_t *s, pyoci_tar_reader_t *r, pyoci_members_t *m, pyoci_member_t *mm,
                      uint64_t *done, pyoci_error_t **err)
{
  char expected[PYOCI_DIGEST_LEN];
  bool claimed = blob_path_digest(mm->path, expected);
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  static __thread unsigned char buf[256 * 1024];
  unsigned char head[512];
  size_t head_len = 0;
  for (;;) {
    ssize_t n = pyoci_tar_reader_read(r, buf, sizeof(buf), err);
    if (n < 0)
      goto fail;
    if (n == 0)
      break;
    if (head_len < sizeof(head)) {
      size_t k = sizeof(head) - head_len < (size_t)n ? sizeof(head) - head_len : (size_t)n;
      memcpy(head + head_len, buf, k);
      head_len += k;
    }
    if (pyoci_blob_writer_write(w, buf, (size_t)n, err) < 0)
      goto fail;
    *done += (uint64_t)n;
    pyoci_progress("Loading", *done, 0, 0);
  }
  mm->comp = (int)pyoci_codec_sniff(head, head_len);
  if (pyoci_blob_writer_commit(w, claimed ? expected : NULL, mm->digest, &mm->size, err) < 0)
    return pyoci_error_prefix(err, "load '%s': member '%s'", m->what, mm->path);
  return 0;
fail:
  pyoci_blob_writer_abort(w);
  return pyoci_error_prefix(err, "load '%s': member '%s'", m->what, mm->path);
}

static int spool_entry(pyoci_store_t *s, pyoci_tar_reader_t *r, pyoci_members_t *m, const pyoci_tar_entry_t *e,
                       uint64_t *done, pyoci_error_t **err)
{
  if (e->type == PYOCI_TAR_DIR || e->path[0] == '\0')
    return 0;
  char *path = pyoci_archive_clean_path(e->path, err);
  if (path == NULL)
    return pyoci_error_prefix(err, "load '%s'", m->what);
  if (e->type == PYOCI_TAR_SYMLINK || e->type == PYOCI_TAR_HARDLINK) {
    char *target = e->type == PYOCI_TAR_SYMLINK ? resolve_link(m->what, path, e->link, err)
                                                : pyoci_archive_clean_path(e->link, err);
    if (target == NULL) {
      free(path);
      return e->type == PYOCI_TAR_SYMLINK ? -1 : pyoci_error_prefix(err, "load '%s': link", m->what);
    }
    pyoci_member_t *mm = members_add(m, path, err);
    if (mm == NULL) {
      free(target);
      return -1;
    }
    mm->link = target;
    return 0;
  }
  if (e->type != PYOCI_TAR_FILE) {
    free(path);
    return 0;
  }
  /* Top-level metadata stays in memory (bounded); legacy junk is skipped. */
  char **slot = NULL;
  size_t *slot_len = NULL;
  if (strcmp(path, "manifest.json") == 0) {
    slot = &m->manifest_json;
    slot_len = &m->manifest_json_len;
  } else if (strcmp(path, "index.json") == 0) {
    slot = &m->index_json;
    slot_len = &m->index_json_len;
  }
  if (slot != NULL) {
    int rc = *slot ? pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': member '%s' appears twice", m->what,
                                          path)
                   : read_small(r, m, e, slot, slot_len, err);
    free(path);
    return rc;
  }
  if (strcmp(path, "oci-layout") == 0 || strcmp(path, "repositories") == 0 || is_legacy_junk(path)) {
    m->has_oci_layout |= strcmp(path, "oci-layout") == 0;
    free(path);
    return 0;
  }
  pyoci_member_t *mm = members_add(m, path, err);
  if (mm == NULL)
    return -1;
  return spool_file(s, r, m, mm, done, err);
}

static int spool(pyoci_store_t *s, int fd, pyoci_members_t *m, pyoci_error_t **err)
{
  pyoci_tar_reader_t *r = NULL;
  if (pyoci_tar_reader_open(fd, m->what, &r, err) < 0)
    return pyoci_error_prefix(err, "load '%s'", m->what);
  uint64_t done = 0;
  int rc;
  pyoci_tar_entry_t e;
  while ((rc = pyoci_tar_reader_next(r, &e, err)) == 1)
    if (spool_entry(s, r, m, &e, &done, err) < 0)
      break; /* the entry's error already names the archive */
  pyoci_tar_reader_free(r);
  pyoci_progress("Loading", done, 0, 1);
  if (rc < 0)
    return pyoci_error_prefix(err, "load '%s'", m->what);
  if (rc == 1)
    return -1;
  return members_sort(m, err);
}

int pyoci_archive_read_config(pyoci_store_t *s, const char *what, const char *member, const char *digest,
                              char (**diff_ids)[PYOCI_DIGEST_LEN], size_t *n, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_CONFIG_SIZE, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "load '%s': config '%s'", what, member);
  return pyoci_config_parse_diff_ids(buf, len, what, member, diff_ids, n, err);
}

int pyoci_config_parse_diff_ids(const char *buf, size_t len, const char *what, const char *member,
                                char (**diff_ids)[PYOCI_DIGEST_LEN], size_t *n, pyoci_error_t **err)
{
  cleanup_json json_t *cfg = pyoci_json_parse_object(buf, len, member, err);
  if (cfg == NULL)
    return pyoci_error_prefix(err, "load '%s'", what);
  json_t *rootfs = json_object_get(cfg, "rootfs");
  json_t *ids = json_object_get(rootfs, "diff_ids");
  const char *type = pyoci_json_str(rootfs, "type");
  if (type == NULL || strcmp(type, "layers") != 0 || !json_is_array(ids))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': config '%s': missing rootfs.diff_ids", what,
                                member);
  size_t count = json_array_size(ids);
  if (count > PYOCI_MAX_LAYERS)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': config '%s': %zu layers is over the limit of %d",
                                what, member, count, PYOCI_MAX_LAYERS);
  char(*v)[PYOCI_DIGEST_LEN] = xcalloc(count + 1, PYOCI_DIGEST_LEN);
  for (size_t i = 0; i < count; i++) {
    const char *d = json_string_value(json_array_get(ids, i));
    if (d == NULL || !pyoci_digest_valid(d)) {
      free(v);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "load '%s': config '%s': diff_ids[%zu] is not a sha256 digest",
                                  what, member, i);
    }
    snprintf(v[i], PYOCI_DIGEST_LEN, "%s", d);
  }
  *diff_ids = v;
  *n = count;
  return 0;
}

void pyoci_pending_images_free(pyoci_pending_image_t *v, size_t n)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    free(v[i].manifest_media_type);
    for (size_t k = 0; k < v[i].n_layers; k++)
      free(v[i].layers[k].media_type);
    free(v[i].layers);
    for (size_t k = 0; k < v[i].n_names; k++)
      free(v[i].names[k]);
    free(v[i].names);
  }
  free(v);
}

void pyoci_loaded_images_free(pyoci_loaded_image_t *v, size_t n)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < v[i].n_names; k++)
      free(v[i].names[k]);
    free(v[i].names);
  }
  free(v);
}

/* A docker-archive names no manifest.  When the store already holds an
 * image with this config (same ID, so the same diff_ids), tag that one
 * rather than adding a second manifest for the same image: loading back
 * what `pyoci save` wrote must not leave a dangling duplicate. */
static bool reuse_existing(pyoci_store_t *s, pyoci_pending_image_t *p)
{
  pyoci_error_t *ignored = NULL;
  char digest[PYOCI_DIGEST_LEN];
  pyoci_image_t *img = NULL;
  bool ok = pyoci_store_resolve(s, p->config_digest, digest, &ignored) == 0 &&
            pyoci_image_load_digest(s, digest, &img, &ignored) == 0 &&
            strcmp(img->config_digest, p->config_digest) == 0;
  if (ok) {
    snprintf(p->manifest_digest, sizeof(p->manifest_digest), "%s", img->manifest_digest);
    free(p->manifest_media_type);
    p->manifest_media_type = xstrdup(img->manifest_media_type);
    p->manifest_size = img->manifest_size;
  }
  pyoci_image_free(img);
  pyoci_error_free(ignored);
  return ok;
}

/* Record one verified image: either the archive's own manifest (OCI) or a
 * new OCI manifest over the docker-archive's config and layers. */
/* Every layer's entries, read once before anything is tagged: a layer
 * with "../" names is refused at the door instead of sitting in the store
 * until a build unpacks it.  The pass also holds each layer against the
 * config's diff_id (pyoci_layer_diff_id_to_check says when that is needed). */
static int validate_layers(pyoci_store_t *s, const char *what, const pyoci_pending_image_t *p, pyoci_error_t **err)
{
  char(*ids)[PYOCI_DIGEST_LEN] = NULL;
  size_t n_ids = 0;
  if (pyoci_archive_read_config(s, what, "config", p->config_digest, &ids, &n_ids, err) < 0)
    return -1;
  for (size_t k = 0; k < p->n_layers; k++) {
    int fd = -1;
    if (pyoci_store_open_blob(s, p->layers[k].digest, &fd, NULL, err) < 0) {
      free(ids);
      return pyoci_error_prefix(err, "load '%s'", what);
    }
    const char *id = k < n_ids ? pyoci_layer_diff_id_to_check(p->layers[k].media_type, p->layers[k].digest, ids[k]) : NULL;
    int rc = pyoci_layer_validate(fd, p->layers[k].digest, id, err);
    close(fd);
    if (rc < 0) {
      free(ids);
      return pyoci_error_prefix(err, "load '%s': layer %zu", what, k + 1);
    }
  }
  free(ids);
  return 0;
}

static int commit_one(pyoci_store_t *s, const char *what, pyoci_pending_image_t *p, pyoci_loaded_image_t *out,
                      pyoci_error_t **err)
{
  if (validate_layers(s, what, p, err) < 0)
    return -1;
  snprintf(out->image_id, sizeof(out->image_id), "%s", p->config_digest);
  bool reused = false;
  if (p->manifest_digest[0] == '\0' && (reused = reuse_existing(s, p))) {
    /* tag the manifest the store already has (below) */
  } else if (p->manifest_digest[0] == '\0') {
    cleanup_free char *cfg = NULL;
    size_t len = 0;
    if (pyoci_store_read_blob(s, p->config_digest, PYOCI_MAX_CONFIG_SIZE, &cfg, &len, err) < 0)
      return pyoci_error_prefix(err, "load '%s'", what);
    if (pyoci_image_commit(s, NULL, cfg, len, p->layers, p->n_layers, (const char *const *)p->names,
                           out->manifest_digest, err) < 0)
      return pyoci_error_prefix(err, "load '%s'", what);
  }
  if (out->manifest_digest[0] == '\0') {
    snprintf(out->manifest_digest, sizeof(out->manifest_digest), "%s", p->manifest_digest);
    if (p->n_names == 0 && !reused &&
        pyoci_store_add_image(s, p->manifest_digest, p->manifest_media_type, p->manifest_size, NULL, err) < 0)
      return pyoci_error_prefix(err, "load '%s'", what);
    for (size_t k = 0; k < p->n_names; k++)
      if (pyoci_store_add_image(s, p->manifest_digest, p->manifest_media_type, p->manifest_size, p->names[k],
                                err) < 0)
        return pyoci_error_prefix(err, "load '%s'", what);
  }
  out->names = steal_pointer(&p->names);
  out->n_names = p->n_names;
  p->n_names = 0;
  return 0;
}

int pyoci_archive_load(pyoci_store_t *s, int fd, const char *what, pyoci_loaded_image_t **out, size_t *n,
                       pyoci_error_t **err)
{
  pyoci_members_t m = {.what = what};
  pyoci_pending_image_t *pending = NULL;
  size_t n_pending = 0;
  pyoci_loaded_image_t *loaded = NULL;
  int rc = -1;
  *out = NULL;
  *n = 0;
  if (spool(s, fd, &m, err) < 0)
    goto out;
  const pyoci_archive_fmt_t *fmt = pyoci_archive_fmt_bid(&m);
  if (fmt == NULL) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                         "load '%s': not a docker-archive or oci-archive (no manifest.json, no index.json + oci-layout)",
                         what);
    goto out;
  }
  if (fmt->plan(s, &m, &pending, &n_pending, err) < 0)
    goto out;
  loaded = xcalloc(n_pending + 1, sizeof(*loaded));
  for (size_t i = 0; i < n_pending; i++) {
    if (commit_one(s, what, &pending[i], &loaded[i], err) < 0) {
      pyoci_loaded_images_free(loaded, n_pending);
      loaded = NULL;
      goto out;
    }
  }
  *out = steal_pointer(&loaded);
  *n = n_pending;
  rc = 0;
out:
  pyoci_pending_images_free(pending, n_pending);
  members_free(&m);
  return rc;
}
