/* Layer analysis the way dive (github.com/wagoodman/dive) does it, so that
 * `pyoci layers --ci` passes and fails exactly where `dive --ci` would.
 *
 * Feed the entries of each layer, in layer order, as their tar headers say
 * (pyoci_analysis_add); then pyoci_analysis_finish computes:
 *
 *  - per layer: dive's size = the sum of tar header sizes (regular files;
 *    symlinks, hard links, directories and whiteouts count 0), and the
 *    number of entries that are not directories;
 *  - per path, over the leaves of every layer's tree (dive's
 *    filetree.Efficiency): the cumulative size (sum over the layers that
 *    hold the path) and the smallest size seen.  A whiteout leaf counts,
 *    when what it removes was a directory in the layers below, the size of
 *    that whole subtree; a whiteout of a file counts 0.  ".wh..wh..opq"
 *    entries do not enter the tree at all (dive ignores opaque markers).
 *    Dive's quirk is kept: a whiteout of a path the layers below do not
 *    have stops the walk of that layer's remaining leaves;
 *  - efficiency = sum(min sizes) / sum(cumulative sizes), 1.0 when the
 *    latter is 0;
 *  - inefficient paths = those seen in two or more layers; wasted bytes =
 *    the sum of their cumulative sizes; user wasted percent = wasted bytes
 *    / the size of every layer but the first (NaN or +Inf when that is 0,
 *    as in dive).
 *
 * Dive's sizes are tar header sizes, not Docker's `Size` (which counts
 * symlink target lengths and hard-linked files once: see layersize.h). */
#ifndef PYOCI_IMAGE_ANALYZE_H
#define PYOCI_IMAGE_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pyoci_analysis pyoci_analysis_t;

typedef struct {
  char *path;          /* "/etc/app.conf" (dive's form: leading slash) */
  size_t count;        /* layers holding the path */
  int64_t cumulative;  /* bytes over those layers */
} pyoci_inefficiency_t;

typedef struct {
  char *path;
  int64_t size;
} pyoci_file_size_t;

typedef struct {
  size_t n_layers;
  uint64_t *layer_size;   /* dive's per-layer size (tar header sizes) */
  uint64_t *layer_files;  /* non-directory entries per layer */
  double efficiency;
  uint64_t size_bytes;       /* sum of layer_size */
  uint64_t user_size_bytes;  /* all but the first layer */
  uint64_t wasted_bytes;
  double wasted_user_percent; /* a fraction, 0.1 = 10% */
  pyoci_inefficiency_t *ineff; /* largest cumulative size first (dive's report order) */
  size_t n_ineff;
  pyoci_file_size_t *largest; /* files of the final image, largest first */
  size_t n_largest;
} pyoci_analysis_result_t;

pyoci_analysis_t *pyoci_analysis_new(void);
void pyoci_analysis_free(pyoci_analysis_t *a);
/* Start the next layer. */
void pyoci_analysis_begin_layer(pyoci_analysis_t *a);
/* One tar entry of the current layer: its cleaned path ("" = the root,
 * ignored), whether it is a directory, and its tar header size. */
void pyoci_analysis_add(pyoci_analysis_t *a, const char *path, bool is_dir, int64_t size);
/* Compute everything; top_n bounds the largest-files list. */
void pyoci_analysis_finish(pyoci_analysis_t *a, size_t top_n, pyoci_analysis_result_t *res);
void pyoci_analysis_result_free(pyoci_analysis_result_t *res);


/* ---- over an image in the store (analyze_image.c) ---- */
#include "lib/oci/image.h"
#include "lib/oci/store.h"

/* Read every layer of img once: feed the analysis and compute Docker's size
 * of each layer (docker_sizes[i], also cached; see layersize.h). */
int pyoci_analyze_image(pyoci_store_t *s, const pyoci_image_t *img, size_t top_n, pyoci_analysis_result_t *res,
                        int64_t *docker_sizes, pyoci_error_t **err);
/* The history entry that made each layer (empty_layer entries skipped, as
 * dive pairs them), "(missing)" when history runs out.  Borrowed strings
 * from img->config, n_layers entries; caller frees the array. */
const char **pyoci_layer_created_by(const pyoci_image_t *img);

#endif
