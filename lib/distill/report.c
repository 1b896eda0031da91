/* The report: every file of the original image, kept or removed, counted
 * against its owner -- the dpkg package whose .list names it, the Python
 * distribution whose RECORD names it, or "(no package)".  dpkg lists name
 * paths as packaged (/lib/...), so each listed directory is resolved inside
 * the root first (merged /usr makes /lib a symlink). */
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
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "distill_int.h"

#define MAX_LIST_SIZE (32u << 20)
#define N_LARGEST 20

typedef struct {
  const char *root;
  json_t *dircache; /* packaged dir -> real rel dir ("" = missing) */
  json_t *owner;    /* real rel path -> owner name */
} owners_t;

static const char *real_dir(owners_t *o, const char *dir)
{
  json_t *v = json_object_get(o->dircache, dir);
  if (v == NULL) {
    char *real = pyoci_keep_resolve(o->root, dir);
    json_object_set_new(o->dircache, dir, json_string(real ? real : ""));
    free(real);
    v = json_object_get(o->dircache, dir);
  }
  return json_string_value(v);
}

/* Record owner for a path as the package names it (absolute or relative). */
static void own(owners_t *o, const char *path, const char *owner)
{
  cleanup_free char *copy = xstrdup(path);
  char *slash = strrchr(copy, '/');
  if (slash == NULL || slash[1] == '\0')
    return;
  *slash = '\0';
  const char *dir = real_dir(o, *copy ? copy : "/");
  if (dir == NULL || (*dir == '\0' && *copy && strcmp(copy, "/") != 0))
    return;
  cleanup_free char *rel = pyoci_path_join(dir, slash + 1);
  const char *r = rel;
  while (*r == '/')
    r++;
  if (json_object_get(o->owner, r) != NULL)
    return;
  /* Lists name directories too; with merged /usr the packaged "/lib" is a
   * symlink in the image, which is no package's file. */
  cleanup_free char *host = pyoci_path_join(o->root, r);
  struct stat st;
  if (lstat(host, &st) < 0 || S_ISDIR(st.st_mode))
    return;
  if (S_ISLNK(st.st_mode)) {
    const char *target = real_dir(o, rel);
    cleanup_free char *thost = target && *target ? pyoci_path_join(o->root, target) : NULL;
    if (thost && lstat(thost, &st) == 0 && S_ISDIR(st.st_mode))
      return;
  }
  json_object_set_new(o->owner, r, json_string(owner));
}

