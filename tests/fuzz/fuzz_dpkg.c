/* libFuzzer harness: dpkg status and status.d stanzas. */
#include "fuzz_catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* the first byte picks status (Status field required) or status.d */
  const char *path = size > 0 && (data[0] & 1) ? "var/lib/dpkg/status.d/pkg" : "var/lib/dpkg/status";
  fuzz_cataloger(&pyoci_cataloger_dpkg, path, data, size);
  return 0;
}
