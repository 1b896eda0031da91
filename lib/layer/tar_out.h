/* The buffered output both tar writers share (layers: tar_write.c, to a
 * sink; archives: lib/oci/archive_tar.c, to an fd): 512-byte padding, the
 * end-of-archive blocks, and a window into the buffer for reading file data
 * straight into it. */
#ifndef PYOCI_LAYER_TAR_OUT_H
#define PYOCI_LAYER_TAR_OUT_H

#include <stddef.h>
#include <stdint.h>

#include "layer.h"

typedef struct {
  pyoci_sink_fn sink;
  void *ctx;
  unsigned char *buf;
  size_t len, cap;
} pyoci_tar_out_t;

void pyoci_tar_out_init(pyoci_tar_out_t *o, size_t cap, pyoci_sink_fn sink, void *ctx);
void pyoci_tar_out_release(pyoci_tar_out_t *o);
int pyoci_tar_out_flush(pyoci_tar_out_t *o, pyoci_error_t **err);
int pyoci_tar_out_put(pyoci_tar_out_t *o, const void *p, size_t n, pyoci_error_t **err);
/* Zeros up to the next 512-byte boundary after a member of `size` bytes. */
int pyoci_tar_out_pad(pyoci_tar_out_t *o, uint64_t size, pyoci_error_t **err);
/* The two zero blocks that end an archive, then flush. */
int pyoci_tar_out_finish(pyoci_tar_out_t *o, pyoci_error_t **err);
/* Free room at the end of the buffer (flushing first when it is full):
 * fill up to *room bytes at the returned pointer, then pyoci_tar_out_commit
 * how many were written.  NULL on a flush error. */
unsigned char *pyoci_tar_out_space(pyoci_tar_out_t *o, size_t *room, pyoci_error_t **err);
void pyoci_tar_out_commit(pyoci_tar_out_t *o, size_t n);

#endif
