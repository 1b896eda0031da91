/* The staging root: the kept files copied out of the image view with their
 * modes, owners and times, parents first.  Then the package records: the
 * dpkg database (status + info/) is replaced by distroless-style
 * var/lib/dpkg/status.d/NAME stanzas and NAME.md5sums (only the kept files'
 * lines) for the packages that still have a file, so scanners list what is
 * there and nothing else.  Python dist-info directories come along only
 * with their distributions (pyclosure.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fdcopy.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "distill_int.h"

#define MAX_STATUS_SIZE (64u << 20)

static int copy_meta(int dirfd, const char *name, const struct stat *st, pyoci_error_t **err)
{
  if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return pyoci_error_set(err, errno, "chown '%s'", name);
  if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
    return pyoci_error_set(err, errno, "chmod '%s'", name);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

/* Make rel's parent directories in staging as they are in the image. */
static int make_parents(const char *root, const char *staging, const char *rel, pyoci_error_t **err)
{
  cleanup_free char *copy = xstrdup(rel);
  for (char *slash = strchr(copy, '/'); slash; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    cleanup_free char *dst = pyoci_path_join(staging, copy);
    struct stat st;
    if (lstat(dst, &st) < 0) {
      cleanup_free char *src = pyoci_path_join(root, copy);
      if (lstat(src, &st) < 0 || !S_ISDIR(st.st_mode))
        return pyoci_error_set(err, errno ? errno : ENOTDIR, "distill: '/%s' is not a directory in the image", copy);
      if (mkdir(dst, 0755) < 0)
        return pyoci_error_set(err, errno, "mkdir '%s'", dst);
    }
    *slash = '/';
  }
  return 0;
}

/* A second kept path to an inode already staged becomes a hard link to it,
 * as it is in the image: the layer then holds the bytes once, and Docker
 * counts them once. */
static int link_seen(json_t *inodes, const struct stat *st, const char *staging, const char *dst, const char *rel,
                     pyoci_error_t **err)
{
  if (st->st_nlink < 2)
    return 0;
  char key[64];
  snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
  const char *first = json_string_value(json_object_get(inodes, key));
  if (first == NULL) {
    json_object_set_new(inodes, key, json_string(rel));
    return 0;
  }
  cleanup_free char *src = pyoci_path_join(staging, first);
  if (link(src, dst) < 0)
    return pyoci_error_set(err, errno, "link '%s' to '%s'", rel, first);
  return 1;
}

static int copy_one(const char *root, const char *staging, const char *rel, json_t *inodes, pyoci_error_t **err)
{
  cleanup_free char *src = pyoci_path_join(root, rel);
  cleanup_free char *dst = pyoci_path_join(staging, rel);
  struct stat st;
  if (lstat(src, &st) < 0 || make_parents(root, staging, rel, err) < 0)
    return *err ? -1 : 0;
  struct stat have;
  if (lstat(dst, &have) == 0)
    return 0;
  if (S_ISDIR(st.st_mode)) {
    if (mkdir(dst, 0755) < 0)
      return pyoci_error_set(err, errno, "mkdir '%s'", dst);
  } else if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(src, target, sizeof(target) - 1);
    if (n < 0)
      return pyoci_error_set(err, errno, "readlink '%s'", src);
    target[n] = '\0';
    if (symlink(target, dst) < 0)
      return pyoci_error_set(err, errno, "symlink '%s'", dst);
  } else if (S_ISREG(st.st_mode)) {
    int linked = link_seen(inodes, &st, staging, dst, rel, err);
    if (linked != 0)
      return linked < 0 ? -1 : 0;
    cleanup_close int in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    cleanup_close int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (in < 0 || out < 0)
      return pyoci_error_set(err, errno, "copy '%s'", rel);
    if (pyoci_copy_fd(in, out, rel, err) < 0)
      return -1;
  } else {
    return 0; /* devices, fifos, sockets: not kept */
  }
  cleanup_close int parent = -1;
  cleanup_free char *dcopy = xstrdup(dst);
  char *slash = strrchr(dcopy, '/');
  *slash = '\0';
  parent = open(dcopy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return parent < 0 ? pyoci_error_set(err, errno, "open '%s'", dcopy) : copy_meta(parent, slash + 1, &st, err);
}

/* Directory modes, owners and times last (writing into them changed the
 * times), children before parents. */
static int fix_dir(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  if (e->type != DT_DIR || !e->post)
    return 0;
  cleanup_free char *src = pyoci_path_join(ctx, e->rel);
  struct stat st;
  pyoci_error_t *ignored = NULL;
  if (lstat(src, &st) == 0 && S_ISDIR(st.st_mode))
    copy_meta(e->dirfd, e->name, &st, &ignored);
  pyoci_error_free(ignored);
  return 0;
}

