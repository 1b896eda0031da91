/* The build cache, keyed like BuildKit's: each step's key is the digest of
 * its parent's key, the instruction as it will run (after expansion, with
 * the environment it runs in), and, for COPY/ADD, the content digest of the
 * sources (mtimes ignored).  A hit gives the layer the step produced; a
 * record whose blob has since been garbage-collected counts as a miss.
 * Records live in <store>/cache/build/<key hex>.json, written atomically,
 * with the time the step ran: a cached step keeps that time in the image's
 * history, so a fully cached rebuild gives the same image ID. */
#ifndef PYOCI_BUILDER_CACHE_H
#define PYOCI_BUILDER_CACHE_H

#include <stdbool.h>

#include "lib/oci/image.h"
#include "lib/oci/store.h"
#include "lib/oci/store_cache.h"
#include "lib/util/error.h"

/* key = sha256(parent_key "\n" text "\n" extra) */
void pyoci_cache_key(const char *parent_key, const char *text, const char *extra, char out[PYOCI_DIGEST_LEN]);

/* 1 = hit (has_layer tells whether the step made a layer; created gets the
 * recorded time, "" for records that have none), 0 = miss. */
int pyoci_cache_get(pyoci_store_t *s, const char *key, bool *has_layer, pyoci_desc_t *desc,
                    char diff_id[PYOCI_DIGEST_LEN], char created[PYOCI_TIME_LEN], pyoci_error_t **err);
/* created: when the step ran (RFC 3339). */
int pyoci_cache_put(pyoci_store_t *s, const char *key, bool has_layer, const pyoci_desc_t *desc,
                    const char *diff_id, const char *created, pyoci_error_t **err);

/* prune's rule for this cache (a pyoci_cache_pruner_fn; lib/oci cannot know
 * it): remove the records pyoci_cache_get would always miss on — those that
 * do not parse and those whose layer blob is gone — and leftovers of
 * interrupted writes.  Records of steps without a layer stay: a few bytes,
 * and still hits. */
int pyoci_cache_prune(pyoci_store_t *s, pyoci_cache_freed_t *freed, pyoci_error_t **err);

#endif
