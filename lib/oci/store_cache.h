/* Pruning the store's caches (<store>/cache/...) together with its blobs.
 *
 * Modules above lib/oci keep caches in the store: per-layer ones named by
 * the layer's diff_id hex (unpacked layers, layer sizes, scan records) and
 * the build cache, keyed by step.  lib/oci does not know what they hold and
 * must not call into their owners, so:
 *   - a per-layer cache is described by its owner as a pyoci_layer_cache_t
 *     (where it lives, how it is laid out), and lib/oci removes the entries
 *     of layers no image in the index uses any more;
 *   - a cache keyed otherwise is pruned by its owner's pyoci_cache_pruner_fn,
 *     which lib/oci calls at the right moment (after gc, under the lock).
 * The CLI, which knows every module, hands both lists to
 * pyoci_store_prune_all.
 *
 * Space freed is counted as apparent size (st_size of every non-directory,
 * each inode once, like Docker's layer sizes and like the blobs gc counts),
 * not allocated blocks. */
#ifndef PYOCI_OCI_STORE_CACHE_H
#define PYOCI_OCI_STORE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"
#include "store.h"

/* A cache keyed by layer diff_id: <store>/<subdir>/<diff_id hex>, a file or
 * a directory tree.  Any other name in it is a leftover of an interrupted
 * write (such writes happen only under the store's shared lock) and goes
 * too. */
typedef struct {
  const char *subdir; /* relative to the store, e.g. "cache/layersize" */
  bool salted;        /* entries one level down, <subdir>/<salt>/<hex>; a salt
                         directory left empty is removed */
  bool locked;        /* <name>.lock beside each entry is flocked by its users:
                         an entry whose lock another process holds is kept */
  bool whole;         /* not keyed by diff_id: every entry goes (for emptying
                         a cache outright, as `prune --build-cache` does) */
} pyoci_layer_cache_t;

typedef struct pyoci_cache_freed {
  size_t entries;
  uint64_t bytes;
} pyoci_cache_freed_t;

/* A pruner for a cache that is not keyed by diff_id.  Called with the
 * store's exclusive lock held, after gc: a blob it finds missing is gone for
 * good.  Adds what it removed to *freed; problems with single entries are
 * warnings, -1 only when the cache cannot be read at all. */
typedef int (*pyoci_cache_pruner_fn)(pyoci_store_t *s, pyoci_cache_freed_t *freed, pyoci_error_t **err);

typedef struct {
  const pyoci_layer_cache_t *const *layer_caches;
  size_t n_layer_caches;
  const pyoci_cache_pruner_fn *pruners;
  size_t n_pruners;
} pyoci_store_caches_t;

typedef struct {
  size_t images;       /* untagged index entries removed */
  size_t blobs;        /* blobs deleted by gc */
  uint64_t blob_bytes; /* their size */
  pyoci_cache_freed_t caches;
} pyoci_prune_stats_t;

/* pyoci_store_prune, then, still under gc's exclusive lock, remove the
 * entries of every layer cache whose diff_id no remaining image's config
 * names, and run the pruners.  caches may be NULL (blobs only). */
int pyoci_store_prune_all(pyoci_store_t *s, const pyoci_store_caches_t *caches, pyoci_prune_stats_t *stats,
                          pyoci_error_t **err);

/* Remove dirfd/name (a file or a whole tree, whatever its modes and device
 * nodes) and add its apparent size to *freed.  For pruners. */
int pyoci_cache_entry_remove_at(int dirfd, const char *name, pyoci_cache_freed_t *freed, pyoci_error_t **err);

#endif
