/* OCI whiteouts: recognising them and applying them to an unpacked tree.
 *
 * ".wh.NAME" deletes NAME from the layers below; ".wh..wh..opq" hides
 * everything the layers below put in its directory.  Per the OCI spec a
 * whiteout never applies to what its own layer created, so the caller passes
 * the set of paths this layer has created so far and those survive in
 * whatever order the archive lists them.  Other ".wh..wh.*" names are AUFS
 * bookkeeping and are ignored. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "layer.h"
#include "layer_int.h"

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"
#define WH_META ".wh..wh."

static const char *base_name(const char *path)
{
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

bool pyoci_is_opaque_whiteout(const char *path)
{
  return strcmp(base_name(path), WH_OPAQUE) == 0;
}

bool pyoci_is_whiteout(const char *path, const char **target_name)
{
  const char *b = base_name(path);
  if (strncmp(b, WH_PREFIX, 4) != 0 || strncmp(b, WH_META, 8) == 0)
    return false;
  if (target_name)
    *target_name = b + 4;
  return true;
}

bool pyoci_is_whiteout_meta(const char *path)
{
  const char *b = base_name(path);
  return strncmp(b, WH_META, 8) == 0 && strcmp(b, WH_OPAQUE) != 0;
}

static char *child_path(const char *dir, const char *name)
{
  char *p = NULL;
  if (asprintf(&p, "%s%s%s", dir, *dir ? "/" : "", name) < 0)
    return NULL;
  return p;
}

int pyoci_whiteout_remove(int dirfd, const char *dirpath, const char *name, const pyoci_strmap_t *created,
                          bool as_overlay, pyoci_error_t **err)
{
  cleanup_free char *p = child_path(dirpath, name);
  if (p == NULL)
    return pyoci_error_set(err, ENOMEM, "whiteout");
  if (pyoci_strmap_find(created, p) != NULL)
    return 0; /* this layer's own entry: whiteouts only hide lower layers */
  if (pyoci_rm_rf_at(dirfd, name, err) < 0)
    return -1;
  if (as_overlay && mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return pyoci_error_set(err, errno, "create overlay whiteout '%s'", p);
  return 0;
}

/* Remove everything under dirfd not created by this layer, descending into
 * directories this layer re-declared (their lower contents go too). */
static int opaque_clean(int dfd, const char *dirpath, const pyoci_strmap_t *created, int depth,
                        pyoci_error_t **err)
{
  if (depth > 4096)
    return pyoci_error_set(err, ELOOP, "opaque whiteout in '%s'", dirpath);
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", dirpath);
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    close(fd);
    return pyoci_error_set(err, errno, "open '%s'", dirpath);
  }
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    cleanup_free char *p = child_path(dirpath, de->d_name);
    if (p == NULL)
      return pyoci_error_set(err, ENOMEM, "opaque whiteout");
    if (pyoci_strmap_find(created, p) == NULL) {
      if (pyoci_rm_rf_at(dirfd(d), de->d_name, err) < 0)
        return -1;
      continue;
    }
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      cleanup_close int sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        return pyoci_error_set(err, errno, "open '%s'", p);
      if (opaque_clean(sub, p, created, depth + 1, err) < 0)
        return -1;
    }
  }
  return 0;
}

int pyoci_whiteout_opaque(int dirfd, const char *dirpath, const pyoci_strmap_t *created, bool as_overlay,
                          pyoci_error_t **err)
{
  if (opaque_clean(dirfd, dirpath, created, 0, err) < 0)
    return -1;
  if (!as_overlay)
    return 0;
  cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
    return pyoci_error_set(err, errno, "mark '%s' opaque", *dirpath ? dirpath : "/");
  return 0;
}
