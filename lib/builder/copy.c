#include "copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/layer/codec.h"
#include "lib/layer/layer.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fdcopy.h"
#include "lib/util/fs.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"

#define MAX_COPY_DEPTH 256

typedef struct {
  const pyoci_copy_t *c;
  int src_root;
  int dest_root;
  pyoci_sha256_t *hash; /* set when hashing instead of copying */
} copy_run_t;

static void strv_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

static bool has_glob(const char *s)
{
  return strpbrk(s, "*?[") != NULL;
}

static bool excluded(const copy_run_t *r, const char *rel, bool is_dir)
{
  return r->c->exclude && *rel && r->c->exclude(r->c->exclude_ctx, rel, is_dir);
}

/* An excluded directory that a '!' pattern may re-include something in
 * (`dir` + `!dir/e*`): walked, and kept only for what it ends up holding. */
static bool walk_anyway(const copy_run_t *r, const char *rel, bool is_dir)
{
  return is_dir && r->c->reinclude && r->c->reinclude(r->c->exclude_ctx, rel, true);
}

static bool is_dir_in_root(int root, const char *rel)
{
  cleanup_close int fd = pyoci_open_in_root(root, rel, O_PATH);
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct {
  char **v;
  size_t n, cap;
} pathlist_t;

static void pathlist_add(pathlist_t *l, char *owned)
{
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->v = xrealloc(l->v, l->cap * sizeof(char *));
  }
  l->v[l->n++] = owned;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a directory (no "." or ".."), sorted bytewise so copies
 * and content hashes visit them in the same order every time. */
static int sorted_children(int fd, const char *rel, pathlist_t *names, pyoci_error_t **err)
{
  cleanup_dir DIR *d = fdopendir(dup(fd));
  if (d == NULL)
    return pyoci_error_set(err, errno, "opendir '%s'", rel);
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      pathlist_add(names, xstrdup(de->d_name));
  if (names->n > 1)
    qsort(names->v, names->n, sizeof(char *), cmp_str);
  return 0;
}


/* Expand one wildcard pattern component by component (Go filepath.Match
 * semantics are fnmatch without flags: '*' does not cross '/'). */
static void glob_walk(const copy_run_t *r, const char *base, char **comps, size_t i, size_t n, pathlist_t *out)
{
  if (i == n) {
    if (!excluded(r, base, is_dir_in_root(r->src_root, base)))
      pathlist_add(out, xstrdup(base));
    return;
  }
  if (!has_glob(comps[i])) {
    cleanup_free char *next = *base ? pyoci_path_join(base, comps[i]) : xstrdup(comps[i]);
    cleanup_close int fd = pyoci_open_in_root(r->src_root, next, O_PATH);
    if (fd >= 0)
      glob_walk(r, next, comps, i + 1, n, out);
    return;
  }
  cleanup_close int dfd = pyoci_open_in_root(r->src_root, base, O_RDONLY | O_DIRECTORY);
  if (dfd < 0)
    return;
  cleanup_dir DIR *d = fdopendir(steal_fd(&dfd));
  if (d == NULL)
    return;
  pathlist_t names = {0};
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && fnmatch(comps[i], de->d_name, 0) == 0)
      pathlist_add(&names, xstrdup(de->d_name));
  if (names.n > 1)
    qsort(names.v, names.n, sizeof(char *), cmp_str);
  for (size_t k = 0; k < names.n; k++) {
    cleanup_free char *next = *base ? pyoci_path_join(base, names.v[k]) : xstrdup(names.v[k]);
    glob_walk(r, next, comps, i + 1, n, out);
  }
  strv_free(names.v, names.n);
}

