#include "alloc.h"
#include "settings.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "outfile.h"
#include "strbuf.h"

int pyoci_read_fd(int fd, const char *what, size_t max_size, char **out, size_t *len, pyoci_error_t **err)
{
  strbuf_t sb = STRBUF_INIT;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      strbuf_release(&sb);
      return pyoci_error_set(err, errno, "read '%s'", what);
    }
    if (n == 0)
      break;
    if (sb.len + (size_t)n > max_size) {
      strbuf_release(&sb);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': larger than the limit of %zu bytes",
                                  what, max_size);
    }
    strbuf_add(&sb, chunk, (size_t)n);
  }
  if (len)
    *len = sb.len;
  *out = strbuf_detach(&sb);
  return 0;
}

const char *pyoci_file_type_name(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG:
    return "regular file";
  case S_IFDIR:
    return "directory";
  case S_IFLNK:
    return "symlink";
  case S_IFIFO:
    return "FIFO";
  case S_IFCHR:
    return "character device";
  case S_IFBLK:
    return "block device";
  case S_IFSOCK:
    return "socket";
  }
  return "special file";
}

int pyoci_fd_require_regular(int fd, const char *what, pyoci_error_t **err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return pyoci_error_set(err, errno, "stat '%s'", what);
  if (!S_ISREG(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "'%s' is a %s, not a regular file", what,
                                pyoci_file_type_name(st.st_mode));
  /* opened O_NONBLOCK so a FIFO could not block the open; reads of a
   * regular file never block, but callers may hand the fd on */
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK))
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return 0;
}

int pyoci_open_regular_at(int dirfd, const char *path, int flags, pyoci_error_t **err)
{
  int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
  if (fd < 0)
    return pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "open '%s'", path);
  if (pyoci_fd_require_regular(fd, path, err) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int pyoci_read_file_at(int dirfd, const char *path, size_t max_size, char **out, size_t *len,
                       pyoci_error_t **err)
{
  cleanup_close int fd = pyoci_open_regular_at(dirfd, path, 0, err);
  if (fd < 0)
    return -1;
  struct stat st;
  if (fstat(fd, &st) == 0 && (size_t)st.st_size > max_size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "read '%s': %lld bytes is over the limit of %zu",
                                path, (long long)st.st_size, max_size);
  return pyoci_read_fd(fd, path, max_size, out, len, err);
}

int pyoci_read_stream(const char *path, size_t max_size, char **out, size_t *len, pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set_code(err, errno == ENOENT ? PYOCI_E_NOT_FOUND : 0, errno, "open '%s'", path);
  return pyoci_read_fd(fd, path, max_size, out, len, err);
}

int pyoci_read_file(const char *path, size_t max_size, char **out, size_t *len, pyoci_error_t **err)
{
  return pyoci_read_file_at(AT_FDCWD, path, max_size, out, len, err);
}

int pyoci_write_all(int fd, const void *buf, size_t len, const char *what, pyoci_error_t **err)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return pyoci_error_set(err, errno, "write '%s'", what);
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int pyoci_fsync_dir(const char *dirpath, pyoci_error_t **err)
{
  cleanup_close int fd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dirpath);
  if (fsync(fd) < 0 && errno != EINVAL)
    return pyoci_error_set(err, errno, "fsync '%s'", dirpath);
  return 0;
}

static int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync,
                             pyoci_error_t **err)
{
  pyoci_outfile_t *f = NULL;
  if (pyoci_outfile_open(path, mode, &f, err) < 0)
    return -1;
  if (pyoci_write_all(pyoci_outfile_fd(f), data, len, path, err) < 0) {
    pyoci_outfile_abort(f);
    return -1;
  }
  return pyoci_outfile_commit(f, sync, err);
}

int pyoci_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, pyoci_error_t **err)
{
  return write_file_atomic(path, data, len, mode, true, err);
}

int pyoci_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                   pyoci_error_t **err)
{
  return write_file_atomic(path, data, len, mode, false, err);
}

int pyoci_mkdir_p(const char *path, mode_t mode, pyoci_error_t **err)
{
  cleanup_free char *p = xstrdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, mode) < 0 && errno != EEXIST)
      return pyoci_error_set(err, errno, "mkdir '%s'", p);
    *s = '/';
  }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return pyoci_error_set(err, errno, "mkdir '%s'", p);
  return 0;
}

/* A directory on another file system than its parent is a mount point. */
static bool is_mount_point(int dirfd)
{
  /* statx knows bind mounts on the same file system too (a killed build's
   * RUN --mount pins): deleting through one would empty its source */
  struct statx sx;
  if (statx(dirfd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
      (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
    return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
  struct stat self, parent;
  cleanup_close int up = openat(dirfd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return up >= 0 && fstat(dirfd, &self) == 0 && fstat(up, &parent) == 0 &&
         (self.st_dev != parent.st_dev || self.st_ino == parent.st_ino);
}

/* parent_fd/name as a path umount2 can take. */
static void at_path(int parent_fd, const char *name, char *path, size_t size)
{
  if (parent_fd == AT_FDCWD)
    snprintf(path, size, "%s", name);
  else
    snprintf(path, size, "/proc/self/fd/%d/%s", parent_fd, name);
}

int pyoci_rm_rf_at(int parent_fd, const char *name, pyoci_error_t **err)
{
  if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno == EBUSY) {
    /* a file bind-mounted over (a killed build's RUN --mount pin) */
    char path[PATH_MAX];
    at_path(parent_fd, name, path, sizeof(path));
    if (umount2(path, MNT_DETACH) == 0 && (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT))
      return 0;
    errno = EBUSY;
  }
  if (errno != EISDIR && errno != EPERM)
    return pyoci_error_set(err, errno, "remove '%s'", name);
  int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", name);
  if (is_mount_point(fd)) {
    /* A build killed mid-step can leave its overlay mounted in tmp/: detach
     * it rather than delete through it into layers other images share. */
    close(fd);
    char path[PATH_MAX];
    at_path(parent_fd, name, path, sizeof(path));
    if (umount2(path, MNT_DETACH) < 0)
      return pyoci_error_set(err, errno, "remove '%s': it is a mount point and unmounting failed", name);
    fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return pyoci_error_set(err, errno, "open '%s'", name);
  }
  /* Directories we unpacked may be mode 0555; make sure we can empty them. */
  fchmod(fd, 0700);
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return pyoci_error_set(err, errno, "opendir '%s'", name);
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    if (pyoci_rm_rf_at(dirfd(d), de->d_name, err) < 0)
      return pyoci_error_prefix(err, "remove '%s'", name);
  }
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return pyoci_error_set(err, errno, "rmdir '%s'", name);
  return 0;
}

int pyoci_rm_rf(const char *path, pyoci_error_t **err)
{
  return pyoci_rm_rf_at(AT_FDCWD, path, err);
}

bool pyoci_path_exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

int pyoci_mkdtemp(const char *parent, const char *prefix, char **out, pyoci_error_t **err)
{
  const char *base = parent != NULL && *parent != '\0' ? parent : pyoci_tmpdir();
  char *tmpl = NULL;
  tmpl = xasprintf("%s/%sXXXXXX", base, prefix);
  if (mkdtemp(tmpl) == NULL) {
    int e = errno;
    free(tmpl);
    return pyoci_error_set(err, e, "create a temporary directory in '%s'", base);
  }
  *out = tmpl;
  return 0;
}

char *pyoci_path_join(const char *a, const char *b)
{
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  char *r = NULL;
  r = xasprintf("%.*s/%s", (int)la, a, b);
  return r;
}
