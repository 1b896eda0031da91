/* libFuzzer harness: the assemble spec (YAML through libyaml). */
#include <stdint.h>

#include "lib/assemble/asm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_error_t *err = NULL;
  pyoci_spec_t *s = NULL;
  if (pyoci_spec_parse("/ctx/image.yaml", (const char *)data, size, &s, &err) == 0)
    pyoci_spec_free(s);
  pyoci_error_free(err);
  return 0;
}
