/* Unpacked layers, cached in <store>/cache/unpacked/<diff_id hex>: the form
 * overlay mounts use as lower dirs (whiteouts as 0/0 character devices,
 * opaque directories marked with trusted.overlay.opaque).  A layer is
 * unpacked at most once; a directory that already is a layer's unpacked form
 * (an import's scratch root, a build step's upper dir) is adopted by rename
 * instead of unpacking the blob again. */
#ifndef PYOCI_IMAGE_UNPACKED_H
#define PYOCI_IMAGE_UNPACKED_H

#include "lib/oci/image.h"
#include "lib/oci/store_cache.h"
#include "lib/oci/store.h"
#include "lib/util/error.h"

/* Where the cache lives and how prune may clean it: <hex>.lock beside each
 * layer is held while it is being unpacked. */
extern const pyoci_layer_cache_t pyoci_unpacked_cache;

/* The cached unpacked form of a layer, unpacking it first if needed (under
 * a per-layer lock, so concurrent callers unpack it once). */
int pyoci_unpacked_get(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, char **dir_out,
                       pyoci_error_t **err);

/* Unpack every layer of the image manifest_digest names into the cache
 * now, up to `jobs` layers at a time (child processes: unpacking is mostly
 * the kernel creating files), so the first build finds them ready -- what
 * `docker load` does to overlay2.  Layers already cached are skipped. */
int pyoci_unpacked_image(pyoci_store_t *s, const char *manifest_digest, int jobs, pyoci_error_t **err);

/* Move dir into the cache as diff_id's unpacked form (same file system).
 * Returns true when adopted; false (dir left alone) when the cache already
 * has that layer or the move is not possible. */
bool pyoci_unpacked_adopt(pyoci_store_t *s, const char *diff_id, const char *dir);

#endif
