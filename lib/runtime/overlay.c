/* Overlay mounts for RUN steps.  Lower directories are passed relative to
 * their common parent (after a chdir) so that dozens of layers fit in the
 * one page the kernel allows for mount options. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"
#include "lib/util/walk.h"
#include "runtime.h"

/* Parent directory shared by every lower, or NULL. */
static char *common_parent(const char *const *lowers, size_t n)
{
  if (n == 0)
    return NULL;
  cleanup_free char *first = xstrdup(lowers[0]);
  char *parent = xstrdup(dirname(first));
  for (size_t i = 1; i < n; i++) {
    cleanup_free char *c = xstrdup(lowers[i]);
    if (strcmp(dirname(c), parent) != 0) {
      free(parent);
      return NULL;
    }
  }
  return parent;
}

/* Two layers with the same diff ID (`RUN true` twice) unpack to the same
 * directory, and overlay refuses a lowerdir list naming one directory twice
 * (ELOOP).  The lower copy is redundant: the upper one holds the same
 * entries and whiteouts, so it already shadows everything the lower one
 * would.  Keep the top-most occurrence only. */
static bool listed_above(const char *const *lowers, size_t i)
{
  for (size_t j = 0; j < i; j++)
    if (strcmp(lowers[j], lowers[i]) == 0)
      return true;
  return false;
}

int pyoci_overlay_mount(const char *const *lowers, size_t n_lowers, const char *upper, const char *work,
                        const char *merged, pyoci_error_t **err)
{
  cleanup_free char *empty = NULL;
  const char *only_empty[1];
  if (n_lowers == 0) {
    /* overlay needs a lower dir: give it an empty one beside work. */
    cleanup_free char *w = xstrdup(work);
    empty = pyoci_path_join(dirname(w), "empty-lower");
    if (pyoci_mkdir_p(empty, 0755, err) < 0)
      return -1;
    only_empty[0] = empty;
    lowers = only_empty;
    n_lowers = 1;
  }
  /* A volatile mount leaves WORK/work/incompat/volatile behind, and overlay
   * refuses to mount that work dir again until it is gone (the upper dir
   * may have missed writes after a crash; ours is scratch either way). */
  cleanup_free char *incompat = pyoci_path_join(work, "work/incompat");
  if (pyoci_path_exists(incompat) && pyoci_rm_rf(incompat, err) < 0)
    return pyoci_error_prefix(err, "mount overlay on '%s'", merged);
  cleanup_free char *parent = common_parent(lowers, n_lowers);
  strbuf_t opts = STRBUF_INIT;
  strbuf_addstr(&opts, "lowerdir=");
  size_t n_used = 0;
  for (size_t i = 0; i < n_lowers; i++) {
    const char *l = lowers[i];
    if (listed_above(lowers, i))
      continue;
    if (parent)
      l += strlen(parent) + 1;
    strbuf_addf(&opts, "%s%s", n_used++ ? ":" : "", l);
  }
  strbuf_addf(&opts, ",upperdir=%s,workdir=%s", upper, work);
  if (opts.len >= 4000) {
    strbuf_release(&opts);
    return pyoci_error_set(err, 0, "mount overlay on '%s': %zu layers do not fit in the mount options", merged,
                           n_lowers);
  }
  cleanup_close int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent && chdir(parent) < 0) {
    strbuf_release(&opts);
    return pyoci_error_set(err, errno, "chdir '%s'", parent);
  }
  /* volatile (Linux 5.10+): no syncs to the upper file system.  A step's
   * upper dir is scratch until it is written out as a layer, and without
   * it the umount syncs the whole upper file system -- 0.2 s after
   * unpacking a 195 MB base onto a journaled ext4. */
  size_t plain_len = opts.len;
  strbuf_addstr(&opts, ",volatile");
  int rc = mount("overlay", merged, "overlay", 0, opts.buf);
  if (rc < 0 && errno == EINVAL) {
    opts.buf[plain_len] = '\0';
    opts.len = plain_len;
    rc = mount("overlay", merged, "overlay", 0, opts.buf);
  }
  int saved = errno;
  if (parent && cwd >= 0 && fchdir(cwd) < 0) {
    /* Nothing sensible to do: we keep going from wherever we are. */
  }
  strbuf_release(&opts);
  if (rc < 0)
    return pyoci_error_set(err, saved, "mount overlay on '%s'%s", merged,
                           saved == EPERM ? " (pyoci build needs root for RUN steps)" : "");
  return 0;
}

