/* Output files (outfile.h). */
#include "outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "alloc.h"

struct pyoci_outfile {
  char *path;
  char *base;   /* path's last component */
  int fd;
  int dirfd;    /* the parent, -1 when written through */
  char *tmp;    /* named temp file (no O_TMPFILE here), else NULL */
  bool through; /* a device, FIFO or symlink: written in place */
};

static void outfile_free(pyoci_outfile_t *f)
{
  if (f->fd >= 0)
    close(f->fd);
  if (f->dirfd >= 0)
    close(f->dirfd);
  free(f->path);
  free(f->base);
  free(f->tmp);
  free(f);
}

/* "<base>.tmp-<pid>-..." of a process that is gone: a killed writer's. */
static void remove_stale(int dirfd, const char *base)
{
  cleanup_dir DIR *d = fdopendir(openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  size_t bl = strlen(base);
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL) {
    if (strncmp(de->d_name, base, bl) != 0 || strncmp(de->d_name + bl, ".tmp-", 5) != 0)
      continue;
    char *end = NULL;
    long pid = strtol(de->d_name + bl + 5, &end, 10);
    if (pid > 0 && end && *end == '-' && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
      unlinkat(dirfd, de->d_name, 0);
  }
}

/* A named temp beside the target, for file systems without O_TMPFILE. */
static int open_named_tmp(pyoci_outfile_t *f, mode_t mode, pyoci_error_t **err)
{
  remove_stale(f->dirfd, f->base);
  f->tmp = xasprintf("%s.tmp-%d-XXXXXX", f->path, (int)getpid());
  f->fd = mkostemp(f->tmp, O_CLOEXEC);
  if (f->fd < 0)
    return pyoci_error_set(err, errno, "create '%s'", f->tmp);
  mode_t mask = umask(0);
  umask(mask);
  if (fchmod(f->fd, mode & ~mask) < 0)
    return pyoci_error_set(err, errno, "chmod '%s'", f->tmp);
  return 0;
}

static int open_replaceable(pyoci_outfile_t *f, mode_t mode, pyoci_error_t **err)
{
  cleanup_free char *copy = xstrdup(f->path);
  const char *dir = dirname(copy);
  f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* not O_PATH: fsync needs it */
  if (f->dirfd < 0)
    return pyoci_error_set(err, errno, "open directory '%s'", dir);
  f->fd = openat(f->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (f->fd >= 0)
    return 0;
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    return pyoci_error_set(err, errno, "create a file in '%s'", dir);
  return open_named_tmp(f, mode, err);
}

int pyoci_outfile_open(const char *path, mode_t mode, pyoci_outfile_t **out, pyoci_error_t **err)
{
  pyoci_outfile_t *f = xcalloc(1, sizeof(*f));
  f->fd = f->dirfd = -1;
  f->path = xstrdup(path);
  cleanup_free char *copy = xstrdup(path);
  f->base = xstrdup(basename(copy));
  struct stat st;
  int rc, there = lstat(path, &st);
  if (there < 0 && errno != ENOENT) {
    rc = pyoci_error_set(err, errno, "stat '%s'", path);
  } else if (there < 0 || S_ISREG(st.st_mode)) {
    rc = open_replaceable(f, mode, err);
  } else if (S_ISDIR(st.st_mode) || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
    rc = pyoci_error_set(err, EISDIR, "write '%s'", path);
  } else {
    /* device, FIFO, socket or symlink: write through, never replace */
    f->through = true;
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, mode);
    rc = f->fd < 0 ? pyoci_error_set(err, errno, "open '%s'", path) : 0;
  }
  if (rc < 0) {
    pyoci_outfile_abort(f);
    return -1;
  }
  *out = f;
  return 0;
}

int pyoci_outfile_fd(const pyoci_outfile_t *f)
{
  return f->fd;
}

/* rename(tmp, path), but an existing file is swapped out with
 * RENAME_EXCHANGE and then removed: a plain rename over an existing file
 * makes ext4 (auto_da_alloc) write the whole new file back inside rename()
 * (0.1-0.3 s per 128 MB save).  Readers see the old file or the new one.
 * The target is checked again: only an absent or regular file is replaced,
 * even when something else was put there while we wrote. */
static int replace(pyoci_outfile_t *f, const char *tmp, pyoci_error_t **err)
{
  struct stat st;
  bool exists = fstatat(f->dirfd, f->base, &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !S_ISREG(st.st_mode))
    return pyoci_error_set(err, 0, "write '%s': it stopped being a regular file while pyoci wrote it", f->path);
  if (exists && renameat2(f->dirfd, tmp, f->dirfd, f->base, RENAME_EXCHANGE) == 0) {
    unlinkat(f->dirfd, tmp, 0);
    return 0;
  }
  if (renameat(f->dirfd, tmp, f->dirfd, f->base) < 0)
    return pyoci_error_set(err, errno, "rename '%s' to '%s'", tmp, f->path);
  return 0;
}

/* Give the O_TMPFILE its name: linked straight in when the path is free,
 * else linked as a temp name and swapped over the old file. */
static int link_tmpfile(pyoci_outfile_t *f, pyoci_error_t **err)
{
  char proc[64];
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->fd);
  if (linkat(AT_FDCWD, proc, f->dirfd, f->base, AT_SYMLINK_FOLLOW) == 0)
    return 0;
  if (errno != EEXIST)
    return pyoci_error_set(err, errno, "link '%s'", f->path);
  static unsigned counter;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char tmp[4200];
  snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%lx%x", f->base, (int)getpid(), (unsigned long)now.tv_nsec, ++counter);
  if (linkat(AT_FDCWD, proc, f->dirfd, tmp, AT_SYMLINK_FOLLOW) < 0)
    return pyoci_error_set(err, errno, "link '%s'", f->path);
  if (replace(f, tmp, err) < 0) {
    unlinkat(f->dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

int pyoci_outfile_commit(pyoci_outfile_t *f, bool sync, pyoci_error_t **err)
{
  int rc = 0;
  if (sync && fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS)
    rc = pyoci_error_set(err, errno, "fsync '%s'", f->path);
  if (rc == 0 && !f->through) {
    if (f->tmp == NULL) {
      rc = link_tmpfile(f, err);
    } else {
      cleanup_free char *copy = xstrdup(f->tmp);
      rc = replace(f, basename(copy), err);
    }
    if (rc == 0)
      free(steal_pointer(&f->tmp));
    if (rc == 0 && sync && fsync(f->dirfd) < 0 && errno != EINVAL)
      rc = pyoci_error_set(err, errno, "fsync the directory of '%s'", f->path);
  }
  if (rc < 0) {
    pyoci_outfile_abort(f);
    return -1;
  }
  if (close(steal_fd(&f->fd)) < 0 && f->through)
    rc = pyoci_error_set(err, errno, "close '%s'", f->path);
  outfile_free(f);
  return rc;
}

void pyoci_outfile_abort(pyoci_outfile_t *f)
{
  if (f == NULL)
    return;
  if (f->tmp)
    unlink(f->tmp);
  outfile_free(f);
}
