/* libFuzzer harness: the deb version comparator (see vercmp_fuzz.h). */
#include "vercmp_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_scheme(&pyoci_scheme_deb, data, size);
  return 0;
}
