/* Directory -> layer blob in the store, in one streaming pass:
 *   tar_dir --> sha256 (diff_id) --> compressor --> blob writer (digest). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer/codec.h"
#include "lib/util/alloc.h"
#include "layer_store.h"

typedef struct {
  pyoci_sha256_t *diff;
  pyoci_compressor_t *comp;
} pipe_t;

static int tar_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  pipe_t *p = ctx;
  pyoci_sha256_update(p->diff, buf, len);
  return pyoci_compressor_write(p->comp, buf, len, err);
}

static const char *media_type(pyoci_comp_t c)
{
  return pyoci_codec_get(c)->media_type;
}

/* Plain tar: the blob is the layer, so its digest is the diff_id and one
 * hash pass serves both. */
static int plain_layer_from_dir(pyoci_store_t *s, const char *dir, const pyoci_layer_opts_t *opts,
                                pyoci_desc_t *desc, char diff_id[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  if (pyoci_tar_dir(dir, opts, pyoci_blob_writer_sink, w, err) < 0) {
    pyoci_blob_writer_abort(w);
    return -1;
  }
  memset(desc, 0, sizeof(*desc));
  if (pyoci_blob_writer_commit(w, NULL, desc->digest, &desc->size, err) < 0)
    return pyoci_error_prefix(err, "layer from '%s'", dir);
  memcpy(diff_id, desc->digest, PYOCI_DIGEST_LEN);
  desc->media_type = xstrdup(PYOCI_MT_OCI_LAYER);
  return 0;
}

int pyoci_layer_from_dir(pyoci_store_t *s, const char *dir, const pyoci_layer_opts_t *opts, pyoci_desc_t *desc,
                         char diff_id[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  pyoci_layer_opts_t defaults;
  if (opts == NULL) {
    pyoci_layer_opts_init(&defaults);
    opts = &defaults;
  }
  if (opts->comp == PYOCI_COMP_NONE)
    return plain_layer_from_dir(s, dir, opts, desc, diff_id, err);
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  pipe_t p = {.diff = pyoci_sha256_new()};
  p.comp = pyoci_compressor_new(opts->comp, opts->level, opts->threads, pyoci_blob_writer_sink, w);
  if (p.comp == NULL) {
    pyoci_sha256_free(p.diff);
    pyoci_blob_writer_abort(w);
    return pyoci_error_set(err, ENOMEM, "layer from '%s': cannot start the compressor", dir);
  }
  int r = pyoci_tar_dir(dir, opts, tar_sink, &p, err);
  if (r == 0)
    r = pyoci_compressor_finish(p.comp, err);
  else
    pyoci_compressor_free(p.comp);
  if (r < 0) {
    pyoci_sha256_free(p.diff);
    pyoci_blob_writer_abort(w);
    return -1;
  }
  pyoci_sha256_final(p.diff, diff_id);
  memset(desc, 0, sizeof(*desc));
  if (pyoci_blob_writer_commit(w, NULL, desc->digest, &desc->size, err) < 0)
    return pyoci_error_prefix(err, "layer from '%s'", dir);
  desc->media_type = xstrdup(media_type(opts->comp));
  return 0;
}
