/* The catalog: feeds files into an fsview, then runs OS detection and the
 * catalogers over what survived (see catalog.h). */
#include "catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "fsview.h"
#include "pkg_int.h"

#define MAX_DIR_DEPTH 256

/* For a whole-database file (dpkg status): package key -> first layer of
 * the unbroken run of layers whose copy of the file lists it. */
typedef struct {
  char *path;
  char **keys; /* sorted */
  int *first;
  size_t n;
} dbtrack_t;

struct pyoci_catalog {
  pyoci_fsview_t *view;
  bool strict;
  char **layer_digests;
  size_t n_layer_digests;
  dbtrack_t *tracks;
  size_t n_tracks;
  char *project_root; /* scan --fs: also project files, includes read here */
};

static const pyoci_cataloger_t *const registry[] = {
    &pyoci_cataloger_dpkg,
    &pyoci_cataloger_apk,
    &pyoci_cataloger_python,
    NULL,
};

const pyoci_cataloger_t *const *pyoci_catalogers(void)
{
  return registry;
}

const char *pyoci_pkg_type_name(pyoci_pkg_type_t t)
{
  switch (t) {
  case PYOCI_PKG_DEB:
    return "deb";
  case PYOCI_PKG_APK:
    return "apk";
  case PYOCI_PKG_PYTHON:
    return "python";
  }
  return "unknown";
}

void pyoci_pkg_clear(pyoci_pkg_t *p)
{
  free(p->name);
  free(p->version);
  free(p->arch);
  free(p->source_name);
  free(p->source_version);
  free(p->license);
  free(p->maintainer);
  free(p->origin);
  free(p->layer_digest);
  free(p->purl);
  free(p->owner);
  memset(p, 0, sizeof(*p));
  p->layer_index = -1;
}

void pyoci_catalog_result_free(pyoci_catalog_result_t *r)
{
  if (r == NULL)
    return;
  pyoci_os_clear(&r->os);
  for (size_t i = 0; i < r->n_packages; i++)
    pyoci_pkg_clear(&r->packages[i]);
  free(r->packages);
  for (size_t i = 0; i < r->n_warnings; i++)
    free(r->warnings[i]);
  free(r->warnings);
  free(r);
}

pyoci_catalog_t *pyoci_catalog_new(void)
{
  pyoci_catalog_t *cat = xcalloc(1, sizeof(*cat));
  cat->view = pyoci_fsview_new();
  return cat;
}

static void track_clear(dbtrack_t *t)
{
  for (size_t i = 0; i < t->n; i++)
    free(t->keys[i]);
  free(t->keys);
  free(t->first);
  t->keys = NULL;
  t->first = NULL;
  t->n = 0;
}

void pyoci_catalog_free(pyoci_catalog_t *cat)
{
  if (cat == NULL)
    return;
  pyoci_fsview_free(cat->view);
  for (size_t i = 0; i < cat->n_layer_digests; i++)
    free(cat->layer_digests[i]);
  free(cat->layer_digests);
  for (size_t i = 0; i < cat->n_tracks; i++) {
    track_clear(&cat->tracks[i]);
    free(cat->tracks[i].path);
  }
  free(cat->tracks);
  free(cat->project_root);
  free(cat);
}

void pyoci_catalog_set_strict(pyoci_catalog_t *cat, bool strict)
{
  cat->strict = strict;
}

void pyoci_catalog_set_layer_digest(pyoci_catalog_t *cat, int layer_index, const char *digest)
{
  if (layer_index < 0 || layer_index > 100000 || digest == NULL)
    return;
  if ((size_t)layer_index >= cat->n_layer_digests) {
    size_t n = (size_t)layer_index + 1;
    cat->layer_digests = xrealloc(cat->layer_digests, n * sizeof(char *));
    memset(cat->layer_digests + cat->n_layer_digests, 0, (n - cat->n_layer_digests) * sizeof(char *));
    cat->n_layer_digests = n;
  }
  free(cat->layer_digests[layer_index]);
  cat->layer_digests[layer_index] = xstrdup(digest);
}

/* ---- which files matter ---- */

static bool interesting_path(const char *path)
{
  if (pyoci_os_probe(path) || pyoci_owner_probe(path))
    return true;
  for (const pyoci_cataloger_t *const *c = registry; *c != NULL; c++)
    if ((*c)->probe(path))
      return true;
  return false;
}

#define interesting(path) (interesting_path(path) || (cat->project_root && pyoci_lockfile_probe(path)))

void pyoci_catalog_set_project(pyoci_catalog_t *cat, const char *root)
{
  free(cat->project_root);
  cat->project_root = xstrdup(root);
}

