/* fsck: verify the whole store — the layout file, index.json, and every
 * blob an image reaches (rehashed, size checked), and that each image loads.
 * Unreferenced blobs and leftover tmp/ files are not problems: a killed
 * writer legitimately leaves them, and prune/gc removes them. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "image.h"
#include "ref.h"
#include "store_int.h"

enum { BLOB_OK, BLOB_MISSING, BLOB_CORRUPT, BLOB_SIZE };

/* Result of checking one blob, remembered so each is hashed once. */
typedef struct {
  char digest[PYOCI_DIGEST_LEN];
  int status;
} blob_result_t;

typedef struct {
  pyoci_store_t *s;
  bool repair;
  pyoci_fsck_report_fn report;
  void *ctx;
  pyoci_fsck_stats_t *stats;
  int problems;
  pyoci_digest_set_t reachable;
  blob_result_t *results;
  size_t n_results;
  pyoci_strmap_t result_index; /* digest -> index in results (was a linear scan: N^2) */
  pyoci_digest_set_t bad_manifests; /* index entries to drop on --repair */
  pyoci_digest_set_t diff_ids;      /* layers of the images that load */
  const char *image;                /* name of the image being checked */
  const char *entry_digest;
} fsck_t;

__attribute__((format(printf, 2, 3))) static void problem(fsck_t *f, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  f->problems++;
  if (f->report && msg)
    f->report(f->ctx, msg);
}

static void mark_bad(fsck_t *f, const char *entry_digest)
{
  if (!pyoci_digest_set_has(&f->bad_manifests, entry_digest))
    pyoci_digest_set_add(&f->bad_manifests, entry_digest);
}

/* Rehash a blob; *actual gets the content digest when it differs. */
static int hash_blob(fsck_t *f, const char *digest, int64_t *size, char actual[PYOCI_DIGEST_LEN])
{
  cleanup_close int fd = -1;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_store_open_blob(f->s, digest, &fd, size, &err) < 0)
    return err->code == PYOCI_E_NOT_FOUND ? BLOB_MISSING : BLOB_CORRUPT;
  pyoci_sha256_t *h = pyoci_sha256_new();
  static char buf[1 << 20];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      pyoci_sha256_free(h);
      snprintf(actual, PYOCI_DIGEST_LEN, "(unreadable)");
      return BLOB_CORRUPT;
    }
    if (n == 0)
      break;
    pyoci_sha256_update(h, buf, (size_t)n);
  }
  pyoci_sha256_final(h, actual);
  return strcmp(actual, digest) == 0 ? BLOB_OK : BLOB_CORRUPT;
}

/* Check a referenced blob once; report trouble in terms of the image. */
static int check_blob(fsck_t *f, const char *digest, int64_t want_size, const char *role)
{
  const pyoci_strmap_slot_t *seen = pyoci_strmap_find(&f->result_index, digest);
  if (seen)
    return f->results[seen->val.num].status;
  if (!pyoci_digest_set_has(&f->reachable, digest))
    pyoci_digest_set_add(&f->reachable, digest);
  int64_t size = -1;
  char actual[PYOCI_DIGEST_LEN] = "";
  int st = hash_blob(f, digest, &size, actual);
  if (st == BLOB_MISSING) {
    problem(f, "%s: %s blob %s is missing", f->image, role, digest);
  } else if (st == BLOB_CORRUPT) {
    problem(f, "%s: %s blob %s is corrupt: its content hashes to %s", f->image, role, digest,
            actual[0] ? actual : "(unreadable)");
    if (f->repair && unlinkat(f->s->blobs_fd, digest + 7, 0) == 0)
      f->stats->repaired++;
  } else {
    f->stats->blobs_verified++;
    if (want_size >= 0 && size != want_size) {
      st = BLOB_SIZE;
      problem(f, "%s: %s blob %s is %lld bytes but is referenced with size %lld", f->image, role, digest,
              (long long)size, (long long)want_size);
    }
  }
  blob_result_t *r = xrealloc(f->results, (f->n_results + 1) * sizeof(*r));
  f->results = r;
  memcpy(r[f->n_results].digest, digest, PYOCI_DIGEST_LEN);
  pyoci_strmap_insert(&f->result_index, digest, NULL)->val.num = f->n_results;
  r[f->n_results++].status = st;
  return st;
}

static void check_manifest(fsck_t *f, const char *digest, int64_t size, const char *role, int depth);

