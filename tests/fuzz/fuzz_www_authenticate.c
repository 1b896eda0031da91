/* Fuzz the WWW-Authenticate parser (a registry's 401 challenge): any bytes
 * parse or are rejected with an error, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_nul_copy(data, size);
  if (s == NULL)
    return 0;
  pyoci_auth_challenge_t c;
  pyoci_error_t *err = NULL;
  if (pyoci_auth_challenge_parse(s, &c, &err) == 0) {
    if (c.scheme == NULL || c.scheme[0] == '\0')
      abort(); /* a parsed challenge always has a scheme */
    pyoci_auth_challenge_free(&c);
  } else if (err == NULL) {
    abort();
  }
  pyoci_error_free(err);
  free(s);
  return 0;
}
