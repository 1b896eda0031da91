/* Private pieces shared by store.c (layout, blobs), store_index.c
 * (index.json), store_gc.c and store_fsck.c.  Not for use outside lib/oci. */
#ifndef PYOCI_OCI_STORE_INT_H
#define PYOCI_OCI_STORE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/alloc.h"
#include "store.h"

struct pyoci_store {
  char *path;
  int dir_fd;    /* the store directory */
  int lock_fd;   /* .lock: LOCK_SH for the handle's lifetime, LOCK_EX in gc;
                    -1 on a read-only store that has no .lock */
  bool exclusive; /* .lock is held LOCK_EX (gc, prune, fsck --repair) */
  bool read_only; /* .lock could not be opened for writing: a read-only
                     mount or someone else's store; readers work, writers
                     fail on their first write */
  int tmp_fd;    /* tmp/ */
  int blobs_fd;  /* blobs/sha256/ */
  /* Names under tmp/ this handle is still using (blob writers, mkdtemp):
   * gc leaves them alone even while it holds the exclusive lock. */
  char **tmp_in_use;
  size_t n_tmp_in_use;
};

void pyoci_store_tmp_claim(pyoci_store_t *s, const char *name);
void pyoci_store_tmp_release(pyoci_store_t *s, const char *name);
bool pyoci_store_tmp_claimed(const pyoci_store_t *s, const char *name);

/* Take index.lock exclusively; returns the fd (close it to unlock). */
int pyoci_store_lock_index(pyoci_store_t *s, pyoci_error_t **err);

/* index.json as a JSON object; a missing file is an empty index. */
json_t *pyoci_store_index_load(pyoci_store_t *s, pyoci_error_t **err);
/* Replace index.json whole with idx (fsck --repair of one that does not
 * parse), under index.lock; a non-empty old file is kept as keep_as. */
int pyoci_store_index_replace(pyoci_store_t *s, json_t *idx, const char *keep_as, pyoci_error_t **err);

/* A set of digests (for reachability): v in insertion order, and a hash
 * index for has().  It used to be a sorted array re-sorted on the first
 * has() after each add -- quadratic over a store of 20,000 images. */
typedef struct {
  char **v;
  size_t n, cap;
  pyoci_strmap_t index;
} pyoci_digest_set_t;
void pyoci_digest_set_add(pyoci_digest_set_t *set, const char *d);
bool pyoci_digest_set_has(pyoci_digest_set_t *set, const char *d);
void pyoci_digest_set_free(pyoci_digest_set_t *set);

/* Call fn for every descriptor a manifest or index document refers to:
 * config, layers, manifests (is_manifest), subject (is_manifest), blobs.
 * role says which ("config", "layer 2", ...).  A malformed descriptor is
 * passed with digest NULL so fsck can report it. */
typedef void (*pyoci_desc_fn)(void *ctx, const char *digest, int64_t size, bool is_manifest, const char *role);
void pyoci_doc_foreach_desc(const json_t *doc, pyoci_desc_fn fn, void *ctx);

/* Upgrade the handle's .lock to exclusive (waiting for other users of the
 * store to finish), and back to shared. */
int pyoci_store_lock_exclusive(pyoci_store_t *s, pyoci_error_t **err);
void pyoci_store_lock_shared(pyoci_store_t *s);
/* Remove everything in tmp/ that this handle is not using (exclusive lock
 * held, so nobody else is writing).  Returns how many entries went. */
size_t pyoci_store_clean_tmp(pyoci_store_t *s);
/* Remove what a killed process left under tmp/ (scratch dirs, step dirs
 * with their overlay and bind mounts, named temp blobs): every entry whose
 * name carries the pid ("<prefix><pid>-...") of a process that no longer
 * exists.  Run by every store open; quiet on a read-only store. */
void pyoci_store_sweep_dead(pyoci_store_t *s);

/* Stamps of blobs that hashed right (store_verified.c): prune removes those
 * whose blob is gone, counted as cache freed. */
struct pyoci_cache_freed;
void pyoci_store_prune_stamps(pyoci_store_t *s, struct pyoci_cache_freed *freed);
/* The writer's stamp of a blob it has just written and linked. */
void pyoci_store_blob_note_written(pyoci_store_t *s, const char *digest, int fd);

/* A full disk: delete what the index old_idx reaches and new_idx does not
 * (the removed entries' own manifests first), and all other garbage, so
 * that new_idx can be written.  Exclusive lock held.  See index_update. */
int pyoci_store_gc_for_index(pyoci_store_t *s, const json_t *old_idx, const json_t *new_idx, uint64_t *freed_bytes,
                             pyoci_error_t **err);

/* gc's work, for callers already holding the exclusive lock: delete the
 * blobs the index does not reach and stale tmp/ files.  diff_ids, when not
 * NULL, gets every layer diff_id the reachable image configs name. */
int pyoci_store_gc_locked(pyoci_store_t *s, pyoci_digest_set_t *diff_ids, uint64_t *freed_bytes,
                          size_t *freed_blobs, pyoci_error_t **err);

/* Add to keep the layer variant blobs (variant.c) recorded for the layers
 * in live_diff_ids whose blobs exist: gc must not delete them, fsck counts
 * them as cache, not as unreferenced. */
void pyoci_variant_mark_blobs(pyoci_store_t *s, pyoci_digest_set_t *live_diff_ids, pyoci_digest_set_t *keep);

/* True when the doc's own media type (or shape) says it is an image index. */
bool pyoci_doc_is_index(const json_t *doc, const char *entry_media_type);

#endif
