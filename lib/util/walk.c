#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cleanup.h"
#include "log.h"
#include "strbuf.h"

typedef struct {
  pyoci_walk_fn cb;
  void *ctx;
  int max_depth;
  unsigned flags;
  const char *what;
  strbuf_t rel;
} walker_t;

typedef struct {
  char *name;
  unsigned char type;
} dent_t;

static int walk_dir(walker_t *w, int fd, int depth, pyoci_error_t **err);

static const char *rel_or_dot(const walker_t *w)
{
  return w->rel.len ? w->rel.buf : ".";
}

static int visit(walker_t *w, int dfd, const char *name, unsigned char type, int depth, pyoci_error_t **err)
{
  struct stat st;
  bool have_st = false;
  if (type == DT_UNKNOWN || (w->flags & PYOCI_WALK_STAT)) {
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT)
        return 0; /* removed since readdir */
      return pyoci_error_set(err, errno, "%s: stat '%s%s%s'", w->what, w->rel.len ? w->rel.buf : "",
                             w->rel.len ? "/" : "", name);
    }
    have_st = true;
    type = (unsigned char)IFTODT(st.st_mode);
  }
  size_t len = w->rel.len;
  if (len)
    strbuf_addch(&w->rel, '/');
  strbuf_addstr(&w->rel, name);
  pyoci_walk_entry_t e = {dfd, name, w->rel.buf, depth, type, false,
                          (w->flags & PYOCI_WALK_STAT) && have_st ? &st : NULL};
  int rc = w->cb(&e, w->ctx, err);
  if (rc == 0 && type == DT_DIR) {
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0 && (w->flags & PYOCI_WALK_SKIP_UNREADABLE))
      pyoci_log(PYOCI_LOG_WARN, "%s: open directory '%s': %s", w->what, w->rel.buf, strerror(errno));
    else if (sub < 0)
      rc = pyoci_error_set(err, errno, "%s: open directory '%s'", w->what, w->rel.buf);
    else
      rc = walk_dir(w, sub, depth + 1, err);
    if (rc == 0 && (w->flags & PYOCI_WALK_POSTORDER)) {
      /* The children grew w->rel and may have moved it: the path is the
       * same again (each child cut it back), the pointer may not be.
       * (distill's fix_dir read freed memory here under ASan.) */
      e.rel = w->rel.buf;
      e.post = true;
      rc = w->cb(&e, w->ctx, err);
    }
  }
  w->rel.len = len;
  w->rel.buf[len] = '\0';
  return rc < 0 ? rc : 0;
}

static int cmp_dent(const void *a, const void *b)
{
  return strcmp(((const dent_t *)a)->name, ((const dent_t *)b)->name);
}

static bool dot_or_dotdot(const char *n)
{
  return n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'));
}

static int walk_sorted(walker_t *w, DIR *d, int depth, pyoci_error_t **err)
{
  dent_t *v = NULL;
  size_t n = 0, alloc = 0;
  struct dirent *de;
  int rc = 0;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (dot_or_dotdot(de->d_name))
      continue;
    ALLOC_GROW(v, n + 1, alloc);
    v[n].name = xstrdup(de->d_name);
    v[n++].type = de->d_type;
  }
  if (errno != 0)
    rc = pyoci_error_set(err, errno, "%s: readdir '%s'", w->what, rel_or_dot(w));
  if (n > 1)
    qsort(v, n, sizeof(*v), cmp_dent);
  for (size_t i = 0; i < n && rc == 0; i++)
    rc = visit(w, dirfd(d), v[i].name, v[i].type, depth, err);
  for (size_t i = 0; i < n; i++)
    free(v[i].name);
  free(v);
  return rc;
}

static int walk_dir(walker_t *w, int fd, int depth, pyoci_error_t **err)
{
  if (depth > w->max_depth) {
    close(fd);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: directory tree deeper than %d levels at '%s'",
                                w->what, w->max_depth, rel_or_dot(w));
  }
  cleanup_dir DIR *d = fdopendir(fd);
  if (d == NULL) {
    int e = errno;
    close(fd);
    return pyoci_error_set(err, e, "%s: opendir '%s'", w->what, rel_or_dot(w));
  }
  if (w->flags & PYOCI_WALK_SORTED)
    return walk_sorted(w, d, depth, err);
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL) {
    if (dot_or_dotdot(de->d_name))
      continue;
    int rc = visit(w, dirfd(d), de->d_name, de->d_type, depth, err);
    if (rc < 0)
      return rc;
  }
  if (errno != 0)
    return pyoci_error_set(err, errno, "%s: readdir '%s'", w->what, rel_or_dot(w));
  return 0;
}

bool pyoci_dir_is_empty(const char *path, bool if_unreadable)
{
  cleanup_dir DIR *d = opendir(path);
  if (d == NULL)
    return if_unreadable;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (!dot_or_dotdot(de->d_name))
      return false;
  return true;
}

int pyoci_walk_at(int dirfd, const char *what, pyoci_walk_fn cb, void *ctx, int max_depth, unsigned flags,
                  pyoci_error_t **err)
{
  walker_t w = {cb, ctx, max_depth > 0 ? max_depth : PYOCI_WALK_MAX_DEPTH, flags, what ? what : "walk",
                STRBUF_INIT};
  strbuf_addstr(&w.rel, "");
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = fd < 0 ? pyoci_error_set(err, errno, "%s: open directory", w.what) : walk_dir(&w, fd, 0, err);
  strbuf_release(&w.rel);
  return rc;
}
