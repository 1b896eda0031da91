/* Directory driver: scan every regular file of a tree (an unpacked rootfs, a
 * build context).  Symlinks are never followed, so a hostile tree cannot
 * point the scanner outside itself; devices, FIFOs and sockets are skipped. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/util/walk.h"
#include "scan.h"

struct walk {
  pyoci_secret_cb cb;
  void *ctx;
  int found;
};

static int scan_file_at(struct walk *w, int dirfd, const char *name, const char *rel, pyoci_error_t **err)
{
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    /* Unreadable files are reported, not fatal: the rest still gets scanned. */
    pyoci_log(PYOCI_LOG_WARN, "secret scan: open '%s': %s", rel, strerror(errno));
    return 0;
  }
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
    return 0;
  if ((uint64_t)st.st_size > PYOCI_SECRET_MAX_FILE) {
    pyoci_log(PYOCI_LOG_DEBUG, "secret scan: '%s' is over %u bytes, skipped", rel, PYOCI_SECRET_MAX_FILE);
    return 0;
  }
  cleanup_free char *buf = NULL;
  size_t len = 0;
  pyoci_error_t *rerr = NULL;
  if (pyoci_read_fd(fd, rel, PYOCI_SECRET_MAX_FILE, &buf, &len, &rerr) < 0) {
    pyoci_log(PYOCI_LOG_WARN, "secret scan: %s", rerr->msg);
    pyoci_error_free(rerr);
    return 0;
  }
  int n = pyoci_secret_scan_buffer(rel, buf, len, w->cb, w->ctx, err);
  if (n < 0)
    return -1;
  w->found += n;
  return 0;
}

static int visit(const pyoci_walk_entry_t *e, void *ctx, pyoci_error_t **err)
{
  if (pyoci_secret_path_allowed(e->rel))
    return PYOCI_WALK_SKIP;
  if (e->type == DT_REG)
    return scan_file_at(ctx, e->dirfd, e->name, e->rel, err);
  return 0;
}

int pyoci_secret_scan_dir(const char *dir, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err)
{
  cleanup_close int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open directory '%s'", dir);
  struct walk w = {.cb = cb, .ctx = ctx};
  if (pyoci_walk_at(fd, "secret scan", visit, &w, 0, PYOCI_WALK_SKIP_UNREADABLE, err) < 0)
    return -1;
  return w.found;
}
