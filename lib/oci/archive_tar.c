/* The tar writer behind `pyoci save`: ustar headers with owner 0:0, fixed
 * modes and caller-chosen mtimes, so the same images always give the same
 * archive bytes.  Output is buffered and written straight to an fd; members
 * can be streamed, so no layer is ever held in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer/tar_header.h"
#include "lib/layer/tar_out.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fdcopy.h"
#include "lib/util/fs.h"
#include "archive_int.h"

#define TARW_BUF (256 * 1024)

struct pyoci_tarw {
  int fd;
  const char *what;
  pyoci_tar_out_t out;
  int64_t remaining; /* bytes still owed to the current streamed member */
  int64_t member_size;
  bool in_member;
};

static int fd_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  pyoci_tarw_t *w = ctx;
  return pyoci_write_all(w->fd, buf, len, w->what, err);
}

pyoci_tarw_t *pyoci_tarw_new(int fd, const char *what)
{
  pyoci_tarw_t *w = xcalloc(1, sizeof(*w));
  w->fd = fd;
  w->what = what;
  pyoci_tar_out_init(&w->out, TARW_BUF, fd_sink, w);
  return w;
}

void pyoci_tarw_free(pyoci_tarw_t *w)
{
  if (w == NULL)
    return;
  pyoci_tar_out_release(&w->out);
  free(w);
}

static int put(pyoci_tarw_t *w, const void *data, size_t len, pyoci_error_t **err)
{
  return pyoci_tar_out_put(&w->out, data, len, err);
}

/* Owner 0:0, no uname/gname; the encoding (and PAX for long names or big
 * sizes) is the layer writer's, so both kinds of tar look alike. */
static int header(pyoci_tarw_t *w, const char *name, char type, unsigned mode, int64_t size, int64_t mtime,
                  pyoci_error_t **err)
{
  if (*name == '\0')
    return pyoci_error_set(err, 0, "write '%s': empty member name", w->what);
  pyoci_tar_header_t h = {.name = name, .type = type, .mode = mode, .size = (uint64_t)size,
                          .mtime = mtime < 0 ? 0 : mtime};
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  if (pyoci_tar_header_encode(&h, &out, err) < 0)
    return -1;
  return put(w, out.buf, out.len, err);
}

int pyoci_tarw_dir(pyoci_tarw_t *w, const char *name, int64_t mtime, pyoci_error_t **err)
{
  cleanup_free char *n = NULL;
  n = xasprintf("%s/", name);
  return header(w, n, '5', 0755, 0, mtime, err);
}

int pyoci_tarw_file(pyoci_tarw_t *w, const char *name, const void *data, size_t len, int64_t mtime,
                    pyoci_error_t **err)
{
  if (header(w, name, '0', 0644, (int64_t)len, mtime, err) < 0 || put(w, data, len, err) < 0)
    return -1;
  return pyoci_tar_out_pad(&w->out, len, err);
}

int pyoci_tarw_begin(pyoci_tarw_t *w, const char *name, int64_t size, int64_t mtime, pyoci_error_t **err)
{
  if (header(w, name, '0', 0644, size, mtime, err) < 0)
    return -1;
  w->in_member = true;
  w->remaining = size;
  w->member_size = size;
  return 0;
}

int pyoci_tarw_write(pyoci_tarw_t *w, const void *buf, size_t len, pyoci_error_t **err)
{
  if (!w->in_member || (uint64_t)len > (uint64_t)w->remaining)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "write '%s': member content longer than announced",
                                w->what);
  w->remaining -= (int64_t)len;
  return put(w, buf, len, err);
}

int pyoci_tarw_copy_fd(pyoci_tarw_t *w, int fd, char digest[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  if (!w->in_member || w->remaining != w->member_size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "write '%s': member already partly written", w->what);
  if (pyoci_tar_out_flush(&w->out, err) < 0)
    return -1;
  if (digest == NULL ? pyoci_copy_fd_range(fd, w->remaining, w->fd, w->what, err) < 0
                     : pyoci_copy_fd_hashed(fd, w->remaining, w->fd, w->what, digest, err) < 0)
    return -1;
  w->remaining = 0;
  return 0;
}

int pyoci_tarw_sink(void *w, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_tarw_write(w, buf, len, err);
}

int pyoci_tarw_end(pyoci_tarw_t *w, pyoci_error_t **err)
{
  if (!w->in_member || w->remaining != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "write '%s': member content shorter than announced",
                                w->what);
  w->in_member = false;
  return pyoci_tar_out_pad(&w->out, (uint64_t)w->member_size, err);
}

int pyoci_tarw_finish(pyoci_tarw_t *w, pyoci_error_t **err)
{
  return pyoci_tar_out_finish(&w->out, err);
}
