/* The size Docker reports for a layer, from its tar alone.
 *
 * Docker 20.10 (overlay2) sizes a layer as directory.Size() of the unpacked
 * diff directory: the st_size of every non-directory, each inode once.  So
 * from the tar: regular files count their size, symlinks the length of their
 * target, hard links nothing more (same inode), directories, devices, FIFOs
 * and whiteouts (0/0 char devices, opaque xattrs) nothing; a later entry for
 * the same path replaces the earlier one.  `docker image inspect` .Size is
 * the sum over the image's layers.
 *
 * Computing it reads the whole layer, so results are cached per diff_id in
 * <store>/cache/layersize/<hex> (a decimal number). */
#ifndef PYOCI_IMAGE_LAYERSIZE_H
#define PYOCI_IMAGE_LAYERSIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/oci/store_cache.h"
#include "lib/layer/layer.h"

/* Accumulator over one layer's entries. */
typedef struct pyoci_dsize pyoci_dsize_t;
pyoci_dsize_t *pyoci_dsize_new(void);
void pyoci_dsize_add(pyoci_dsize_t *d, const pyoci_tar_entry_t *e);
int64_t pyoci_dsize_total(const pyoci_dsize_t *d);
void pyoci_dsize_free(pyoci_dsize_t *d);

/* The cache's place, for prune. */
extern const pyoci_layer_cache_t pyoci_layer_size_cache;

/* The cache: get returns true on a hit; put is best effort (a read-only
 * store just means recomputing next time). */
bool pyoci_layer_size_cache_get(pyoci_store_t *s, const char *diff_id, int64_t *size);
void pyoci_layer_size_cache_put(pyoci_store_t *s, const char *diff_id, int64_t size);

/* Docker's size of one layer (desc = its blob), through the cache. */
int pyoci_layer_unpacked_size(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, int64_t *size,
                              pyoci_error_t **err);
/* Sum over an image's layers (= docker image inspect .Size). */
/* A tar reader over the layer blob desc names (any compression); *fd holds
 * the blob open, for the caller to close after pyoci_tar_reader_free.
 * diff_id (NULL: none): the reader checks the layer hashes to it, for a
 * caller that caches what it reads under it (pyoci_tar_reader_open_verified). */
int pyoci_layer_reader_open(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, int *fd,
                            pyoci_tar_reader_t **r, pyoci_error_t **err);
int pyoci_image_unpacked_size(pyoci_store_t *s, const pyoci_image_t *img, int64_t *size, pyoci_error_t **err);

#endif