int pyoci_overlay_umount(const char *merged, pyoci_error_t **err)
{
  if (umount2(merged, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return pyoci_error_set(err, errno, "umount '%s'", merged);
  return 0;
}

static bool exists_in_lowers(const char *rel, const char *const *lowers, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *p = pyoci_path_join(lowers[i], rel);
    struct stat st;
    if (lstat(p, &st) == 0)
      return !(S_ISCHR(st.st_mode) && st.st_rdev == 0); /* a whiteout hides it */
  }
  return false;
}

int pyoci_overlay_clean_mountpoints(const char *upper, const char *const *lowers, size_t n_lowers,
                                    pyoci_error_t **err)
{
  /* Deepest first, so a created "dev" is empty once "dev/pts" is gone. */
  static const char *const points[] = {"etc/resolv.conf", "etc/hosts", "dev/mqueue", "dev/shm", "dev/pts",
                                       "dev", "proc", "sys", "etc", NULL};
  for (const char *const *p = points; *p; p++) {
    if (exists_in_lowers(*p, lowers, n_lowers))
      continue;
    cleanup_free char *full = pyoci_path_join(upper, *p);
    struct stat st;
    if (lstat(full, &st) < 0)
      continue;
    if (S_ISREG(st.st_mode) && st.st_size == 0)
      unlink(full);
    else if (S_ISDIR(st.st_mode))
      rmdir(full); /* only succeeds when empty: the step's own files stay */
  }
  (void)err;
  return 0;
}

/* The lower entry rel stands for in the merged view (NULL when none). */
static bool lower_stat(const char *rel, const char *const *lowers, size_t n, struct stat *st)
{
  for (size_t i = 0; i < n; i++) {
    cleanup_free char *p = pyoci_path_join(lowers[i], rel);
    if (lstat(p, st) == 0)
      return !(S_ISCHR(st->st_mode) && st->st_rdev == 0);
  }
  return false;
}

/* Remove upper/rel when it holds no change of the step's own. */
static void clean_one(const char *upper, const char *rel, const char *const *lowers, size_t n_lowers)
{
  cleanup_free char *full = pyoci_path_join(upper, rel);
  struct stat up, low;
  if (lstat(full, &up) < 0)
    return;
  bool below = lower_stat(rel, lowers, n_lowers, &low);
  if (!below) {
    if (S_ISREG(up.st_mode) && up.st_size == 0)
      unlink(full);
    else if (S_ISDIR(up.st_mode))
      rmdir(full); /* only succeeds when empty */
    return;
  }
  /* A directory the overlay copied up only to create a mount point in it:
   * same type, mode and owner as below, nothing left in it, not opaque. */
  char opaque[4] = "";
  if (S_ISDIR(up.st_mode) && S_ISDIR(low.st_mode) && up.st_mode == low.st_mode && up.st_uid == low.st_uid &&
      up.st_gid == low.st_gid && getxattr(full, "trusted.overlay.opaque", opaque, sizeof(opaque)) < 0 &&
      pyoci_dir_is_empty(full, false))
    rmdir(full);
}

int pyoci_overlay_clean_targets(const char *upper, const char *const *lowers, size_t n_lowers,
                                const char *const *targets, size_t n_targets, pyoci_error_t **err)
{
  /* Later mounts may sit inside earlier ones: clean in reverse order. */
  for (size_t i = n_targets; i-- > 0;) {
    cleanup_free char *rel = xstrdup(targets[i]);
    if (pyoci_path_has_dotdot(rel))
      continue; /* callers pass clean paths; never walk out of upper */
    for (;;) {
      while (*rel == '/')
        memmove(rel, rel + 1, strlen(rel));
      if (*rel == '\0' || strcmp(rel, ".") == 0)
        break;
      clean_one(upper, rel, lowers, n_lowers);
      char *slash = strrchr(rel, '/');
      if (slash == NULL)
        break;
      *slash = '\0';
    }
  }
  return 0;
}
