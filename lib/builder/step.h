/* The file-system side of a build step.  Every step that changes files
 * (RUN, COPY, ADD, WORKDIR) runs on an overlay whose lower dirs are the
 * parent image's layers, unpacked once into <store>/cache/unpacked/<diff_id>;
 * the overlay's upper dir afterwards is exactly the step's layer.
 * COPY --from reads a stage or image through a read-only view of its layers. */
#ifndef PYOCI_BUILDER_STEP_H
#define PYOCI_BUILDER_STEP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/util/error.h"

/* The unpacked form of one layer, ready to be an overlay lower dir. */
int pyoci_lower_for_layer(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, char **dir_out,
                          pyoci_error_t **err);

typedef struct pyoci_step {
  char *dir; /* scratch dir holding upper/, work/, merged/ */
  char *upper, *work, *merged;
  char **lowers; /* top-most first */
  size_t n_lowers;
  bool mounted;
  /* RUN --mount targets (absolute, clean): what the runtime created for
   * them is taken out of upper before it becomes the layer. */
  char **mount_targets;
  size_t n_mount_targets;
} pyoci_step_t;

/* Mount a writable overlay of layers[0..n) (bottom first, as in a manifest). */
int pyoci_step_begin(pyoci_store_t *s, const pyoci_desc_t *layers, const char (*diff_ids)[PYOCI_DIGEST_LEN],
                     size_t n, pyoci_step_t **out, pyoci_error_t **err);
/* Unmount and turn the upper dir into a layer, an empty one when the step
 * changed nothing (as BuildKit); *changed is always set true. */
int pyoci_step_finish(pyoci_step_t *step, pyoci_store_t *s, const pyoci_layer_opts_t *opts, bool *changed,
                      pyoci_desc_t *desc, char diff_id[PYOCI_DIGEST_LEN], pyoci_error_t **err);
/* Unmount if needed and remove the scratch dir. */
void pyoci_step_free(pyoci_step_t *step);

/* A read-only view of layers (for COPY --from): *root is the merged dir. */
typedef struct pyoci_view pyoci_view_t;
int pyoci_view_open(pyoci_store_t *s, const pyoci_desc_t *layers, const char (*diff_ids)[PYOCI_DIGEST_LEN],
                    size_t n, pyoci_view_t **out, const char **root, pyoci_error_t **err);
void pyoci_view_close(pyoci_view_t *v);

#endif
