/* libFuzzer harness: .trivyignore parsing and matching. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan/scan.h"
#include "lib/util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_ignorefile_t f;
  pyoci_error_t *err = NULL;
  if (pyoci_ignorefile_parse((const char *)data, size, "fuzz", &f, &err) < 0) {
    /* a failure always says why, naming the file */
    if (err == NULL || strncmp(err->msg, "fuzz", 4) != 0)
      abort();
    pyoci_error_free(err);
    return 0;
  }
  for (size_t i = 0; i < f.n; i++) {
    /* IDs are non-empty, blank-free, and match themselves until they expire */
    if (f.v[i].id[0] == '\0' || strpbrk(f.v[i].id, " \t#") != NULL)
      abort();
    if (!pyoci_ignorefile_match(&f, f.v[i].id, INT64_MIN) && f.v[i].expires >= 0)
      abort();
    if (f.v[i].expires >= 0 && f.v[i].expires % 86400 != 0)
      abort();
  }
  pyoci_ignorefile_release(&f);
  return 0;
}
