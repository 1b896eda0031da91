/* What the scanner needs from one image layer, read once: every entry's
 * path, type, size and link (for the catalog's whiteout/replace semantics
 * and for `pyoci compare`'s merged tree), the bytes of the few files the
 * catalogers want, and the secrets found in the layer's own files.
 *
 * A layer record is small next to its layer (a 200 MB layer gives a few
 * MB), so it is cached in <store>/cache/scan/<rules-salt>/<diff_id hex>:
 * a warm scan replays cached records instead of decompressing layers.
 * The cache file also names the layer blob digest it was computed from
 * and is used only when that matches too, so an image whose config lies
 * about a diff_id cannot borrow another layer's results.  The salt changes
 * whenever the secret rules or this format change. */
#ifndef PYOCI_SCAN_LAYERREC_H
#define PYOCI_SCAN_LAYERREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/layer/layer.h"
#include "lib/oci/store.h"
#include "lib/oci/store_cache.h"
#include "lib/pkg/catalog.h"
#include "lib/util/error.h"

/* Cache files larger than this are not read (they are never written). */
#define PYOCI_LREC_MAX_CACHE (1ull << 30)
#define PYOCI_LREC_MAX_ENTRIES 4000000u

typedef struct {
  char *path;        /* as the tar names it (cleaned); whiteouts keep ".wh." */
  uint8_t type;      /* pyoci_cat_type_t */
  int64_t size;      /* regular file content bytes */
  char *link;        /* symlink target / hard link target, else NULL */
  char *content;     /* catalog-relevant files only, else NULL */
  size_t content_len;
} pyoci_lrec_entry_t;

typedef struct {
  char *rule_id;
  char *path;
  int line, end_line;
  char *match, *code; /* already masked */
} pyoci_lrec_secret_t;

typedef struct {
  pyoci_lrec_entry_t *entries;
  size_t n_entries, cap_entries;
  pyoci_lrec_secret_t *secrets;
  size_t n_secrets, cap_secrets;
  bool secrets_scanned;
} pyoci_layer_record_t;

void pyoci_lrec_free(pyoci_layer_record_t *r);
static inline void pyoci_lrec_freep(pyoci_layer_record_t **r)
{
  pyoci_lrec_free(*r);
}
#define cleanup_lrec __attribute__((cleanup(pyoci_lrec_freep)))

/* Does the catalog want this (cleaned) path's bytes? */
bool pyoci_lrec_interesting(const char *path);

/* Read one layer from a tar reader; scan_secrets: also run the secret
 * scanner over each regular file (skipping allowed paths). */
int pyoci_lrec_read(pyoci_tar_reader_t *r, const char *what, bool scan_secrets, pyoci_layer_record_t **out,
                    pyoci_error_t **err);

/* Feed a record into a catalog as layer `layer` (same effect as feeding
 * the layer itself). */
int pyoci_lrec_feed_catalog(const pyoci_layer_record_t *rec, pyoci_catalog_t *cat, int layer, const char *digest,
                            pyoci_error_t **err);

/* Serialise / parse the cache format (exposed for tests).  blob_digest is
 * stored and checked on load (parse fails with PYOCI_E_NOT_FOUND when it
 * differs). */
char *pyoci_lrec_serialize(const pyoci_layer_record_t *r, const char *blob_digest, size_t *len);
int pyoci_lrec_parse(const char *buf, size_t len, const char *blob_digest, const char *what,
                     pyoci_layer_record_t **out, pyoci_error_t **err);

/* The cache's place, for prune: one directory per salt, so records of an
 * older pyoci go once their layers are gone. */
extern const pyoci_layer_cache_t pyoci_lrec_cache;

/* The store cache.  get: NULL on a miss (or a damaged file, which is
 * logged and ignored); a record without secrets is a miss when
 * need_secrets.  put is best effort. */
pyoci_layer_record_t *pyoci_lrec_cache_get(pyoci_store_t *s, const char *diff_id, const char *blob_digest,
                                           bool need_secrets);
void pyoci_lrec_cache_put(pyoci_store_t *s, const char *diff_id, const char *blob_digest,
                          const pyoci_layer_record_t *r);

/* A layer of an image in the store: from the cache when possible, else
 * read (and cached).  *hit tells which. */
int pyoci_lrec_for_layer(pyoci_store_t *s, const pyoci_desc_t *desc, const char *diff_id, bool scan_secrets,
                         bool use_cache, pyoci_layer_record_t **out, bool *hit, pyoci_error_t **err);

#endif