/* Every source path the instruction names, relative to src_root. */
static int resolve_sources(const copy_run_t *r, pathlist_t *out, pyoci_error_t **err)
{
  const pyoci_copy_t *c = r->c;
  for (size_t i = 0; i < c->n_srcs; i++) {
    /* BuildKit resolves sources from the context's root: "../f" is "f" */
    cleanup_free char *rel = pyoci_path_normalize(c->srcs[i], PYOCI_PATH_CLAMP);
    if (has_glob(rel)) {
      char *comps[512];
      size_t n = 0;
      cleanup_free char *copy = xstrdup(rel);
      for (char *save = NULL, *p = strtok_r(copy, "/", &save); p && n < 512; p = strtok_r(NULL, "/", &save))
        comps[n++] = p;
      /* BuildKit (AllowEmptyWildcard): a wildcard may match nothing */
      glob_walk(r, "", comps, 0, n, out);
      continue;
    }
    cleanup_close int fd = pyoci_open_in_root(r->src_root, rel, O_PATH);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 ||
        (excluded(r, rel, S_ISDIR(st.st_mode)) && !walk_anyway(r, rel, S_ISDIR(st.st_mode))))
      return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                                  "%s failed: file not found in build context or excluded by .dockerignore: "
                                  "stat %s: file does not exist",
                                  c->instruction, c->srcs[i]);
    pathlist_add(out, steal_pointer(&rel));
  }
  return 0;
}

/* ---- hashing (cache keys) ---- */

static int hash_fd_content(pyoci_sha256_t *h, int fd, const char *rel, pyoci_error_t **err);

static int hash_tree(const copy_run_t *r, int dirfd, const char *name, const char *rel, int depth,
                     pyoci_error_t **err);

/* The entries of directory fd (rel in the tree; "" for its top) in sorted
 * order, each to visit() with its own relative path one level deeper: the
 * walk that hashing a source and copying it share, so both see the same
 * entries in the same order. */
typedef int (*child_fn)(const copy_run_t *r, int fd, const char *name, const char *rel, int depth, void *ctx,
                        pyoci_error_t **err);
static int each_child(const copy_run_t *r, int fd, const char *rel, int depth, child_fn visit, void *ctx,
                      pyoci_error_t **err)
{
  pathlist_t names = {0};
  if (sorted_children(fd, rel, &names, err) < 0)
    return -1;
  int rc = 0;
  for (size_t k = 0; k < names.n && rc == 0; k++) {
    cleanup_free char *child = *rel ? pyoci_path_join(rel, names.v[k]) : xstrdup(names.v[k]);
    rc = visit(r, fd, names.v[k], child, depth + 1, ctx, err);
  }
  strv_free(names.v, names.n);
  return rc;
}

static int hash_child(const copy_run_t *r, int fd, const char *name, const char *rel, int depth, void *ctx,
                      pyoci_error_t **err)
{
  return hash_tree(r, fd, name, rel, depth, err);
}

static int hash_dir_children(const copy_run_t *r, int fd, const char *rel, int depth, pyoci_error_t **err)
{
  return each_child(r, fd, rel, depth, hash_child, NULL, err);
}

static int hash_tree(const copy_run_t *r, int dirfd, const char *name, const char *rel, int depth,
                     pyoci_error_t **err)
{
  if (depth > MAX_COPY_DEPTH)
    return pyoci_error_set(err, 0, "%s: '%s' is nested too deeply", r->c->instruction, rel);
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", rel);
  if (excluded(r, rel, S_ISDIR(st.st_mode)) && !walk_anyway(r, rel, S_ISDIR(st.st_mode)))
    return 0;
  char head[256];
  snprintf(head, sizeof(head), "%o %lld %lld %lld\n", st.st_mode, (long long)st.st_uid, (long long)st.st_gid,
           (long long)(S_ISREG(st.st_mode) ? st.st_size : 0));
  pyoci_sha256_update(r->hash, rel, strlen(rel) + 1);
  pyoci_sha256_update(r->hash, head, strlen(head));
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
    if (n > 0)
      pyoci_sha256_update(r->hash, target, (size_t)n);
  } else if (S_ISREG(st.st_mode)) {
    cleanup_close int fd = pyoci_open_regular_at(dirfd, name, O_NOFOLLOW, err);
    if (fd < 0)
      return pyoci_error_prefix(err, "%s", rel);
    return hash_fd_content(r->hash, fd, rel, err);
  } else if (S_ISDIR(st.st_mode)) {
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return pyoci_error_set(err, errno, "open '%s'", rel);
    return hash_dir_children(r, fd, rel, depth, err);
  }
  return 0;
}

