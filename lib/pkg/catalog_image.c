/* Feeding a catalog from image layers (lib/layer's tar reader) and the
 * whole-image convenience over the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/util/cleanup.h"
#include "lib/util/log.h"
#include "catalog.h"

static ssize_t tar_read(void *ctx, void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_tar_reader_read(ctx, buf, len, err);
}


int pyoci_catalog_feed_layer(pyoci_catalog_t *cat, int layer_index, const char *layer_digest,
                             pyoci_tar_reader_t *reader, pyoci_error_t **err)
{
  pyoci_catalog_set_layer_digest(cat, layer_index, layer_digest);
  pyoci_tar_entry_t e;
  int rc;
  while ((rc = pyoci_tar_reader_next(reader, &e, err)) > 0) {
    if (pyoci_catalog_feed_entry(cat, layer_index, e.path, pyoci_cat_type_of(e.type), e.size, e.link, tar_read, reader,
                                 err) < 0)
      return pyoci_error_prefix(err, "layer %d (%s)", layer_index, layer_digest ? layer_digest : "?");
  }
  if (rc < 0)
    return pyoci_error_prefix(err, "layer %d (%s)", layer_index, layer_digest ? layer_digest : "?");
  return 0;
}

int pyoci_catalog_image(pyoci_store_t *store, const pyoci_image_t *img, pyoci_catalog_result_t **out,
                        pyoci_error_t **err)
{
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  for (size_t i = 0; i < img->n_layers; i++) {
    const char *digest = img->layers[i].digest;
    char label[64];
    snprintf(label, sizeof(label), "Cataloging layer %zu/%zu", i + 1, img->n_layers);
    pyoci_progress(label, i, img->n_layers, 0);
    cleanup_close int fd = -1;
    int64_t size = 0;
    if (pyoci_store_open_blob(store, digest, &fd, &size, err) < 0)
      return -1;
    pyoci_tar_reader_t *r = NULL;
    if (pyoci_tar_reader_open(fd, digest, &r, err) < 0)
      return -1;
    int rc = pyoci_catalog_feed_layer(cat, (int)i, digest, r, err);
    pyoci_tar_reader_free(r);
    if (rc < 0)
      return -1;
  }
  pyoci_progress("Cataloging layers", img->n_layers, img->n_layers, 1);
  return pyoci_catalog_finish(cat, out, err);
}
