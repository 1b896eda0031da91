/* Unpacking a layer onto a directory without ever touching anything outside.
 *
 * Every parent directory is opened with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): symlinks in the tree (absolute ones, "../..")
 * resolve as if root were "/", like Docker extracting inside a chroot, so no
 * path can leave root.  The last component is always created or changed with
 * *at() calls that never follow a symlink (O_NOFOLLOW|O_EXCL, mkdirat,
 * symlinkat, linkat without AT_SYMLINK_FOLLOW, *_NOFOLLOW flags).
 *
 * Directory modes and mtimes are applied at the end (children change their
 * parent's mtime, and a 0555 directory would stop us filling it). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/util/path.h"
#include "layer.h"
#include "layer_int.h"

typedef struct {
  char *path;
  mode_t mode;
  int64_t mtime;
} dir_meta_t;

typedef struct {
  const pyoci_unpack_opts_t *o;
  int links_followed; /* mkdir_through_links: a bound on link chains */
  const char *what;
  pyoci_error_t **err;
  pyoci_tar_reader_t *r;
  int root_fd;
  bool is_root;
  pyoci_strmap_t created; /* paths this layer created (whiteouts spare them) */
  char *cache_path;       /* the last parent directory opened ... */
  int cache_fd;           /* ... and its O_PATH fd */
  dir_meta_t *dirs;
  size_t ndirs, capdirs;
  mode_t umask; /* the process's, to know when create modes come out exact */
} up_t;

void pyoci_unpack_opts_init(pyoci_unpack_opts_t *o)
{
  memset(o, 0, sizeof(*o));
  o->allow_devices = geteuid() == 0;
  o->keep_owner = geteuid() == 0;
}