struct walk {
  fsck_t *f;
  int depth;
  bool is_index;
  const char *host_child; /* the manifest this host would use, for indexes */
};

static void check_desc(void *vctx, const char *digest, int64_t size, bool is_manifest, const char *role)
{
  struct walk *w = vctx;
  fsck_t *f = w->f;
  if (digest == NULL) {
    problem(f, "%s: invalid %s descriptor", f->image, role);
    return;
  }
  if (!is_manifest) {
    check_blob(f, digest, size, role);
    return;
  }
  /* Multi-platform images are often stored with only some platforms:
   * only the one this host runs must be present. */
  if (w->is_index && !pyoci_store_has_blob(f->s, digest) &&
      (w->host_child == NULL || strcmp(w->host_child, digest) != 0)) {
    if (!pyoci_digest_set_has(&f->reachable, digest))
      pyoci_digest_set_add(&f->reachable, digest);
    return;
  }
  check_manifest(f, digest, size, role, w->depth + 1);
}

static const char *host_child(const json_t *doc)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(doc, "manifests"), i, e)
  {
    json_t *p = json_object_get(e, "platform");
    const char *os = pyoci_json_str(p, "os"), *a = pyoci_json_str(p, "architecture");
    if (os && a && strcmp(os, "linux") == 0 && strcmp(a, pyoci_host_arch()) == 0)
      return pyoci_json_str(e, "digest");
  }
  return NULL;
}

static void check_manifest(fsck_t *f, const char *digest, int64_t size, const char *role, int depth)
{
  if (check_blob(f, digest, size, role) != BLOB_OK) {
    mark_bad(f, f->entry_digest);
    return;
  }
  if (depth > 8) {
    problem(f, "%s: manifests nested too deeply at %s", f->image, digest);
    return;
  }
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_json json_t *doc = NULL;
  if (pyoci_store_read_blob(f->s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, &err) < 0 ||
      (doc = pyoci_json_parse_object(buf, len, digest, &err)) == NULL) {
    problem(f, "%s: %s %s", f->image, role, err->msg);
    mark_bad(f, f->entry_digest);
    return;
  }
  struct walk w = {f, depth, pyoci_doc_is_index(doc, NULL), NULL};
  if (w.is_index)
    w.host_child = host_child(doc);
  pyoci_doc_foreach_desc(doc, check_desc, &w);
}

static void check_layout(fsck_t *f)
{
  cleanup_free char *buf = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  size_t len = 0;
  if (pyoci_read_file_at(f->s->dir_fd, "oci-layout", 4096, &buf, &len, &err) < 0) {
    problem(f, "oci-layout: %s", err->msg);
    return;
  }
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, "oci-layout", &err);
  const char *v = j ? pyoci_json_str(j, "imageLayoutVersion") : NULL;
  if (j == NULL)
    problem(f, "%s", err->msg);
  else if (v == NULL || strncmp(v, "1.", 2) != 0)
    problem(f, "oci-layout: imageLayoutVersion is %s, not 1.x", v ? v : "missing");
}

/* Blobs present but not reachable: a note, not a problem. */
static void count_unreferenced(fsck_t *f)
{
  int fd = dup(f->s->blobs_fd);
  cleanup_dir DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    problem(f, "blobs/sha256: %s", strerror(errno));
    return;
  }
  rewinddir(dir);
  struct dirent *de;
  char digest[PYOCI_DIGEST_LEN + 256];
  while ((de = readdir(dir)) != NULL) {
    if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
      continue;
    snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
    if (pyoci_digest_set_has(&f->reachable, digest))
      continue;
    struct stat st;
    if (fstatat(f->s->blobs_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    f->stats->unreferenced_blobs++;
    f->stats->unreferenced_bytes += (uint64_t)st.st_size;
  }
}

static void check_entry(fsck_t *f, const json_t *e, size_t i)
{
  const char *d = pyoci_json_str(e, "digest");
  const char *mt = pyoci_json_str(e, "mediaType");
  json_int_t size = pyoci_json_int(e, "size", -1);
  const char *name = pyoci_json_str(json_object_get(e, "annotations"), PYOCI_REF_NAME_ANNOTATION);
  char label[400];
  if (!json_is_object(e) || !pyoci_digest_valid(d) || mt == NULL || size < 0) {
    problem(f, "index.json: entry %zu is not a valid descriptor", i + 1);
    return;
  }
  cleanup_free char *fam = name ? pyoci_ref_normalize(name, NULL) : NULL;
  if (name != NULL && fam == NULL)
    problem(f, "index.json: entry %zu has an invalid name '%.300s'", i + 1, name);
  if (name != NULL)
    snprintf(label, sizeof(label), "image %.300s", fam ? fam : name);
  else
    snprintf(label, sizeof(label), "untagged image %.19s", d);
  f->image = label;
  f->entry_digest = d;
  int before = f->problems;
  check_manifest(f, d, size, "manifest", 0);
  if (f->problems != before) {
    mark_bad(f, d);
    return;
  }
  /* Blobs are sound: does it also load as an image (diff_ids, limits)? */
  cleanup_image pyoci_image_t *img = NULL;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_image_load_digest(f->s, d, &img, &err) < 0 && err->code != PYOCI_E_NOT_FOUND) {
    problem(f, "%s: %s", label, err->msg);
    mark_bad(f, d);
  }
  for (size_t k = 0; img != NULL && k < img->n_layers; k++)
    if (!pyoci_digest_set_has(&f->diff_ids, img->diff_ids[k]))
      pyoci_digest_set_add(&f->diff_ids, img->diff_ids[k]);
}

