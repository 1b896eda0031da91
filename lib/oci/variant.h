/* Layer variants: a layer in another compression than it is stored in, made
 * for exports (`save --format oci --compression`, `build -o type=oci`).
 *
 * The store keeps layers as they came (pyoci build writes plain tar, like
 * Docker's image store).  An export that wants gzip or zstd compresses each
 * such layer once, into an ordinary blob, checking on the way that the
 * uncompressed stream hashes to the layer's diff_id, and notes the result in
 *
 *   <store>/cache/variants/<diff_id hex>/<algo>-<level>   "sha256:<hex>\n"
 *   (algo gzip or zstd; "uncompressed" has no level)
 *
 * written atomically after the blob.  The next export finds the record and
 * reuses the blob while it exists.  No manifest names a variant blob, so gc
 * keeps the ones recorded for layers some image still uses (store_gc.c);
 * prune drops the records of layers no image uses (pyoci_variant_cache, a
 * per-layer cache in store_cache.h's sense) and gc then their blobs. */
#ifndef PYOCI_OCI_VARIANT_H
#define PYOCI_OCI_VARIANT_H

#include <stdbool.h>

#include "lib/layer/layer.h"
#include "lib/util/error.h"
#include "image.h"
#include "store.h"
#include "store_cache.h"

extern const pyoci_layer_cache_t pyoci_variant_cache;

/* An export's wanted layer compression. */
typedef struct {
  pyoci_comp_t comp;
  int level; /* 0 = the algorithm's default (gzip 6, zstd 3) */
} pyoci_variant_spec_t;

/* Parse an algorithm name (gzip, zstd, uncompressed) and an optional level
 * (NULL = default; gzip 1-12 where 10-12 are libdeflate's slowest, zstd
 * 1-22, none for uncompressed).  err says what is wrong, for a usage error. */
int pyoci_variant_spec_parse(const char *algo, const char *level, pyoci_variant_spec_t *out, pyoci_error_t **err);

/* The OCI layer media type for a compression. */
const char *pyoci_variant_media_type(pyoci_comp_t comp);

typedef enum {
  PYOCI_VARIANT_STORED, /* the layer is already stored so */
  PYOCI_VARIANT_CACHED, /* an earlier export made it */
  PYOCI_VARIANT_MADE,   /* compressed now */
} pyoci_variant_origin_t;

/* The layer (blob desc, uncompressed content diff_id) in the wanted
 * compression: out gets the blob's digest and size and the OCI media type
 * (caller frees out->media_type).  A layer stored in the same algorithm is
 * used as it is, whatever level made it (as BuildKit does).  Making a variant
 * reads the whole layer; content that does not hash to diff_id is an error
 * (PYOCI_E_CORRUPT) and leaves nothing behind. */
int pyoci_variant_get(pyoci_store_t *s, const pyoci_desc_t *layer, const char *diff_id,
                      const pyoci_variant_spec_t *spec, pyoci_desc_t *out, pyoci_variant_origin_t *origin,
                      pyoci_error_t **err);

#endif
