/* A directory made into a layer blob in the store: the one place where a
 * tar stream (lib/layer) becomes store content (lib/oci).  Build steps,
 * import and assemble all end here. */
#ifndef PYOCI_IMAGE_LAYER_STORE_H
#define PYOCI_IMAGE_LAYER_STORE_H

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"

/* Make a layer blob in the store from a directory: fills desc (OCI layer
 * media type for the compression) and diff_id. */
int pyoci_layer_from_dir(pyoci_store_t *s, const char *dir, const pyoci_layer_opts_t *opts, pyoci_desc_t *desc,
                         char diff_id[PYOCI_DIGEST_LEN], pyoci_error_t **err);

#endif
