/* `pyoci assemble`: a distroless image straight from Debian packages and
 * wheels, with no RUN, no shell and no daemon.
 *
 *   spec.yaml --spec.c--> spec --sources.c/repo.c--> signed package index
 *     --resolve.c--> closure (with the reason each package is in)
 *     --fetch (parallel, cached by sha256)--> .debs --deb.c--> OS root
 *   requirements --pyreq.c--> wheels --wheel.c--> Python root
 *   contents --> app root;  each root --> one layer (lib/image) --> image
 *
 * --lock writes every input (.deb and wheel, with sha256) to a lock file;
 * --locked builds only from it.  Nothing touches the store's index until
 * every input has been fetched, verified and unpacked. */
#ifndef PYOCI_ASSEMBLE_ASSEMBLE_H
#define PYOCI_ASSEMBLE_ASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "lib/oci/store.h"
#include "lib/oci/store_cache.h"

typedef enum {
  PYOCI_LOCK_NONE = 0, /* resolve; leave any lock file alone */
  PYOCI_LOCK_WRITE,    /* resolve and write the lock file */
  PYOCI_LOCK_USE,      /* build only from the lock file; fail on any difference */
} pyoci_lock_mode_t;

typedef struct {
  const char *spec_path;       /* the YAML spec; its directory is the context */
  const char *lock_path;       /* NULL = image.lock.json beside the spec */
  pyoci_lock_mode_t lock_mode;
  const char *platform;        /* "linux/ARCH", NULL = this host */
  const char *cache_dir;       /* .debs and indexes are cached under it (the CLI
                                  picks $XDG_CACHE_HOME/pyoci or ~/.cache/pyoci) */
  const char *apt_dir;         /* where apt's sources are read from when the
                                  spec names no URIs (normally /etc/apt) */
  const char *explain;         /* resolve only and explain why this package is in */
  const char *const *names;    /* tags (NULL-terminated, may be NULL) */
  int jobs;                    /* parallel downloads (0 = 8) */
  bool no_cache;               /* always unpack and compress the OS layer again */
  bool compile;                /* byte-compile the wheels with the image's python (runc) */
} pyoci_assemble_opts_t;

typedef struct {
  char image_id[PYOCI_DIGEST_LEN];
  char manifest_digest[PYOCI_DIGEST_LEN];
  size_t n_debs, n_wheels;
  char *explain;               /* the --explain answer (caller frees) */
} pyoci_assemble_result_t;

int pyoci_assemble(pyoci_store_t *s, const pyoci_assemble_opts_t *o, pyoci_assemble_result_t *res,
                   pyoci_error_t **err);

/* A pruner for `pyoci prune` (pyoci_cache_pruner_fn): removes the OS-layer
 * cache entries (<store>/cache/assemble) whose layer blob gc removed. */
int pyoci_assemble_cache_prune(pyoci_store_t *s, pyoci_cache_freed_t *freed, pyoci_error_t **err);

#endif
