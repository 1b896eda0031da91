/* libFuzzer harness: apk lib/apk/db/installed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pkg/catalog.h"
#include "lib/util/error.h"

static int drop(void *ctx, pyoci_pkg_t *p, pyoci_error_t **err)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* parsers get a NUL-terminated copy, as the catalog gives them */
  char *buf = malloc(size + 1);
  if (buf == NULL)
    return 0;
  memcpy(buf, data, size);
  buf[size] = '\0';
  pyoci_error_t *err = NULL;
  pyoci_cataloger_apk.parse("lib/apk/db/installed", buf, size, drop, NULL, &err);
  (void)drop;
  pyoci_error_free(err);
  free(buf);
  return 0;
}