static const pyoci_cataloger_t *whole_database_cataloger(const char *path)
{
  for (const pyoci_cataloger_t *const *c = registry; *c != NULL; c++)
    if ((*c)->whole_database && (*c)->probe(path))
      return *c;
  return NULL;
}

/* ---- whole-database layer tracking ---- */

static char *pkg_key(const pyoci_pkg_t *p)
{
  char *k = NULL;
  k = xasprintf("%s\t%s\t%s", p->name, p->version, p->arch ? p->arch : "");
  return k;
}

typedef struct {
  char **keys;
  size_t n, cap;
} keyset_t;

static int collect_key(void *ctx, pyoci_pkg_t *p, pyoci_error_t **err)
{
  keyset_t *ks = ctx;
  if (ks->n == ks->cap) {
    ks->cap = ks->cap ? ks->cap * 2 : 256;
    ks->keys = xrealloc(ks->keys, ks->cap * sizeof(char *));
  }
  ks->keys[ks->n++] = pkg_key(p);
  pyoci_pkg_clear(p);
  return 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static dbtrack_t *track_for(pyoci_catalog_t *cat, const char *path)
{
  for (size_t i = 0; i < cat->n_tracks; i++)
    if (strcmp(cat->tracks[i].path, path) == 0)
      return &cat->tracks[i];
  cat->tracks = xrealloc(cat->tracks, (cat->n_tracks + 1) * sizeof(*cat->tracks));
  dbtrack_t *t = &cat->tracks[cat->n_tracks++];
  memset(t, 0, sizeof(*t));
  t->path = xstrdup(path);
  return t;
}

static int track_first(const dbtrack_t *t, const char *key)
{
  char *const *hit = t->n ? bsearch(&key, t->keys, t->n, sizeof(char *), cmp_str) : NULL;
  return hit ? t->first[hit - t->keys] : -1;
}

/* A new copy of a whole-database file arrived in `layer`: packages it shares
 * with the copy it replaces keep their first layer, new ones start here.
 * A copy we cannot parse counts as empty (finish() reports the final one). */
static void track_update(pyoci_catalog_t *cat, const pyoci_cataloger_t *c, const char *path, int layer,
                         bool replaced_existing, const char *content, size_t len)
{
  keyset_t ks = {0};
  cleanup_error pyoci_error_t *perr = NULL;
  if (c->parse(path, content, len, collect_key, &ks, &perr) < 0) {
    for (size_t i = 0; i < ks.n; i++)
      free(ks.keys[i]);
    ks.n = 0;
  }
  dbtrack_t *t = track_for(cat, path);
  if (ks.n > 0)
    qsort(ks.keys, ks.n, sizeof(char *), cmp_str);
  int *first = xcalloc(ks.n + 1, sizeof(int));
  for (size_t i = 0; i < ks.n; i++) {
    int f = replaced_existing ? track_first(t, ks.keys[i]) : -1;
    first[i] = f >= 0 ? f : layer;
  }
  track_clear(t);
  t->keys = ks.keys;
  t->first = first;
  t->n = ks.n;
}

/* ---- feeding ---- */

static int keep_file(pyoci_catalog_t *cat, const char *path, int layer, char *content, size_t len,
                     pyoci_error_t **err)
{
  pyoci_owner_trim(path, content, &len);
  const pyoci_fsv_entry_t *old = pyoci_fsview_get(cat->view, path);
  bool existed = old != NULL && old->type == PYOCI_FSV_FILE;
  if (pyoci_fsview_put_file(cat->view, path, layer, content, len, err) < 0)
    return -1;
  const pyoci_cataloger_t *c = layer >= 0 ? whole_database_cataloger(path) : NULL;
  if (c != NULL) {
    const pyoci_fsv_entry_t *e = pyoci_fsview_get(cat->view, path);
    track_update(cat, c, path, layer, existed, e->content, e->len);
  }
  return 0;
}

static int read_entry(const char *path, int64_t size, pyoci_cat_read_fn read, void *ctx, char **out, size_t *len,
                      pyoci_error_t **err)
{
  if (size < 0 || (uint64_t)size > PYOCI_PKG_MAX_FILE)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': %lld bytes is over the limit of %u for package metadata",
                                path, (long long)size, PYOCI_PKG_MAX_FILE);
  strbuf_t sb = STRBUF_INIT;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(ctx, chunk, sizeof(chunk), err);
    if (n < 0) {
      strbuf_release(&sb);
      return pyoci_error_prefix(err, "read '%s'", path);
    }
    if (n == 0)
      break;
    if (sb.len + (size_t)n > PYOCI_PKG_MAX_FILE) {
      strbuf_release(&sb);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s': over the limit of %u bytes for package metadata",
                                  path, PYOCI_PKG_MAX_FILE);
    }
    strbuf_add(&sb, chunk, (size_t)n);
  }
  *len = sb.len;
  *out = strbuf_detach(&sb);
  return 0;
}

