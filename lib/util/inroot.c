/* Resolving untrusted paths inside a root (inroot.h). */
#include "inroot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "strbuf.h"
#include "alloc.h"

#define MAX_LINKS 40 /* as the kernel (and Go's securejoin) allow */
#define MAX_RESOLVE_PATH 65536

int pyoci_open_in_root(int root_fd, const char *rel, int flags)
{
  struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
                         .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  for (int tries = 0;; tries++) {
    int fd = (int)syscall(SYS_openat2, root_fd, *rel ? rel : ".", &how, sizeof(how));
    /* EAGAIN: a concurrent rename somewhere under root; retry a little. */
    if (fd >= 0 || errno != EAGAIN || tries > 16)
      return fd;
  }
}

/* Drop the last component of the resolved path ("" stays ""). */
static void pop_component(strbuf_t *out)
{
  char *slash = out->len ? strrchr(out->buf, '/') : NULL;
  out->len = slash ? (size_t)(slash - out->buf) : 0;
  if (out->buf)
    out->buf[out->len] = '\0';
}

/* What out/name is, without following it: 1 symlink (target in *link),
 * 0 anything else or missing. */
static int probe(int root_fd, const strbuf_t *out, const char *name, char **link)
{
  cleanup_close int dfd = pyoci_open_in_root(root_fd, out->len ? out->buf : "", O_PATH | O_DIRECTORY);
  struct stat st;
  if (dfd < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
    return 0;
  char buf[4097];
  ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
  if (n < 0)
    return 0;
  buf[n] = '\0';
  *link = xstrdup(buf);
  return 1;
}

int pyoci_resolve_in_root(int root_fd, const char *path, char **out_path, pyoci_error_t **err)
{
  strbuf_t out = STRBUF_INIT, rest = STRBUF_INIT;
  strbuf_addstr(&rest, path);
  size_t pos = 0;
  int links = 0;
  while (pos < rest.len) {
    size_t end = pos;
    while (end < rest.len && rest.buf[end] != '/')
      end++;
    cleanup_free char *name = xstrndup(rest.buf + pos, end - pos);
    pos = end + 1;
    if (*name == '\0' || strcmp(name, ".") == 0)
      continue;
    if (strcmp(name, "..") == 0) {
      pop_component(&out);
      continue;
    }
    cleanup_free char *link = NULL;
    if (probe(root_fd, &out, name, &link) == 0) {
      if (out.len)
        strbuf_addch(&out, '/');
      strbuf_addstr(&out, name);
      continue;
    }
    if (++links > MAX_LINKS || strlen(link) + rest.len > MAX_RESOLVE_PATH) {
      strbuf_release(&out);
      strbuf_release(&rest);
      return pyoci_error_set(err, ELOOP, "resolve '%s'", path);
    }
    /* splice the target in front of what is left; absolute = from root */
    strbuf_t next = STRBUF_INIT;
    strbuf_addf(&next, "%s/%s", link, pos < rest.len ? rest.buf + pos : "");
    strbuf_release(&rest);
    rest = next;
    pos = 0;
    if (link[0] == '/' && out.len) {
      out.len = 0;
      out.buf[0] = '\0';
    }
  }
  strbuf_release(&rest);
  *out_path = strbuf_detach(&out);
  return 0;
}

int pyoci_pin_in_root(int root_fd, const char *rel, int flags, const char *what, pyoci_pin_t *out,
                      pyoci_error_t **err)
{
  int fd = pyoci_open_in_root(root_fd, rel, O_PATH | flags);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", what);
  out->fd = fd;
  return 0;
}

int pyoci_pin_publish(pyoci_pin_t *p, const char *at, pyoci_error_t **err)
{
  struct stat st;
  if (fstat(p->fd, &st) < 0)
    return pyoci_error_set(err, errno, "stat the source of '%s'", at);
  int made = S_ISDIR(st.st_mode) ? mkdir(at, 0700) : mknod(at, S_IFREG | 0600, 0);
  if (made < 0)
    return pyoci_error_set(err, errno, "create mount point '%s'", at);
  char src[64];
  snprintf(src, sizeof(src), "/proc/self/fd/%d", p->fd);
  if (mount(src, at, NULL, MS_BIND | MS_REC, NULL) < 0) {
    int e = errno;
    S_ISDIR(st.st_mode) ? rmdir(at) : unlink(at);
    return pyoci_error_set(err, e, "bind mount onto '%s'", at);
  }
  p->path = xstrdup(at);
  return 0;
}

void pyoci_pin_release(pyoci_pin_t *p)
{
  if (p->path) {
    umount2(p->path, MNT_DETACH);
    if (unlink(p->path) < 0 && errno == EISDIR)
      rmdir(p->path);
    free(p->path);
    p->path = NULL;
  }
  if (p->fd >= 0)
    close(p->fd);
  p->fd = -1;
}
