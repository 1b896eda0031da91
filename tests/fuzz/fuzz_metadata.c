/* libFuzzer harness: Python core metadata (METADATA, PKG-INFO headers). */
#include "fuzz_catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_cataloger(&pyoci_cataloger_python, "usr/lib/python3/dist-packages/x-1.dist-info/METADATA", data, size);
  return 0;
}