/* Compressed layer variants kept for exports (variant.c) are cache, not
 * garbage: verify them like referenced blobs (an export would copy a damaged
 * one; --repair removes it and the next export makes it again). */
static void check_variants(fsck_t *f)
{
  pyoci_digest_set_t keep = {0};
  pyoci_variant_mark_blobs(f->s, &f->diff_ids, &keep);
  f->image = "layer variant cache";
  f->entry_digest = NULL;
  for (size_t i = 0; i < keep.n; i++)
    if (!pyoci_digest_set_has(&f->reachable, keep.v[i]))
      check_blob(f, keep.v[i], -1, "compressed layer");
  pyoci_digest_set_free(&keep);
}

/* A blob that is an image manifest or an image index, by its shape (OCI
 * and Docker alike); NULL for anything else.  Only blobs that may be one
 * (small, starting with '{') are read, and read_blob verifies them. */
static json_t *image_doc(pyoci_store_t *s, const char *hex)
{
  struct stat st;
  char first = 0;
  cleanup_close int fd = openat(s->blobs_fd, hex, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)PYOCI_MAX_MANIFEST_SIZE ||
      pread(fd, &first, 1, 0) != 1 || first != '{')
    return NULL;
  char digest[PYOCI_DIGEST_LEN + 8];
  snprintf(digest, sizeof(digest), "sha256:%.64s", hex);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  if (!pyoci_digest_valid(digest) || pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, &err) < 0)
    return NULL;
  json_t *doc = pyoci_json_parse_object(buf, len, digest, &err);
  if (doc == NULL)
    return NULL;
  bool manifest = json_is_object(json_object_get(doc, "config")) && json_is_array(json_object_get(doc, "layers"));
  bool index = json_is_array(json_object_get(doc, "manifests")) && pyoci_doc_is_index(doc, NULL);
  if (!manifest && !index) {
    json_decref(doc);
    return NULL;
  }
  json_object_set_new(doc, "size", json_integer((json_int_t)len)); /* not a field of either: ours to use */
  return doc;
}

static void note_child(void *ctx, const char *digest, int64_t size, bool is_manifest, const char *role)
{
  pyoci_digest_set_t *children = ctx;
  if (digest != NULL && is_manifest && !pyoci_digest_set_has(children, digest))
    pyoci_digest_set_add(children, digest);
}

/* --repair of an index.json that does not parse (empty after a crash on a
 * file system that lost its data, or damaged): the images are still in
 * blobs/.  Every manifest or index no other one refers to becomes an
 * untagged entry again (`pyoci images` lists it, `pyoci tag ID NAME` names
 * it); the names are lost.  A non-empty damaged file is kept beside it as
 * index.json.damaged. */
