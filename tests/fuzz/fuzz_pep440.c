/* libFuzzer harness: PEP 440 comparator and normaliser.  Besides the order
 * properties (vercmp_fuzz.h), a valid version's normal form must be valid,
 * compare equal to it, and be its own normal form. */
#include "vercmp_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_scheme(&pyoci_scheme_pep440, data, size);
  fuzz_scheme(&pyoci_scheme_semver, data, size);
  if (size > 4096)
    return 0;
  char *v = strndup((const char *)data, size);
  if (v == NULL)
    return 0;
  char *n = pyoci_pep440_normalize(v, NULL);
  if ((n != NULL) != (pyoci_pep440_check(v, NULL) == 0))
    abort();
  if (n != NULL) {
    char *n2 = pyoci_pep440_normalize(n, NULL);
    if (n2 == NULL || strcmp(n, n2) != 0 || pyoci_pep440_cmp(v, n) != 0)
      abort();
    free(n2);
  }
  free(n);
  free(v);
  return 0;
}