/* "unpack 'WHAT': entry 'PATH': MESSAGE[: strerror]" */
static int entry_error(up_t *u, const char *path, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int entry_error(up_t *u, const char *path, int errno_value, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  pyoci_error_set_code(u->err, errno_value ? 0 : PYOCI_E_CORRUPT, errno_value, "unpack '%s': entry '%s': %s",
                       u->what, path, msg);
  free(msg);
  return -1;
}

static int open_in_root(up_t *u, const char *path, int flags)
{
  return pyoci_open_in_root(u->root_fd, path, flags);
}

static void cache_drop(up_t *u)
{
  if (u->cache_fd >= 0)
    close(u->cache_fd);
  u->cache_fd = -1;
  free(u->cache_path);
  u->cache_path = NULL;
}

/* After path was replaced or removed, a cached parent at or below it is stale. */
static void cache_invalidate(up_t *u, const char *path)
{
  if (u->cache_path == NULL)
    return;
  size_t n = strlen(path);
  if (n == 0 || (strncmp(u->cache_path, path, n) == 0 && (u->cache_path[n] == '\0' || u->cache_path[n] == '/')))
    cache_drop(u);
}

static void split(const char *path, char **parent, const char **name)
{
  const char *s = strrchr(path, '/');
  *parent = xstrndup(path, s ? (size_t)(s - path) : 0);
  *name = s ? s + 1 : path;
}

static int parent_dir(up_t *u, const char *entry, const char *dir, bool create);

/* ADD's extraction (BuildKit's copy resolves paths with fs.RootPath): a
 * dangling symlink on an entry's path is followed inside the root and the
 * directory it names is created.  rel is the link's path from the root. */
static int through_dangling_link(up_t *u, const char *entry, int pfd, const char *name, const char *rel)
{
  struct stat st;
  char target[4097];
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
    return 0;
  ssize_t n = readlinkat(pfd, name, target, sizeof(target) - 1);
  if (n <= 0 || ++u->links_followed > 255)
    return entry_error(u, entry, n <= 0 ? errno : ELOOP, "follow link '%s'", rel);
  target[n] = '\0';
  cleanup_free char *joined = NULL;
  const char *slash = strrchr(rel, '/');
  if (asprintf(&joined, "%.*s/%s", target[0] == '/' || !slash ? 0 : (int)(slash - rel), rel, target) < 0)
    return entry_error(u, entry, ENOMEM, "follow link '%s'", rel);
  cleanup_free char *clean = pyoci_path_normalize(joined, PYOCI_PATH_CLAMP);
  if (clean == NULL || *clean == '\0')
    return 0;
  cache_drop(u);
  return parent_dir(u, entry, clean, true) < -1 ? -1 : 0;
}

/* Open (creating when asked, like mkdir -p) the directory dir inside root.
 * Returns a borrowed fd (owned by the cache), or -1 with errno set when
 * !create and it does not exist, or -2 with u->err set. */
static int parent_dir(up_t *u, const char *entry, const char *dir, bool create)
{
  if (u->cache_path != NULL && strcmp(u->cache_path, dir) == 0)
    return u->cache_fd;
  int fd = open_in_root(u, dir, O_PATH | O_DIRECTORY);
  if (fd < 0 && errno == ENOENT && create) {
    /* Walk down, creating what is missing (each step resolved in root). */
    cleanup_free char *p = xstrdup(dir);
    if (p == NULL)
      return entry_error(u, entry, ENOMEM, "create parent directories") - 1;
    for (char *s = p;; s++) {
      if (*s != '/' && *s != '\0')
        continue;
      char saved = *s;
      *s = '\0';
      int cfd = open_in_root(u, p, O_PATH | O_DIRECTORY);
      if (cfd < 0 && errno == ENOENT) {
        char *slash = strrchr(p, '/');
        const char *name = slash ? slash + 1 : p;
        if (slash)
          *slash = '\0';
        cleanup_close int pfd = open_in_root(u, slash ? p : "", O_PATH | O_DIRECTORY);
        if (slash)
          *slash = '/';
        if (pfd < 0 || (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST))
          return entry_error(u, entry, errno, "create directory '%s'", p) - 1;
        if (u->o->mkdir_through_links && through_dangling_link(u, entry, pfd, name, p) < 0)
          return -2;
        pyoci_strmap_insert(&u->created, p, NULL);
        cfd = open_in_root(u, p, O_PATH | O_DIRECTORY);
      }
      if (cfd < 0)
        return entry_error(u, entry, errno, "open directory '%s'", p) - 1;
      *s = saved;
      if (saved == '\0') {
        fd = cfd;
        break;
      }
      close(cfd);
    }
  }
  if (fd < 0) {
    if (errno == ENOENT && !create)
      return -1;
    return entry_error(u, entry, errno, "open directory '%s'", *dir ? dir : "/") - 1;
  }
  cache_drop(u);
  u->cache_path = xstrdup(dir);
  if (u->cache_path == NULL) {
    close(fd);
    return entry_error(u, entry, ENOMEM, "open directory") - 1;
  }
  u->cache_fd = fd;
  return fd;
}

/* ---- metadata ---- */

static bool overlay_xattr(const char *name)
{
  return strncmp(name, "trusted.overlay.", 16) == 0 || strncmp(name, "user.overlay.", 13) == 0;
}

static int set_xattrs(up_t *u, const char *path, int pfd, const char *name, bool is_link)
{
  const char *xn;
  const void *xv;
  size_t xl;
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d/", pfd);
  cleanup_free char *target = pyoci_path_join(proc, name);
  for (size_t i = 0; pyoci_tar_reader_xattr(u->r, i, &xn, &xv, &xl); i++) {
    /* Overlay's own attributes would change how a lowerdir is read. */
    if (overlay_xattr(xn)) {
      pyoci_log(PYOCI_LOG_WARN, "unpack '%s': entry '%s': ignoring xattr '%s'", u->what, path, xn);
      continue;
    }
    /* lsetxattr: /proc/self/fd/N is our own fd; the last component is not followed. */
    if (lsetxattr(target, xn, xv, xl, 0) == 0)
      continue;
    int e = errno;
    if (e == ENOTSUP || e == EOPNOTSUPP || ((e == EPERM || e == EACCES) && (!u->is_root || is_link))) {
      pyoci_log(PYOCI_LOG_DEBUG, "unpack '%s': entry '%s': xattr '%s' not set: %s", u->what, path, xn,
                strerror(e));
      continue;
    }
    return entry_error(u, path, e, "set xattr '%s'", xn);
  }
  return 0;
}

static int set_owner(up_t *u, const pyoci_tar_entry_t *e, int pfd, const char *name)
{
  if (!u->o->keep_owner)
    return 0;
  if (fchownat(pfd, name, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return entry_error(u, e->path, errno, "chown");
  return 0;
}

static int set_mtime(up_t *u, const char *path, int pfd, const char *name, int64_t mtime)
{
  struct timespec ts[2] = {{.tv_sec = (time_t)mtime}, {.tv_sec = (time_t)mtime}};
  if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return entry_error(u, path, errno, "set mtime");
  return 0;
}

static int defer_dir(up_t *u, const pyoci_tar_entry_t *e)
{
  if (u->ndirs == u->capdirs) {
    size_t cap = u->capdirs ? u->capdirs * 2 : 64;
    dir_meta_t *d = xrealloc(u->dirs, cap * sizeof(*d));
    if (d == NULL)
      return entry_error(u, e->path, ENOMEM, "directory");
    u->dirs = d;
    u->capdirs = cap;
  }
  dir_meta_t *d = &u->dirs[u->ndirs];
  d->path = xstrdup(e->path);
  if (d->path == NULL)
    return entry_error(u, e->path, ENOMEM, "directory");
  d->mode = e->mode;
  d->mtime = e->mtime;
  u->ndirs++;
  return 0;
}

static int finish_dirs(up_t *u)
{
  /* Deepest-listed first, so restrictive parents are set last. */
  for (size_t i = u->ndirs; i-- > 0;) {
    dir_meta_t *d = &u->dirs[i];
    cleanup_free char *parent = NULL;
    const char *name;
    int pfd;
    if (d->path[0] == '\0') {
      parent = xstrdup("");
      name = ".";
      pfd = u->root_fd;
    } else {
      split(d->path, &parent, &name);
      pfd = parent_dir(u, d->path, parent, false);
      if (pfd == -1)
        continue; /* removed later in the same layer */
      if (pfd < -1)
        return -1;
    }
    struct stat st;
    if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
      continue; /* replaced later in the same layer */
    if (fchmodat(pfd, name, d->mode & 07777, 0) < 0)
      return entry_error(u, d->path, errno, "chmod");
    if (set_mtime(u, d->path, pfd, name, d->mtime) < 0)
      return -1;
  }
  return 0;
}

/* ---- entries ---- */

/* The content block by block at its offset, so a sparse file's holes stay
 * holes; then the file is made its declared size, which a trailing hole
 * (an all-hole file: no block at all) does not reach by writing (issue 9
 * item 7: such a file came out 0 bytes long). */
static int copy_data(up_t *u, const pyoci_tar_entry_t *e, int fd)
{
  const void *buf;
  size_t len;
  int64_t off, at = 0;
  int rc;
  while ((rc = pyoci_tar_reader_read_block(u->r, &buf, &len, &off, u->err)) > 0) {
    if (off != at && lseek(fd, (off_t)off, SEEK_SET) < 0)
      return entry_error(u, e->path, errno, "seek");
    at = off + (int64_t)len;
    if (pyoci_write_all(fd, buf, len, e->path, u->err) < 0)
      return pyoci_error_prefix(u->err, "unpack '%s'", u->what);
  }
  if (rc < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return entry_error(u, e->path, errno, "stat");
  if (st.st_size != (off_t)e->size && ftruncate(fd, (off_t)e->size) < 0)
    return entry_error(u, e->path, errno, "set the size of");
  return 0;
}

/* A regular file: created with its mode when the umask leaves it exact,
 * owned by us when that is what the entry says, and its mtime set through
 * the open fd -- the common file costs open, write, futimens, close. */
static int make_file(up_t *u, const pyoci_tar_entry_t *e, int pfd, const char *name)
{
  mode_t mode = (mode_t)e->mode & 07777;
  bool mode_exact = (mode & ~(mode_t)0777) == 0 && (mode & u->umask) == 0;
  cleanup_close int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                mode_exact ? mode : 0600);
  if (fd < 0)
    return entry_error(u, e->path, errno, "create");
  if (copy_data(u, e, fd) < 0)
    return -1;
  /* New files take our owner; only setgid parents could change the group,
   * and directories stay 0700 until finish_dirs. */
  bool ours = e->uid == (int64_t)geteuid() && e->gid == (int64_t)getegid();
  if (u->o->keep_owner && !ours && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0)
    return entry_error(u, e->path, errno, "chown");
  /* fchown clears set-id bits, so the mode goes after it. */
  if (!mode_exact && fchmod(fd, mode) < 0)
    return entry_error(u, e->path, errno, "chmod");
  struct timespec ts[2] = {{.tv_sec = (time_t)e->mtime}, {.tv_sec = (time_t)e->mtime}};
  if (futimens(fd, ts) < 0)
    return entry_error(u, e->path, errno, "set mtime");
  return 0;
}

static int make_hardlink(up_t *u, const pyoci_tar_entry_t *e, int pfd, const char *name)
{
  cleanup_free char *tparent = NULL;
  const char *tname;
  split(e->link, &tparent, &tname);
  if (tparent == NULL)
    return entry_error(u, e->path, ENOMEM, "hard link");
  cleanup_close int tfd = open_in_root(u, tparent, O_PATH | O_DIRECTORY);
  if (tfd < 0 || linkat(tfd, tname, pfd, name, 0) < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      return entry_error(u, e->path, 0, "hard link target '%s' does not exist", e->link);
    return entry_error(u, e->path, errno, "hard link to '%s'", e->link);
  }
  return 0;
}

/* Remove whatever is at name unless both it and the entry are directories.
 * Returns 1 when an existing directory is kept. */
static int clear_existing(up_t *u, const pyoci_tar_entry_t *e, int pfd, const char *name)
{
  struct stat st;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT)
      return 0;
    return entry_error(u, e->path, errno, "stat");
  }
  if (S_ISDIR(st.st_mode) && e->type == PYOCI_TAR_DIR)
    return 1;
  cache_invalidate(u, e->path);
  if (S_ISDIR(st.st_mode)) {
    if (pyoci_rm_rf_at(pfd, name, u->err) < 0)
      return pyoci_error_prefix(u->err, "unpack '%s': entry '%s'", u->what, e->path);
  } else if (unlinkat(pfd, name, 0) < 0 && errno != ENOENT) {
    return entry_error(u, e->path, errno, "remove existing");
  }
  return 0;
}

static int apply_whiteout(up_t *u, const pyoci_tar_entry_t *e)
{
  cleanup_free char *parent = NULL;
  const char *base;
  split(e->path, &parent, &base);
  if (parent == NULL)
    return entry_error(u, e->path, ENOMEM, "whiteout");
  bool opaque = pyoci_is_opaque_whiteout(e->path);
  const char *target = NULL;
  if (!opaque) {
    pyoci_is_whiteout(e->path, &target);
    if (target[0] == '\0' || strcmp(target, ".") == 0 || strcmp(target, "..") == 0)
      return entry_error(u, e->path, 0, "whiteout escapes its directory");
  }
  /* In overlay-lower form the markers must exist even when nothing is hidden. */
  int pfd = parent_dir(u, e->path, parent, u->o->as_overlay_lower);
  if (pfd == -1)
    return 0; /* nothing below to hide */
  if (pfd < -1)
    return -1;
  int r;
  if (opaque) {
    cache_drop(u); /* children of parent may go; pfd stays valid in the cache */
    pfd = parent_dir(u, e->path, parent, false);
    if (pfd < 0)
      return pfd == -1 ? 0 : -1;
    r = pyoci_whiteout_opaque(pfd, parent, &u->created, u->o->as_overlay_lower, u->err);
  } else {
    cleanup_free char *victim = NULL;
    if (asprintf(&victim, "%s%s%s", parent, *parent ? "/" : "", target) < 0)
      return entry_error(u, e->path, ENOMEM, "whiteout");
    cache_invalidate(u, victim);
    pfd = parent_dir(u, e->path, parent, false);
    if (pfd < 0)
      return pfd == -1 ? 0 : -1;
    r = pyoci_whiteout_remove(pfd, parent, target, &u->created, u->o->as_overlay_lower, u->err);
    /* In an empty root the overlay whiteout node is the only thing that
     * can be in a later entry's way: make apply_entry look. */
    if (r == 0 && u->o->empty_root && u->o->as_overlay_lower)
      pyoci_strmap_insert(&u->created, victim, NULL);
  }
  if (r < 0)
    return pyoci_error_prefix(u->err, "unpack '%s': entry '%s'", u->what, e->path);
  return 0;
}

static int apply_entry(up_t *u, const pyoci_tar_entry_t *e)
{
  /* The reader cleans "/etc/x" to "etc/x" for analysis; unpacking refuses
   * absolute names outright rather than guess what the writer meant. */
  const char *raw = pyoci_tar_reader_raw_path(u->r);
  if (raw[0] == '/')
    return entry_error(u, raw, 0, "absolute path");
  if (pyoci_is_opaque_whiteout(e->path) || pyoci_is_whiteout(e->path, NULL))
    return apply_whiteout(u, e);
  if (pyoci_is_whiteout_meta(e->path))
    return 0;
  if (e->path[0] == '\0') /* "./": the root itself (reader guarantees a dir) */
    return defer_dir(u, e);
  if ((e->type == PYOCI_TAR_CHAR || e->type == PYOCI_TAR_BLOCK) && !u->o->allow_devices)
    return entry_error(u, e->path, 0, "device nodes are not allowed here (not running as root)");

  if (u->o->keep_owner && (e->uid < 0 || e->uid >= 0xffffffffLL || e->gid < 0 || e->gid >= 0xffffffffLL))
    return entry_error(u, e->path, 0, "invalid owner %lld:%lld", (long long)e->uid, (long long)e->gid);

  cleanup_free char *parent = NULL;
  const char *name;
  split(e->path, &parent, &name);
  if (parent == NULL)
    return entry_error(u, e->path, ENOMEM, "unpack");
  int pfd = parent_dir(u, e->path, parent, true);
  if (pfd < 0)
    return -1;
  int keep = 0;
  if (!u->o->empty_root || pyoci_strmap_find(&u->created, e->path) != NULL) {
    keep = clear_existing(u, e, pfd, name);
    if (keep < 0)
      return -1;
    /* clear_existing may have dropped the cache (and pfd with it). */
    pfd = parent_dir(u, e->path, parent, true);
    if (pfd < 0)
      return -1;
  }

  int r = 0;
  switch (e->type) {
  case PYOCI_TAR_FILE:
    r = make_file(u, e, pfd, name);
    break;
  case PYOCI_TAR_DIR:
    if (!keep && mkdirat(pfd, name, 0700) < 0)
      r = entry_error(u, e->path, errno, "mkdir");
    if (r == 0)
      r = defer_dir(u, e);
    if (r == 0)
      r = set_owner(u, e, pfd, name);
    break;
  case PYOCI_TAR_SYMLINK:
    if (symlinkat(e->link, pfd, name) < 0)
      r = entry_error(u, e->path, errno, "symlink");
    if (r == 0)
      r = set_owner(u, e, pfd, name);
    break;
  case PYOCI_TAR_HARDLINK:
    r = make_hardlink(u, e, pfd, name);
    break;
  case PYOCI_TAR_CHAR:
  case PYOCI_TAR_BLOCK:
  case PYOCI_TAR_FIFO: {
    mode_t t = e->type == PYOCI_TAR_CHAR ? S_IFCHR : e->type == PYOCI_TAR_BLOCK ? S_IFBLK : S_IFIFO;
    if (mknodat(pfd, name, t | (e->mode & 0777), makedev(e->dev_major, e->dev_minor)) < 0)
      r = entry_error(u, e->path, errno, "mknod");
    if (r == 0)
      r = set_owner(u, e, pfd, name);
    if (r == 0 && fchmodat(pfd, name, e->mode & 07777, AT_SYMLINK_NOFOLLOW) < 0)
      r = entry_error(u, e->path, errno, "chmod");
    break;
  }
  }
  if (r < 0)
    return -1;
  pyoci_strmap_insert(&u->created, e->path, NULL);
  if (e->type == PYOCI_TAR_HARDLINK)
    return 0; /* the inode's metadata came with its first name */
  if (set_xattrs(u, e->path, pfd, name, e->type == PYOCI_TAR_SYMLINK) < 0)
    return -1;
  /* Files set theirs through the fd (xattrs do not touch mtime). */
  if (e->type != PYOCI_TAR_DIR && e->type != PYOCI_TAR_FILE && set_mtime(u, e->path, pfd, name, e->mtime) < 0)
    return -1;
  return 0;
}

int pyoci_unpack_layer(int fd, const char *what, const char *root, const pyoci_unpack_opts_t *opts,
                       pyoci_error_t **err)
{
  pyoci_unpack_opts_t defaults;
  if (opts == NULL) {
    pyoci_unpack_opts_init(&defaults);
    opts = &defaults;
  }
  up_t u = {.o = opts, .what = what, .err = err, .cache_fd = -1, .is_root = geteuid() == 0};
  u.umask = umask(0);
  umask(u.umask);
  u.root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (u.root_fd < 0)
    return pyoci_error_set(err, errno, "unpack '%s': open '%s'", what, root);
  int r = pyoci_tar_reader_open_verified(fd, what, opts->expect_diff_id, &u.r, err);
  while (r == 0) {
    pyoci_tar_entry_t e;
    int n = pyoci_tar_reader_next(u.r, &e, err);
    if (n <= 0) {
      r = n;
      break;
    }
    r = apply_entry(&u, &e);
  }
  if (r == 0)
    r = finish_dirs(&u);
  cache_drop(&u);
  for (size_t i = 0; i < u.ndirs; i++)
    free(u.dirs[i].path);
  free(u.dirs);
  pyoci_strmap_clear(&u.created, NULL);
  pyoci_tar_reader_free(u.r);
  close(u.root_fd);
  return r < 0 ? -1 : 0;
}