static char *dir_join(const char *dir, const char *name)
{
  char *r = NULL;
  r = xasprintf("%s%s%s", dir, dir[0] ? "/" : "", name);
  return r;
}

int pyoci_catalog_feed_entry(pyoci_catalog_t *cat, int layer, const char *raw_path, pyoci_cat_type_t type,
                             int64_t size, const char *link, pyoci_cat_read_fn read, void *read_ctx,
                             pyoci_error_t **err)
{
  cleanup_free char *path = pyoci_fsview_clean_path(raw_path);
  if (path[0] == '\0')
    return 0;
  char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (strncmp(base, ".wh.", 4) == 0) {
    cleanup_free char *dir = xstrndup(path, slash ? (size_t)(slash - path) : 0);
    if (strcmp(base, ".wh..wh..opq") == 0) {
      pyoci_fsview_opaque(cat->view, dir, layer);
    } else if (base[4] != '\0') {
      cleanup_free char *target = dir_join(dir, base + 4);
      pyoci_fsview_whiteout(cat->view, target, layer);
    }
    return 0;
  }
  switch (type) {
  case PYOCI_CAT_DIR:
    /* A directory over a kept file replaces it; over a directory, merges. */
    if (pyoci_fsview_get(cat->view, path) != NULL)
      pyoci_fsview_whiteout(cat->view, path, layer + 1);
    return 0;
  case PYOCI_CAT_FILE: {
    if (!interesting(path)) {
      pyoci_fsview_replaced(cat->view, path, layer);
      return 0;
    }
    char *content = NULL;
    size_t len = 0;
    if (read_entry(path, size, read, read_ctx, &content, &len, err) < 0)
      return -1;
    return keep_file(cat, path, layer, content, len, err);
  }
  case PYOCI_CAT_SYMLINK:
    if (interesting(path) && link != NULL)
      pyoci_fsview_put_symlink(cat->view, path, layer, link);
    else
      pyoci_fsview_replaced(cat->view, path, layer);
    return 0;
  case PYOCI_CAT_HARDLINK: {
    /* Only a link to a file we kept can be followed in one pass. */
    cleanup_free char *target = link ? pyoci_fsview_clean_path(link) : NULL;
    const pyoci_fsv_entry_t *t = target ? pyoci_fsview_get(cat->view, target) : NULL;
    if (interesting(path) && t != NULL && t->type == PYOCI_FSV_FILE) {
      char *copy = xmalloc(t->len + 1);
      memcpy(copy, t->content, t->len + 1);
      return keep_file(cat, path, layer, copy, t->len, err);
    }
    pyoci_fsview_replaced(cat->view, path, layer);
    return 0;
  }
  case PYOCI_CAT_OTHER:
    pyoci_fsview_replaced(cat->view, path, layer);
    return 0;
  }
  return 0;
}

/* ---- directories ---- */

static int walk(pyoci_catalog_t *cat, int dirfd, const char *rel, const char *top, int depth, pyoci_error_t **err)
{
  if (depth > MAX_DIR_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "'%s/%s': directories nested deeper than %d", top, rel,
                                MAX_DIR_DEPTH);
  int fd2 = dup(dirfd);
  if (fd2 < 0)
    return pyoci_error_set(err, errno, "dup");
  cleanup_dir DIR *d = fdopendir(fd2);
  if (d == NULL) {
    close(fd2);
    return pyoci_error_set(err, errno, "opendir '%s/%s'", top, rel);
  }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    const char *name = de->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      continue;
    /* A live root ("/") has kernel file systems here; images never do. */
    if (depth == 0 && (strcmp(name, "proc") == 0 || strcmp(name, "sys") == 0 || strcmp(name, "dev") == 0))
      continue;
    cleanup_free char *child = dir_join(rel, name);
    unsigned char t = de->d_type;
    if (t == DT_UNKNOWN) {
      struct stat st;
      if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return pyoci_error_set(err, errno, "stat '%s/%s'", top, child);
      t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (t == DT_DIR) {
      cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        pyoci_log(PYOCI_LOG_WARN, "skipping '%s/%s': %s", top, child, strerror(errno));
        continue;
      }
      if (walk(cat, sub, child, top, depth + 1, err) < 0)
        return -1;
    } else if (t == DT_REG && interesting(child)) {
      /* O_NONBLOCK: a FIFO swapped in after readdir must not hang us */
      cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0)
        return pyoci_error_set(err, errno, "open '%s/%s'", top, child);
      struct stat st;
      if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        continue;
      char *content = NULL;
      size_t len = 0;
      if (pyoci_read_fd(fd, child, PYOCI_PKG_MAX_FILE, &content, &len, err) < 0)
        return -1;
      if (keep_file(cat, child, -1, content, len, err) < 0)
        return -1;
    } else if (t == DT_LNK && interesting(child)) {
      char target[4096];
      ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
      if (n < 0)
        return pyoci_error_set(err, errno, "readlink '%s/%s'", top, child);
      target[n] = '\0';
      pyoci_fsview_put_symlink(cat->view, child, -1, target);
    }
  }
  if (errno != 0)
    return pyoci_error_set(err, errno, "readdir '%s/%s'", top, rel);
  return 0;
}

