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
#include "lib/util/walk.h"
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
  return xasprintf("%s%s%s", dir, *dir ? "/" : "", name);
}

int pyoci_whiteout_remove(int dirfd, const char *dirpath, const char *name, const pyoci_strmap_t *created,
                          bool as_overlay, pyoci_error_t **err)
{
  cleanup_free char *p = child_path(dirpath, name);
  if (pyoci_strmap_find(created, p) != NULL)
    return 0; /* this layer's own entry: whiteouts only hide lower layers */
  if (pyoci_rm_rf_at(dirfd, name, err) < 0)
    return -1;
  if (as_overlay && mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
    return pyoci_error_set(err, errno, "create overlay whiteout '%s'", p);
  return 0;
}

typedef struct {
  const char *dirpath;
  const pyoci_strmap_t *created;
} opaque_t;

/* Remove everything under the directory not created by this layer,
 * descending into directories this layer re-declared (their lower contents
 * go too). */
static int opaque_clean(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  const opaque_t *o = ctx;
  cleanup_free char *p = child_path(o->dirpath, e->rel);
  if (pyoci_strmap_find(o->created, p) != NULL)
    return 0;
  if (pyoci_rm_rf_at(e->dirfd, e->name, err) < 0)
    return -1;
  return PYOCI_WALK_SKIP;
}

int pyoci_whiteout_opaque(int dirfd, const char *dirpath, const pyoci_strmap_t *created, bool as_overlay,
                          pyoci_error_t **err)
{
  /* A layer's tree is as deep as its tar paths allow (a level is at least
   * 2 bytes of PYOCI_TAR_MAX_PATH): a deeper limit than other walks, so any
   * layer that unpacked can also be cleaned. */
  opaque_t o = {dirpath, created};
  if (pyoci_walk_at(dirfd, "opaque whiteout", opaque_clean, &o, PYOCI_TAR_MAX_PATH / 2, 0, err) < 0)
    return -1;
  if (!as_overlay)
    return 0;
  cleanup_close int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
    return pyoci_error_set(err, errno, "mark '%s' opaque", *dirpath ? dirpath : "/");
  return 0;
}