static int by_strcmp(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The kept set sorted: parents are made before children. */
static const char **sorted_keys(const json_t *set, size_t *n)
{
  *n = json_object_size(set);
  const char **v = xcalloc(*n + 1, sizeof(char *));
  size_t i = 0;
  const char *key;
  json_t *val;
  json_object_foreach((json_t *)set, key, val) v[i++] = key;
  qsort(v, *n, sizeof(char *), by_strcmp);
  return v;
}

/* Lines of md5sums ("HASH  path" without the leading '/') for kept files. */
static char *kept_md5sums(pyoci_keep_t *k, const char *pkg, const char *arch)
{
  cleanup_free char *a = xasprintf("var/lib/dpkg/info/%s:%s.md5sums", pkg, arch);
  cleanup_free char *b = xasprintf("var/lib/dpkg/info/%s.md5sums", pkg);
  cleanup_free char *text = NULL;
  pyoci_error_t *ignored = NULL;
  cleanup_free char *ha = pyoci_path_join(k->root, a), *hb = pyoci_path_join(k->root, b);
  if (pyoci_read_file(ha, MAX_STATUS_SIZE, &text, NULL, &ignored) < 0 &&
      pyoci_read_file(hb, MAX_STATUS_SIZE, &text, NULL, &ignored) < 0) {
    pyoci_error_free(ignored);
    return NULL;
  }
  pyoci_error_free(ignored);
  strbuf_t sb = STRBUF_INIT;
  for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    const char *path = strstr(l, "  ");
    if (path == NULL)
      continue;
    cleanup_free char *real = pyoci_keep_resolve(k->root, path + 2);
    if (real && json_object_get(k->keep, real))
      strbuf_addf(&sb, "%s\n", l);
  }
  return sb.len ? strbuf_detach(&sb) : NULL;
}

static char *field(const char *stanza, const char *name)
{
  size_t n = strlen(name);
  for (const char *l = stanza; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    if (strncmp(l, name, n) == 0 && l[n] == ':') {
      const char *v = l + n + 1 + strspn(l + n + 1, " ");
      return xstrndup(v, strcspn(v, "\n"));
    }
  }
  return NULL;
}

/* One stanza of var/lib/dpkg/status: a status.d record when the package is
 * installed and still has a kept file. */
static int stanza_record(pyoci_keep_t *k, const json_t *kept_pkgs, const char *dir, const char *stanza,
                         pyoci_error_t **err)
{
  cleanup_free char *pkg = field(stanza, "Package"), *status = field(stanza, "Status");
  cleanup_free char *arch = field(stanza, "Architecture");
  if (pkg == NULL || strchr(pkg, '/') || pkg[0] == '.' || status == NULL || strstr(status, " installed") == NULL)
    return 0;
  if (json_object_get(kept_pkgs, pkg) == NULL)
    return 0;
  cleanup_free char *md5 = kept_md5sums(k, pkg, arch ? arch : "");
  strbuf_t sb = STRBUF_INIT;
  strbuf_addf(&sb, "%s\n", stanza);
  cleanup_free char *rec = pyoci_path_join(dir, pkg);
  cleanup_free char *md5p = xasprintf("%s.md5sums", rec);
  int rc = pyoci_write_file_atomic(rec, sb.buf, sb.len, 0644, err);
  if (rc == 0 && md5) /* none when only symlinks of it are left */
    rc = pyoci_write_file_atomic(md5p, md5, strlen(md5), 0644, err);
  strbuf_release(&sb);
  return rc;
}

/* "deb:NAME" packages of the report that kept a file: NAME -> true. */
static json_t *kept_debs(const json_t *report)
{
  json_t *set = json_object();
  size_t i;
  json_t *p;
  json_array_foreach(json_object_get(report, "packages"), i, p) {
    const char *name = json_string_value(json_object_get(p, "package"));
    if (name && strncmp(name, "deb:", 4) == 0 && json_integer_value(json_object_get(p, "kept_files")) > 0)
      json_object_set_new(set, name + 4, json_true());
  }
  return set;
}

static int dpkg_records(pyoci_keep_t *k, const json_t *report, const char *staging, pyoci_error_t **err)
{
  cleanup_free char *status = pyoci_path_join(k->root, "var/lib/dpkg/status");
  cleanup_free char *text = NULL;
  size_t len = 0;
  pyoci_error_t *ignored = NULL;
  if (pyoci_read_file(status, MAX_STATUS_SIZE, &text, &len, &ignored) < 0) {
    pyoci_error_free(ignored); /* no dpkg database: nothing to write */
    return 0;
  }
  cleanup_free char *dir = pyoci_path_join(staging, "var/lib/dpkg/status.d");
  if (pyoci_mkdir_p(dir, 0755, err) < 0)
    return -1;
  cleanup_json json_t *kept_pkgs = kept_debs(report);
  char *p = text;
  while (p && *p) {
    char *end = strstr(p, "\n\n");
    if (end)
      *end = '\0';
    while (*p == '\n')
      p++;
    if (*p && stanza_record(k, kept_pkgs, dir, p, err) < 0)
      return -1;
    p = end ? end + 2 : NULL;
  }
  return 0;
}

int pyoci_distill_stage(pyoci_keep_t *k, const json_t *report, const char *staging, pyoci_error_t **err)
{
  size_t n = 0;
  cleanup_free const char **keys = sorted_keys(k->keep, &n);
  cleanup_json json_t *inodes = json_object(); /* "dev:ino" -> first staged path */
  for (size_t i = 0; i < n; i++) {
    /* the dpkg database is rewritten below, not copied */
    if (strncmp(keys[i], "var/lib/dpkg/", 13) == 0)
      continue;
    if (copy_one(k->root, staging, keys[i], inodes, err) < 0)
      return pyoci_error_prefix(err, "distill: stage '/%s'", keys[i]);
  }
  if (dpkg_records(k, report, staging, err) < 0)
    return -1;
  cleanup_close int sfd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sfd < 0)
    return pyoci_error_set(err, errno, "open '%s'", staging);
  return pyoci_walk_at(sfd, staging, fix_dir, (void *)k->root, 0, PYOCI_WALK_POSTORDER, err);
}
