/* Fuzz the reader of manifests and indexes a registry serves, and the
 * platform choice over an index: reject or accept, never crash; an
 * accepted index's chosen entry is in range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_wire_manifest_t m;
  pyoci_error_t *err = NULL;
  if (pyoci_wire_manifest_parse((const char *)data, size, NULL, "fuzz", &m, &err) == 0) {
    size_t which = 0;
    if (m.is_index && pyoci_wire_pick_platform(&m, "linux/arm64", "fuzz", &which, &err) == 0 && which >= m.n_descs)
      abort();
    pyoci_wire_manifest_free(&m);
  } else if (err == NULL) {
    abort();
  }
  pyoci_error_free(err);
  return 0;
}