static int hash_fd_content(pyoci_sha256_t *h, int fd, const char *rel, pyoci_error_t **err)
{
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0)
    pyoci_sha256_update(h, buf, (size_t)n);
  return n < 0 ? pyoci_error_set(err, errno, "read '%s'", rel) : 0;
}

/* A top-level source that is not a directory (symlinks followed). */
static int hash_file_fd(const copy_run_t *r, const char *rel, pyoci_error_t **err)
{
  /* O_PATH first: opening a FIFO to read it would block until a writer came */
  cleanup_close int fd = pyoci_open_in_root(r->src_root, rel, O_PATH);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return pyoci_error_set(err, errno, "open '%s'", rel);
  char head[64];
  snprintf(head, sizeof(head), "%o %lld %llx\n", st.st_mode, (long long)st.st_size, (unsigned long long)st.st_rdev);
  pyoci_sha256_update(r->hash, head, strlen(head));
  if (!S_ISREG(st.st_mode))
    return 0;
  cleanup_close int in = pyoci_open_in_root(r->src_root, rel, O_RDONLY | O_NONBLOCK);
  if (in < 0)
    return pyoci_error_set(err, errno, "open '%s'", rel);
  return pyoci_fd_require_regular(in, rel, err) < 0 ? -1 : hash_fd_content(r->hash, in, rel, err);
}

int pyoci_copy_hash(const pyoci_copy_t *c, char out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  copy_run_t r = {.c = c, .src_root = -1, .dest_root = -1};
  cleanup_close int root = open(c->src_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return pyoci_error_set(err, errno, "open '%s'", c->src_root);
  r.src_root = root;
  pathlist_t srcs = {0};
  if (resolve_sources(&r, &srcs, err) < 0) {
    strv_free(srcs.v, srcs.n);
    return -1;
  }
  r.hash = pyoci_sha256_new();
  int rc = 0;
  for (size_t i = 0; i < srcs.n && rc == 0; i++) {
    /* The top-level source may be a symlink: like Docker, follow it. */
    cleanup_close int fd = pyoci_open_in_root(root, srcs.v[i], O_PATH);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
      rc = pyoci_error_set(err, errno, "open '%s'", srcs.v[i]);
      break;
    }
    pyoci_sha256_update(r.hash, srcs.v[i], strlen(srcs.v[i]) + 1);
    if (S_ISDIR(st.st_mode)) {
      cleanup_close int dfd = pyoci_open_in_root(root, srcs.v[i], O_RDONLY | O_DIRECTORY);
      rc = dfd < 0 ? pyoci_error_set(err, errno, "open '%s'", srcs.v[i])
                   : hash_dir_children(&r, dfd, srcs.v[i], 0, err);
    } else {
      rc = hash_file_fd(&r, srcs.v[i], err);
    }
  }
  strv_free(srcs.v, srcs.n);
  if (rc < 0) {
    pyoci_sha256_free(r.hash);
    return -1;
  }
  pyoci_sha256_final(r.hash, out);
  return 0;
}

/* ---- copying ---- */

typedef struct {
  int64_t uid, gid;
} owner_t;

static owner_t owner_for(const copy_run_t *r, const struct stat *st)
{
  if (r->c->chown)
    return (owner_t){r->c->uid, r->c->gid};
  if (r->c->keep_owner)
    return (owner_t){st->st_uid, st->st_gid};
  return (owner_t){0, 0};
}

static mode_t mode_for(const copy_run_t *r, const struct stat *st)
{
  return r->c->chmod >= 0 ? (mode_t)r->c->chmod : st->st_mode & 07777;
}

/* continuity's fs.RootPath, which BuildKit resolves destinations with:
 * path (absolute or relative to the root) with every symlink in it
 * followed inside root -- absolute targets from the root, ".." never above
 * it -- up to the first component that does not exist; the rest as
 * written.  So a dangling link's target gets created, inside the root. */
