/* Shared by the package-database harnesses: the NUL-terminated copy the
 * catalog hands parsers, and a package sink that checks what comes out. */
#ifndef PYOCI_FUZZ_CATALOG_H
#define PYOCI_FUZZ_CATALOG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* fuzz_nul_copy: parsers get a NUL-terminated copy, as the catalog gives them */
#include "fuzz_util.h"
#include "lib/pkg/catalog.h"
#include "lib/util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline int fuzz_drop_package(void *ctx, pyoci_pkg_t *p, pyoci_error_t **err)
{
  (void)ctx;
  (void)err;
  /* every package the parser hands over must have a name and a version */
  if (p->name == NULL || p->version == NULL)
    abort();
  free(pyoci_purl_for(p, NULL)); /* PEP 503 names and percent-encoding too */
  pyoci_pkg_clear(p);
  return 0;
}

/* Run one cataloger's parser on the input as if it were the file at path. */
static inline void fuzz_cataloger(const pyoci_cataloger_t *c, const char *path, const uint8_t *data, size_t size)
{
  char *buf = fuzz_nul_copy(data, size);
  if (buf == NULL)
    return;
  pyoci_error_t *err = NULL;
  c->parse(path, buf, size, fuzz_drop_package, NULL, &err);
  pyoci_error_free(err);
  free(buf);
}

#endif