static int rebuild_index(fsck_t *f, pyoci_error_t **err)
{
  pyoci_store_t *s = f->s;
  int fd = dup(s->blobs_fd);
  cleanup_dir DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
  if (dir == NULL) {
    if (fd >= 0)
      close(fd);
    return pyoci_error_set(err, errno, "rebuild index.json: read '%s/blobs/sha256'", s->path);
  }
  rewinddir(dir);
  cleanup_json json_t *found = json_object(); /* digest -> doc */
  pyoci_digest_set_t children = {0};
  struct dirent *de;
  while ((de = readdir(dir)) != NULL) {
    json_t *doc = image_doc(s, de->d_name);
    if (doc == NULL)
      continue;
    pyoci_doc_foreach_desc(doc, note_child, &children);
    char digest[PYOCI_DIGEST_LEN + 8];
    snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
    json_object_set_new(found, digest, doc);
  }
  cleanup_json json_t *idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", PYOCI_MT_OCI_INDEX,
                                       "manifests");
  json_t *m = json_object_get(idx, "manifests");
  cleanup_strvec pyoci_strv_t top = PYOCI_STRV_INIT;
  const char *digest;
  json_t *doc;
  json_object_foreach(found, digest, doc)
  {
    if (!pyoci_digest_set_has(&children, digest))
      pyoci_strv_push(&top, digest);
  }
  pyoci_digest_set_free(&children);
  pyoci_strv_sort(&top); /* readdir order is no order */
  for (size_t i = 0; i < top.n; i++) {
    doc = json_object_get(found, top.v[i]);
    const char *mt = pyoci_json_str(doc, "mediaType");
    if (mt == NULL)
      mt = json_is_array(json_object_get(doc, "manifests")) ? PYOCI_MT_OCI_INDEX : PYOCI_MT_OCI_MANIFEST;
    json_array_append_new(m, json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", top.v[i], "size",
                                       (json_int_t)pyoci_json_int(doc, "size", 0)));
  }
  if (pyoci_store_index_replace(s, idx, "index.json.damaged", err) < 0)
    return -1;
  f->stats->repaired++;
  pyoci_log(PYOCI_LOG_INFO, "index.json rebuilt from blobs/: %zu untagged image%s (names are lost; 'pyoci tag' "
                            "names them again)",
            json_array_size(m), json_array_size(m) == 1 ? "" : "s");
  return 0;
}

int pyoci_store_fsck_full(pyoci_store_t *s, bool repair, pyoci_fsck_report_fn report, void *ctx,
                          pyoci_fsck_stats_t *stats, pyoci_error_t **err)
{
  pyoci_fsck_stats_t local = {0};
  fsck_t f = {.s = s, .repair = repair, .report = report, .ctx = ctx, .stats = stats ? stats : &local};
  memset(f.stats, 0, sizeof(*f.stats));
  if (repair && pyoci_store_lock_exclusive(s, err) < 0)
    return -1;
  check_layout(&f);
  cleanup_error pyoci_error_t *ierr = NULL;
  cleanup_json json_t *idx = pyoci_store_index_load(s, &ierr);
  if (idx == NULL) {
    problem(&f, "%s", ierr->msg);
    if (repair && ierr->code == PYOCI_E_CORRUPT && rebuild_index(&f, err) < 0) {
      pyoci_store_lock_shared(s);
      return -1;
    }
  } else {
    if (pyoci_json_int(idx, "schemaVersion", -1) != 2)
      problem(&f, "index.json: schemaVersion is not 2");
    size_t i;
    json_t *e;
    json_t *m = json_object_get(idx, "manifests");
    json_array_foreach(m, i, e)
    {
      f.stats->images++;
      check_entry(&f, e, i);
    }
    check_variants(&f);
    count_unreferenced(&f);
    if (f.stats->unreferenced_blobs > 0)
      pyoci_log(PYOCI_LOG_INFO, "note: %zu unreferenced blobs (%llu bytes); 'pyoci prune' removes them",
                f.stats->unreferenced_blobs, (unsigned long long)f.stats->unreferenced_bytes);
  }
  if (repair) {
    for (size_t i = 0; i < f.bad_manifests.n; i++) {
      cleanup_error pyoci_error_t *rerr = NULL;
      if (pyoci_store_remove_image(s, f.bad_manifests.v[i], &rerr) == 0)
        f.stats->repaired++;
    }
    pyoci_store_clean_tmp(s);
    pyoci_store_lock_shared(s);
  }
  free(f.results);
  pyoci_strmap_clear(&f.result_index, NULL);
  pyoci_digest_set_free(&f.reachable);
  pyoci_digest_set_free(&f.bad_manifests);
  pyoci_digest_set_free(&f.diff_ids);
  return f.problems;
}

int pyoci_store_fsck(pyoci_store_t *s, pyoci_fsck_report_fn report, void *ctx, pyoci_error_t **err)
{
  return pyoci_store_fsck_full(s, false, report, ctx, NULL, err);
}
