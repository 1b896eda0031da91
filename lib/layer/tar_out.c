#include "tar_out.h"

#include <stdlib.h>
#include <string.h>

#include "layer_int.h"
#include "lib/util/alloc.h"

#define TAR_BLOCK 512

void pyoci_tar_out_init(pyoci_tar_out_t *o, size_t cap, pyoci_sink_fn sink, void *ctx)
{
  memset(o, 0, sizeof(*o));
  o->buf = xmalloc(cap);
  o->cap = cap;
  o->sink = sink;
  o->ctx = ctx;
}

void pyoci_tar_out_release(pyoci_tar_out_t *o)
{
  free(o->buf);
  o->buf = NULL;
}

int pyoci_tar_out_flush(pyoci_tar_out_t *o, pyoci_error_t **err)
{
  if (o->len == 0)
    return 0;
  int r = o->sink(o->ctx, o->buf, o->len, err);
  o->len = 0;
  if (r < 0 && err != NULL && *err == NULL)
    pyoci_error_set(err, 0, "tar: output failed");
  return r < 0 ? -1 : 0;
}

int pyoci_tar_out_put(pyoci_tar_out_t *o, const void *p, size_t n, pyoci_error_t **err)
{
  const unsigned char *s = p;
  while (n > 0) {
    if (o->len == o->cap && pyoci_tar_out_flush(o, err) < 0)
      return -1;
    pyoci_buf_fill(o->buf, &o->len, o->cap, &s, &n);
  }
  return 0;
}

int pyoci_tar_out_pad(pyoci_tar_out_t *o, uint64_t size, pyoci_error_t **err)
{
  static const unsigned char zeros[TAR_BLOCK];
  size_t rem = (size_t)(size % TAR_BLOCK);
  return rem ? pyoci_tar_out_put(o, zeros, TAR_BLOCK - rem, err) : 0;
}

int pyoci_tar_out_finish(pyoci_tar_out_t *o, pyoci_error_t **err)
{
  static const unsigned char zeros[2 * TAR_BLOCK];
  if (pyoci_tar_out_put(o, zeros, sizeof(zeros), err) < 0)
    return -1;
  return pyoci_tar_out_flush(o, err);
}

unsigned char *pyoci_tar_out_space(pyoci_tar_out_t *o, size_t *room, pyoci_error_t **err)
{
  if (o->len == o->cap && pyoci_tar_out_flush(o, err) < 0)
    return NULL;
  *room = o->cap - o->len;
  return o->buf + o->len;
}

void pyoci_tar_out_commit(pyoci_tar_out_t *o, size_t n)
{
  o->len += n;
}
