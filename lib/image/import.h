/* `pyoci import`: an image from a root file system, like `docker import`.
 *
 * A tarball (any compression, or stdin) is first unpacked safely into a
 * scratch directory inside the store; a directory is used as it is.  The
 * tree then becomes one deterministic layer (sorted entries, numeric owners,
 * mtimes clamped to SOURCE_DATE_EPOCH), so the same input gives the same
 * image digest whatever the thread count.  --change applies Dockerfile
 * instructions to the config the way `docker import --change` does. */
#ifndef PYOCI_IMAGE_IMPORT_H
#define PYOCI_IMAGE_IMPORT_H

#include <jansson.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "lib/oci/store.h"

typedef struct {
  const char *source;                 /* tarball path, directory, or "-" (stdin_fd) */
  int stdin_fd;                       /* read when source is "-" */
  const char *const *changes;         /* Dockerfile instructions, n_changes of them */
  size_t n_changes;
  const char *message;                /* history comment (default "Imported from SOURCE") */
  const char *platform;               /* "os/arch[/variant]" or NULL for this host */
  const char *const *names;           /* tags (NULL-terminated, may be NULL) */
} pyoci_import_opts_t;

int pyoci_import(pyoci_store_t *s, const pyoci_import_opts_t *o, char image_id[PYOCI_DIGEST_LEN],
                 char manifest_digest[PYOCI_DIGEST_LEN], pyoci_error_t **err);

/* Set os/architecture/variant from "os/arch[/variant]". */
int pyoci_config_set_platform(json_t *config, const char *platform, pyoci_error_t **err);

#endif
