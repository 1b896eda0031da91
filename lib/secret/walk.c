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
#include "lib/util/strbuf.h"
#include "scan.h"

enum { MAX_DEPTH = 256 };

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

static int walk_dir(struct walk *w, int dfd, strbuf_t *rel, int depth, pyoci_error_t **err)
{
  if (depth > MAX_DEPTH)
    return pyoci_error_set(err, 0, "secret scan: '%s' is nested more than %d directories deep", rel->buf,
                           MAX_DEPTH);
  DIR *d = fdopendir(dfd);
  if (d == NULL) {
    close(dfd);
    return pyoci_error_set(err, errno, "open directory '%s'", rel->len ? rel->buf : ".");
  }
  cleanup_dir DIR *dir = d;
  size_t base = rel->len;
  struct dirent *de;
  int ret = 0;
  while (ret == 0 && (errno = 0, de = readdir(dir)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    rel->len = base;
    rel->buf[base] = '\0';
    if (base)
      strbuf_addch(rel, '/');
    strbuf_addstr(rel, de->d_name);
    if (pyoci_secret_path_allowed(rel->buf))
      continue;
    struct stat st;
    if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        pyoci_log(PYOCI_LOG_WARN, "secret scan: open directory '%s': %s", rel->buf, strerror(errno));
        continue;
      }
      ret = walk_dir(w, sub, rel, depth + 1, err);
    } else if (S_ISREG(st.st_mode)) {
      ret = scan_file_at(w, dirfd(dir), de->d_name, rel->buf, err);
    }
  }
  rel->len = base;
  if (rel->buf)
    rel->buf[base] = '\0';
  return ret;
}

int pyoci_secret_scan_dir(const char *dir, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open directory '%s'", dir);
  struct walk w = {.cb = cb, .ctx = ctx};
  cleanup_strbuf strbuf_t rel = STRBUF_INIT;
  strbuf_addstr(&rel, "");
  if (walk_dir(&w, fd, &rel, 0, err) < 0)
    return -1;
  return w.found;
}