static void read_lines(owners_t *o, const char *rel, const char *owner, const char *base)
{
  cleanup_free char *host = pyoci_path_join(o->root, rel);
  cleanup_free char *text = NULL;
  pyoci_error_t *ignored = NULL;
  if (pyoci_read_file(host, MAX_LIST_SIZE, &text, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return;
  }
  for (char *save = NULL, *l = strtok_r(text, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
    if (base) { /* RECORD: path,hash,size */
      l[strcspn(l, ",")] = '\0';
      cleanup_free char *p = pyoci_path_join(base, l);
      own(o, p, owner);
    } else if (l[0] == '/') {
      own(o, l, owner);
    }
  }
}

static void dpkg_owners(owners_t *o)
{
  cleanup_free char *info = pyoci_path_join(o->root, "var/lib/dpkg/info");
  cleanup_dir DIR *d = opendir(info);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    size_t n = strlen(de->d_name);
    if (n <= 5 || strcmp(de->d_name + n - 5, ".list") != 0)
      continue;
    cleanup_free char *name = xstrndup(de->d_name, n - 5);
    name[strcspn(name, ":")] = '\0';
    cleanup_free char *owner = xasprintf("deb:%s", name);
    cleanup_free char *rel = xasprintf("var/lib/dpkg/info/%s", de->d_name);
    read_lines(o, rel, owner, NULL);
  }
}

static void python_owners(owners_t *o, const char *rel, int depth)
{
  cleanup_free char *host = pyoci_path_join(o->root, rel);
  cleanup_dir DIR *d = opendir(host);
  struct dirent *de;
  bool site = strstr(rel, "site-packages") || strstr(rel, "dist-packages");
  while (d && (de = readdir(d)) != NULL) {
    if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *child = pyoci_path_join(rel, de->d_name);
    size_t n = strlen(de->d_name);
    if (site && n > 10 && strcmp(de->d_name + n - 10, ".dist-info") == 0) {
      cleanup_free char *record = pyoci_path_join(child, "RECORD");
      cleanup_free char *owner = NULL;
      const char *dash = strchr(de->d_name, '-');
      owner = xasprintf("python:%.*s", (int)(dash ? dash - de->d_name : (ptrdiff_t)n - 10), de->d_name);
      read_lines(o, record, owner, rel);
    } else if (depth < 5 && !site) {
      python_owners(o, child, depth + 1);
    }
  }
}

typedef struct {
  owners_t *o;
  const json_t *keep;
  json_t *pkgs;    /* owner -> {kept_files, kept_bytes, removed_files, removed_bytes} */
  json_t *removed; /* [{path, bytes, package}] */
  json_int_t tot[4];
} walk_t;

static void count(json_t *obj, const char *key, json_int_t add)
{
  json_object_set_new(obj, key, json_integer(json_integer_value(json_object_get(obj, key)) + add));
}

static void account(walk_t *w, const char *rel, const struct stat *st)
{
  const char *owner = json_string_value(json_object_get(w->o->owner, rel));
  if (owner == NULL)
    owner = "(no package)";
  json_t *p = json_object_get(w->pkgs, owner);
  if (p == NULL) {
    p = json_pack("{s:I, s:I, s:I, s:I}", "kept_files", (json_int_t)0, "kept_bytes", (json_int_t)0,
                  "removed_files", (json_int_t)0, "removed_bytes", (json_int_t)0);
    json_object_set_new(w->pkgs, owner, p);
  }
  bool kept = json_object_get(w->keep, rel) != NULL;
  json_int_t bytes = S_ISREG(st->st_mode) ? (json_int_t)st->st_size : 0;
  count(p, kept ? "kept_files" : "removed_files", 1);
  count(p, kept ? "kept_bytes" : "removed_bytes", bytes);
  w->tot[kept ? 0 : 2] += 1;
  w->tot[kept ? 1 : 3] += bytes;
  if (!kept && bytes > 0)
    json_array_append_new(w->removed, json_pack("{s:s, s:I, s:s}", "path", rel, "bytes", bytes, "package", owner));
}

static int walk_one(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  if (e->type != DT_DIR)
    account(ctx, e->rel, e->st);
  return 0;
}

static int by_bytes_desc(const void *a, const void *b)
{
  json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "bytes"));
  json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "bytes"));
  return x < y ? 1 : x > y ? -1 : 0;
}

static json_t *largest(json_t *removed)
{
  size_t n = json_array_size(removed);
  json_t **v = xcalloc(n + 1, sizeof(json_t *));
  for (size_t i = 0; i < n; i++)
    v[i] = json_array_get(removed, i);
  if (n)
    qsort(v, n, sizeof(json_t *), by_bytes_desc);
  json_t *out = json_array();
  for (size_t i = 0; i < n && i < N_LARGEST; i++)
    json_array_append(out, v[i]);
  free(v);
  return out;
}

json_t *pyoci_distill_report(const char *root, const json_t *keep, pyoci_error_t **err)
{
  owners_t o = {.root = root, .dircache = json_object(), .owner = json_object()};
  dpkg_owners(&o);
  python_owners(&o, "usr", 0);
  python_owners(&o, "root", 0);
  python_owners(&o, "home", 0);
  python_owners(&o, "opt", 0);
  walk_t w = {.o = &o, .keep = keep, .pkgs = json_object(), .removed = json_array()};
  cleanup_close int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0 || pyoci_walk_at(rfd, root, walk_one, &w, 0, PYOCI_WALK_STAT, err) < 0) {
    if (rfd < 0)
      pyoci_error_set(err, errno, "open '%s'", root);
    json_decref(w.pkgs);
    json_decref(w.removed);
    json_decref(o.dircache);
    json_decref(o.owner);
    return NULL;
  }
  json_t *pkgs = json_array();
  const char *key;
  json_t *v;
  json_object_foreach(w.pkgs, key, v) {
    json_t *p = json_deep_copy(v);
    json_object_set_new(p, "package", json_string(key));
    json_array_append_new(pkgs, p);
  }
  json_t *r = json_pack("{s:{s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}, s:o, s:o}", "original", "files",
                        w.tot[0] + w.tot[2], "bytes", w.tot[1] + w.tot[3], "kept", "files", w.tot[0], "bytes",
                        w.tot[1], "removed", "files", w.tot[2], "bytes", w.tot[3], "packages", pkgs,
                        "largest_removals", largest(w.removed));
  json_decref(w.pkgs);
  json_decref(w.removed);
  json_decref(o.dircache);
  json_decref(o.owner);
  if (r == NULL)
    pyoci_error_set(err, 0, "distill report for '%s'", root);
  return r;
}
