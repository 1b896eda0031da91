/* Fuzz the reference parser: any byte string must parse or be rejected
 * cleanly, and a parsed reference must re-parse to the same familiar form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/oci/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_nul_copy(data, size);
  if (s == NULL)
    return 0;
  pyoci_ref_t r;
  pyoci_error_t *err = NULL;
  if (pyoci_ref_parse(s, &r, &err) == 0) {
    char *f = pyoci_ref_familiar(&r);
    char *full = pyoci_ref_full(&r);
    char *again = pyoci_ref_normalize(full, NULL);
    if (again == NULL || strcmp(again, f) != 0)
      abort(); /* normalisation must be idempotent */
    free(again);
    free(full);
    free(f);
    pyoci_ref_free(&r);
  } else if (err == NULL) {
    abort();
  }
  pyoci_error_free(err);
  free(s);
  return 0;
}
