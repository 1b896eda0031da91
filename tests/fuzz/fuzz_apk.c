/* libFuzzer harness: apk lib/apk/db/installed. */
#include "fuzz_catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_cataloger(&pyoci_cataloger_apk, "lib/apk/db/installed", data, size);
  return 0;
}