int pyoci_catalog_feed_dir(pyoci_catalog_t *cat, const char *path, pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "open '%s'", path);
  return walk(cat, fd, "", path, 0, err);
}

/* ---- finishing ---- */

typedef struct {
  pyoci_catalog_t *cat;
  pyoci_catalog_result_t *res;
  size_t cap;
  const pyoci_fsv_entry_t *entry;
  const dbtrack_t *track;
} add_ctx_t;

static int add_package(void *vctx, pyoci_pkg_t *p, pyoci_error_t **err)
{
  add_ctx_t *a = vctx;
  pyoci_catalog_result_t *r = a->res;
  if (r->n_packages >= PYOCI_PKG_MAX_PACKAGES) {
    pyoci_pkg_clear(p);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: more than %d packages", a->entry->path,
                                PYOCI_PKG_MAX_PACKAGES);
  }
  if (r->n_packages == a->cap) {
    a->cap = a->cap ? a->cap * 2 : 256;
    r->packages = xrealloc(r->packages, a->cap * sizeof(*r->packages));
  }
  pyoci_pkg_t *dst = &r->packages[r->n_packages++];
  *dst = *p;
  memset(p, 0, sizeof(*p));
  dst->origin = xstrdup(a->entry->path);
  dst->layer_index = a->entry->layer;
  if (a->track != NULL && dst->layer_index >= 0) {
    cleanup_free char *key = pkg_key(dst);
    int f = track_first(a->track, key);
    if (f >= 0 && f <= dst->layer_index)
      dst->layer_index = f;
  }
  if (dst->layer_index >= 0 && (size_t)dst->layer_index < a->cat->n_layer_digests &&
      a->cat->layer_digests[dst->layer_index] != NULL)
    dst->layer_digest = xstrdup(a->cat->layer_digests[dst->layer_index]);
  return 0;
}

/* A file we could not parse: fatal when strict, else a warning. */
static int parse_failed(pyoci_catalog_t *cat, pyoci_catalog_result_t *r, pyoci_error_t **perr, pyoci_error_t **err)
{
  if (cat->strict) {
    *err = *perr;
    *perr = NULL;
    return -1;
  }
  const char *msg = (*perr && (*perr)->msg) ? (*perr)->msg : "parse error";
  pyoci_log(PYOCI_LOG_WARN, "%s", msg);
  r->warnings = xrealloc(r->warnings, (r->n_warnings + 1) * sizeof(char *));
  r->warnings[r->n_warnings++] = xstrdup(msg);
  pyoci_error_release(perr);
  return 0;
}

static int detect_os(pyoci_catalog_t *cat, pyoci_catalog_result_t *r, pyoci_error_t **err)
{
  const pyoci_fsv_entry_t *e = pyoci_fsview_resolve(cat->view, "etc/os-release");
  if (e == NULL)
    e = pyoci_fsview_resolve(cat->view, "usr/lib/os-release");
  cleanup_error pyoci_error_t *perr = NULL;
  if (e != NULL && pyoci_os_parse_os_release(&r->os, e->path, e->content, e->len, &perr) < 0 &&
      parse_failed(cat, r, &perr, err) < 0)
    return -1;
  static const char *const lines[] = {"etc/debian_version", "etc/alpine-release"};
  for (size_t i = 0; i < 2; i++) {
    e = pyoci_fsview_resolve(cat->view, lines[i]);
    char **slot = i == 0 ? &r->os.debian_version : &r->os.alpine_release;
    if (e != NULL && pyoci_os_parse_release_line(e->path, e->content, e->len, slot, &perr) < 0 &&
        parse_failed(cat, r, &perr, err) < 0)
      return -1;
  }
  pyoci_os_derive(&r->os);
  return 0;
}