static char *resolve_in_root(int root, const char *path, pyoci_error_t **err)
{
  char *todo = pyoci_path_normalize(path, PYOCI_PATH_CLAMP);
  strbuf_t done = STRBUF_INIT;
  int links = 0;
  while (todo && *todo) {
    size_t len = strcspn(todo, "/");
    cleanup_free char *comp = xstrndup(todo, len);
    const char *rest = todo[len] ? todo + len + 1 : "";
    cleanup_close int pfd = pyoci_open_in_root(root, strbuf_str(&done), O_PATH | O_DIRECTORY);
    struct stat st;
    char target[4097];
    ssize_t n = -1;
    if (pfd >= 0 && fstatat(pfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
      n = readlinkat(pfd, comp, target, sizeof(target) - 1);
    if (n < 0) { /* a directory, a file, or nothing yet: keep the name */
      strbuf_addf(&done, "%s%s", done.len ? "/" : "", comp);
      memmove(todo, rest, strlen(rest) + 1);
      continue;
    }
    if (++links > 255) {
      free(todo);
      strbuf_release(&done);
      pyoci_error_set(err, ELOOP, "resolve '%s'", path);
      return NULL;
    }
    target[n] = '\0';
    strbuf_t next = STRBUF_INIT;
    if (target[0] != '/')
      strbuf_addf(&next, "%s/", strbuf_str(&done));
    strbuf_addf(&next, "%s/%s", target, rest);
    free(todo);
    todo = pyoci_path_normalize(strbuf_str(&next), PYOCI_PATH_CLAMP);
    strbuf_release(&next);
    strbuf_reset(&done);
  }
  free(todo);
  return strbuf_detach(&done);
}

/* Make dest_rel (relative to the dest root) a directory, creating missing
 * components with the copy's owner; returns an fd on it. */
static int mkdir_in_root(const copy_run_t *r, const char *dest_rel, pyoci_error_t **err)
{
  owner_t o = r->c->chown ? (owner_t){r->c->uid, r->c->gid} : (owner_t){0, 0};
  strbuf_t sofar = STRBUF_INIT;
  cleanup_free char *copy = xstrdup(dest_rel);
  int fd = pyoci_open_in_root(r->dest_root, "", O_RDONLY | O_DIRECTORY);
  for (char *save = NULL, *p = strtok_r(copy, "/", &save); p && fd >= 0; p = strtok_r(NULL, "/", &save)) {
    if (sofar.len)
      strbuf_addch(&sofar, '/');
    strbuf_addstr(&sofar, p);
    int next = pyoci_open_in_root(r->dest_root, sofar.buf, O_RDONLY | O_DIRECTORY);
    if (next < 0 && errno == ENOENT) {
      if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST) {
        pyoci_error_set(err, errno, "mkdir '/%s'", sofar.buf);
        close(fd);
        strbuf_release(&sofar);
        return -1;
      }
      next = pyoci_open_in_root(r->dest_root, sofar.buf, O_RDONLY | O_DIRECTORY);
      if (next >= 0 && fchown(next, (uid_t)o.uid, (gid_t)o.gid) < 0) {
        /* not root: ownership stays ours */
      }
    }
    close(fd);
    fd = next;
  }
  if (fd < 0)
    pyoci_error_set(err, errno, "%s: destination '/%s' is not a directory", r->c->instruction, strbuf_str(&sofar));
  strbuf_release(&sofar);
  return fd;
}

/* Remove what is at name unless it is a directory and we want one. */
static int clear_dest(int dirfd, const char *name, bool want_dir, const char *rel, pyoci_error_t **err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  if (want_dir && S_ISDIR(st.st_mode))
    return 0;
  return pyoci_rm_rf_at(dirfd, name, err) < 0 ? pyoci_error_prefix(err, "replace '%s'", rel) : 0;
}

static int copy_entry(const copy_run_t *r, int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                      const char *rel, int depth, pyoci_error_t **err);

static int copy_child(const copy_run_t *r, int src_fd, const char *name, const char *rel, int depth, void *ctx,
                      pyoci_error_t **err)
{
  return copy_entry(r, src_fd, name, *(const int *)ctx, name, rel, depth, err);
}

static int copy_children(const copy_run_t *r, int src_fd, int dst_fd, const char *rel, int depth,
                         pyoci_error_t **err)
{
  return each_child(r, src_fd, rel, depth, copy_child, &dst_fd, err);
}

static int set_meta(int dirfd, const char *name, const struct stat *st, owner_t o, mode_t mode, bool is_link)
{
  if (fchownat(dirfd, name, (uid_t)o.uid, (gid_t)o.gid, AT_SYMLINK_NOFOLLOW) < 0 && geteuid() == 0)
    return -1;
  if (!is_link && fchmodat(dirfd, name, mode, 0) < 0)
    return -1;
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int copy_entry(const copy_run_t *r, int src_dir, const char *src_name, int dst_dir, const char *dst_name,
                      const char *rel, int depth, pyoci_error_t **err)
{
  if (depth > MAX_COPY_DEPTH)
    return pyoci_error_set(err, 0, "%s: '%s' is nested too deeply", r->c->instruction, rel);
  struct stat st;
  if (fstatat(src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", rel);
  bool partial = excluded(r, rel, S_ISDIR(st.st_mode));
  if (partial && !walk_anyway(r, rel, S_ISDIR(st.st_mode)))
    return 0;
  /* A lower layer's whiteout seen through a single-layer view: not a file. */
  if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
    return 0;
  owner_t o = owner_for(r, &st);
  mode_t mode = mode_for(r, &st);
  if (clear_dest(dst_dir, dst_name, S_ISDIR(st.st_mode), rel, err) < 0)
    return -1;
  if (S_ISDIR(st.st_mode)) {
    bool created = mkdirat(dst_dir, dst_name, 0700) == 0;
    if (!created && errno != EEXIST)
      return pyoci_error_set(err, errno, "mkdir '%s'", rel);
    cleanup_close int s = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int d = openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
      return pyoci_error_set(err, errno, "open '%s'", rel);
    if (copy_children(r, s, d, rel, depth, err) < 0)
      return -1;
    if (partial && created && unlinkat(dst_dir, dst_name, AT_REMOVEDIR) == 0)
      return 0; /* nothing in it was re-included */
  } else if (S_ISSOCK(st.st_mode)) {
    /* BuildKit (fsutil) sends a socket as an empty file with its mode */
    cleanup_close int d = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (d < 0)
      return pyoci_error_set(err, errno, "create '%s'", rel);
  } else if (S_ISREG(st.st_mode)) {
    cleanup_close int s = openat(src_dir, src_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (s >= 0 && pyoci_fd_require_regular(s, rel, err) < 0)
      return -1;
    cleanup_close int d = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (s < 0 || d < 0)
      return pyoci_error_set(err, errno, "copy '%s'", rel);
    if (pyoci_copy_fd(s, d, rel, err) < 0)
      return -1;
  } else if (S_ISLNK(st.st_mode)) {
    char target[4097];
    ssize_t n = readlinkat(src_dir, src_name, target, sizeof(target) - 1);
    if (n < 0)
      return pyoci_error_set(err, errno, "readlink '%s'", rel);
    target[n] = '\0';
    if (symlinkat(target, dst_dir, dst_name) < 0)
      return pyoci_error_set(err, errno, "symlink '%s'", rel);
  } else {
    if (mknodat(dst_dir, dst_name, st.st_mode, st.st_rdev) < 0)
      return pyoci_error_set(err, errno, "mknod '%s'", rel);
  }
  if (set_meta(dst_dir, dst_name, &st, o, mode, S_ISLNK(st.st_mode)) < 0)
    return pyoci_error_set(err, errno, "set owner and mode of '%s'", rel);
  return 0;
}

bool pyoci_copy_dest_names_dir(const char *dest)
{
  size_t n = strlen(dest);
  return n == 0 || dest[n - 1] == '/' || strcmp(dest, ".") == 0 || (n >= 2 && strcmp(dest + n - 2, "/.") == 0);
}

static char *basename_of(const char *rel)
{
  const char *slash = strrchr(rel, '/');
  return xstrdup(slash ? slash + 1 : rel);
}

static bool looks_like_archive(int fd)
{
  unsigned char m[512];
  ssize_t n = pread(fd, m, sizeof(m), 0);
  if (n <= 0)
    return false;
  /* compressed (any codec row: gzip, bzip2, xz, zstd), or a plain tar */
  return pyoci_codec_sniff(m, (size_t)n) != PYOCI_COMP_NONE || (n >= 262 && memcmp(m + 257, "ustar", 5) == 0);
}

static int extract_archive(const copy_run_t *r, const char *src_rel, const char *dest_rel, pyoci_error_t **err)
{
  cleanup_close int in = pyoci_open_in_root(r->src_root, src_rel, O_RDONLY | O_NONBLOCK);
  if (in >= 0 && pyoci_fd_require_regular(in, src_rel, err) < 0)
    return -1;
  cleanup_close int dst = mkdir_in_root(r, dest_rel, err);
  if (in < 0 || dst < 0)
    return in < 0 ? pyoci_error_set(err, errno, "open '%s'", src_rel) : -1;
  char root[64];
  snprintf(root, sizeof(root), "/proc/self/fd/%d", dst);
  pyoci_unpack_opts_t uo;
  pyoci_unpack_opts_init(&uo);
  uo.mkdir_through_links = true;
  return pyoci_unpack_layer(in, src_rel, root, &uo, err);
}

/* A named source (or wildcard match) that is a symlink to a file: BuildKit
 * follows it inside the source root and copies the file under the link's
 * name (links inside a copied directory stay links). */
static int copy_followed(const copy_run_t *r, const char *src_rel, const struct stat *st, int dst_dir,
                         const char *leaf, pyoci_error_t **err)
{
  cleanup_close int s = pyoci_open_in_root(r->src_root, src_rel, O_RDONLY);
  if (s < 0)
    return pyoci_error_set(err, errno, "open '%s'", src_rel);
  if (clear_dest(dst_dir, leaf, false, src_rel, err) < 0)
    return -1;
  cleanup_close int d = openat(dst_dir, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (d < 0)
    return pyoci_error_set(err, errno, "copy '%s'", src_rel);
  if (pyoci_copy_fd(s, d, src_rel, err) < 0)
    return -1;
  if (set_meta(dst_dir, leaf, st, owner_for(r, st), mode_for(r, st), false) < 0)
    return pyoci_error_set(err, errno, "set owner and mode of '%s'", src_rel);
  return 0;
}

static int copy_one_source(const copy_run_t *r, const char *src_rel, const char *dest_rel, bool dest_is_dir,
                           pyoci_error_t **err)
{
  cleanup_close int probe = pyoci_open_in_root(r->src_root, src_rel, O_PATH);
  struct stat st;
  if (probe < 0 || fstat(probe, &st) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", src_rel);
  if (S_ISDIR(st.st_mode)) {
    /* A directory's contents are copied, not the directory itself. */
    cleanup_close int s = pyoci_open_in_root(r->src_root, src_rel, O_RDONLY | O_DIRECTORY);
    cleanup_close int d = mkdir_in_root(r, dest_rel, err);
    if (s < 0 || d < 0)
      return s < 0 ? pyoci_error_set(err, errno, "open '%s'", src_rel) : -1;
    return copy_children(r, s, d, src_rel, 0, err);
  }
  if (r->c->extract_archives && S_ISREG(st.st_mode)) {
    cleanup_close int fd = pyoci_open_in_root(r->src_root, src_rel, O_RDONLY | O_NONBLOCK);
    if (fd >= 0 && looks_like_archive(fd))
      return extract_archive(r, src_rel, dest_rel, err);
  }
  cleanup_free char *target = NULL;
  if (dest_is_dir || is_dir_in_root(r->dest_root, dest_rel)) {
    cleanup_free char *base = basename_of(src_rel);
    target = *dest_rel ? pyoci_path_join(dest_rel, base) : xstrdup(base);
  } else {
    target = xstrdup(dest_rel);
  }
  const char *leaf;
  cleanup_free char *parent = pyoci_path_split(target, &leaf);
  if (*leaf == '\0')
    return pyoci_error_set(err, 0, "%s: cannot copy '%s' onto the root directory", r->c->instruction, src_rel);
  cleanup_close int d = mkdir_in_root(r, parent, err);
  if (d < 0)
    return -1;
  /* The source itself may be a symlink: copy what it points to (inside the
   * source root), as docker build does for the named source. */
  const char *src_leaf;
  cleanup_free char *src_parent = pyoci_path_split(src_rel, &src_leaf);
  cleanup_close int sdir = pyoci_open_in_root(r->src_root, src_parent, O_RDONLY | O_DIRECTORY);
  if (sdir < 0)
    return pyoci_error_set(err, errno, "open '%s'", src_rel);
  struct stat lst;
  if (fstatat(sdir, src_leaf, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode) && S_ISREG(st.st_mode))
    return copy_followed(r, src_rel, &st, d, leaf, err);
  return copy_entry(r, sdir, src_leaf, d, leaf, src_rel, 0, err);
}

int pyoci_copy_run(const pyoci_copy_t *c, pyoci_error_t **err)
{
  copy_run_t r = {.c = c, .src_root = -1, .dest_root = -1};
  cleanup_close int sroot = open(c->src_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int droot = open(c->dest_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sroot < 0 || droot < 0)
    return pyoci_error_set(err, errno, "open '%s'", sroot < 0 ? c->src_root : c->dest_root);
  r.src_root = sroot;
  r.dest_root = droot;
  pathlist_t srcs = {0};
  if (resolve_sources(&r, &srcs, err) < 0) {
    strv_free(srcs.v, srcs.n);
    return -1;
  }
  /* No "must end with /" rule: BuildKit has none (the classic builder
   * did); each source goes to dest in turn, as `ADD *.tar /dest` needs */
  bool dest_is_dir = pyoci_copy_dest_names_dir(c->dest);
  cleanup_free char *abs = c->dest[0] == '/' ? xstrdup(c->dest)
                                             : pyoci_path_join(c->workdir ? c->workdir : "/", c->dest);
  cleanup_free char *dest_rel = resolve_in_root(droot, abs, err);
  int rc = dest_rel ? 0 : -1;
  for (size_t i = 0; i < srcs.n && rc == 0; i++)
    rc = copy_one_source(&r, srcs.v[i], dest_rel, dest_is_dir, err);
  strv_free(srcs.v, srcs.n);
  return rc;
}

/* For the calls that only write under root (WORKDIR's directories, a file
 * pyoci makes): root opened as r's destination (the caller closes
 * r->dest_root, -1 when the open failed) and path resolved in it as every
 * COPY destination is: ".." above "/" is "/" (BuildKit's fs.RootPath; issue
 * 9 item 7).  The path relative to root, or NULL. */
static char *dest_only_run(copy_run_t *r, const char *root, const char *path, pyoci_error_t **err)
{
  r->src_root = -1;
  r->dest_root = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (r->dest_root < 0) {
    pyoci_error_set(err, errno, "open '%s'", root);
    return NULL;
  }
  return resolve_in_root(r->dest_root, path, err);
}

int pyoci_mkdir_in_root(const char *root, const char *path, int64_t uid, int64_t gid, pyoci_error_t **err)
{
  pyoci_copy_t c = {.dest_root = root, .chown = true, .uid = uid, .gid = gid, .instruction = "WORKDIR"};
  copy_run_t r = {.c = &c};
  cleanup_free char *rel = dest_only_run(&r, root, path, err);
  cleanup_close int droot = r.dest_root;
  int fd = rel ? mkdir_in_root(&r, rel, err) : -1;
  if (fd < 0)
    return -1;
  close(fd);
  return 0;
}

int pyoci_write_in_root(const char *root, const char *path, const char *data, size_t len, mode_t mode,
                        pyoci_error_t **err)
{
  pyoci_copy_t c = {.dest_root = root, .instruction = "COPY"};
  copy_run_t r = {.c = &c};
  cleanup_free char *rel = dest_only_run(&r, root, path, err);
  cleanup_close int droot = r.dest_root;
  if (rel == NULL)
    return -1;
  if (*rel == '\0')
    return pyoci_error_set(err, EISDIR, "write '%s'", path);
  char *slash = strrchr(rel, '/');
  const char *leaf = slash ? slash + 1 : rel;
  cleanup_free char *parent = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
  cleanup_close int dfd = mkdir_in_root(&r, parent, err);
  if (dfd < 0)
    return -1;
  if (clear_dest(dfd, leaf, false, path, err) < 0)
    return -1;
  cleanup_close int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    return pyoci_error_set(err, errno, "create '%s'", path);
  if (pyoci_write_all(fd, data, len, path, err) < 0)
    return -1;
  return fchmod(fd, mode) < 0 ? pyoci_error_set(err, errno, "chmod '%s'", path) : 0;
}