/* scan --fs: the project files, each all or nothing like a database. */
static int run_projects(pyoci_catalog_t *cat, pyoci_catalog_result_t *r, const pyoci_fsv_entry_t **entries, size_t n,
                        add_ctx_t *a, pyoci_error_t **err)
{
  for (size_t i = 0; i < n; i++) {
    const pyoci_fsv_entry_t *e = entries[i];
    pyoci_lockfile_kind_t kind = e->type == PYOCI_FSV_FILE ? pyoci_lockfile_probe(e->path) : PYOCI_LOCKFILE_NONE;
    if (kind == PYOCI_LOCKFILE_NONE)
      continue;
    a->entry = e;
    a->track = NULL;
    size_t before = r->n_packages;
    cleanup_error pyoci_error_t *perr = NULL;
    if (pyoci_lockfile_parse(kind, e->path, e->content, e->len, pyoci_lockfile_include_in_root, cat->project_root,
                         add_package, a, &perr) < 0) {
      while (r->n_packages > before)
        pyoci_pkg_clear(&r->packages[--r->n_packages]);
      if (parse_failed(cat, r, &perr, err) < 0)
        return -1;
    }
  }
  return 0;
}

static int strcmp0(const char *a, const char *b)
{
  return strcmp(a ? a : "", b ? b : "");
}

static int cmp_pkg(const void *va, const void *vb)
{
  const pyoci_pkg_t *a = va, *b = vb;
  int c;
  if (a->type != b->type)
    return a->type < b->type ? -1 : 1;
  if ((c = strcmp(a->name, b->name)) != 0 || (c = strcmp(a->version, b->version)) != 0 ||
      (c = strcmp0(a->arch, b->arch)) != 0 || (c = strcmp(a->origin, b->origin)) != 0)
    return c;
  return 0;
}

int pyoci_catalog_finish(pyoci_catalog_t *cat, pyoci_catalog_result_t **out, pyoci_error_t **err)
{
  pyoci_catalog_result_t *r = xcalloc(1, sizeof(*r));
  cleanup_catalog_result pyoci_catalog_result_t *res = r;
  if (detect_os(cat, r, err) < 0)
    return -1;
  size_t n = 0;
  cleanup_free const pyoci_fsv_entry_t **entries = pyoci_fsview_sorted(cat->view, &n);
  add_ctx_t a = {.cat = cat, .res = r};
  for (size_t i = 0; i < n; i++) {
    const pyoci_fsv_entry_t *e = entries[i];
    if (e->type != PYOCI_FSV_FILE)
      continue; /* a linked database is counted where it really is */
    for (const pyoci_cataloger_t *const *c = registry; *c != NULL; c++) {
      if (!(*c)->probe(e->path))
        continue;
      a.entry = e;
      a.track = NULL;
      for (size_t t = 0; (*c)->whole_database && t < cat->n_tracks; t++)
        if (strcmp(cat->tracks[t].path, e->path) == 0)
          a.track = &cat->tracks[t];
      size_t before = r->n_packages;
      cleanup_error pyoci_error_t *perr = NULL;
      if ((*c)->parse(e->path, e->content, e->len, add_package, &a, &perr) < 0) {
        /* All or nothing per file: a half-read database would mislead. */
        while (r->n_packages > before)
          pyoci_pkg_clear(&r->packages[--r->n_packages]);
        if (parse_failed(cat, r, &perr, err) < 0)
          return -1;
      }
    }
  }
  if (cat->project_root != NULL && run_projects(cat, r, entries, n, &a, err) < 0)
    return -1;
  pyoci_owner_resolve(r, entries, n);
  for (size_t i = 0; i < r->n_packages; i++)
    r->packages[i].purl = pyoci_purl_for(&r->packages[i], &r->os);
  if (r->n_packages > 1)
    qsort(r->packages, r->n_packages, sizeof(*r->packages), cmp_pkg);
  *out = steal_pointer(&res);
  return 0;
}

pyoci_cat_type_t pyoci_cat_type_of(pyoci_tar_type_t t)
{
  switch (t) {
  case PYOCI_TAR_FILE:
    return PYOCI_CAT_FILE;
  case PYOCI_TAR_DIR:
    return PYOCI_CAT_DIR;
  case PYOCI_TAR_SYMLINK:
    return PYOCI_CAT_SYMLINK;
  case PYOCI_TAR_HARDLINK:
    return PYOCI_CAT_HARDLINK;
  default:
    return PYOCI_CAT_OTHER;
  }
}
