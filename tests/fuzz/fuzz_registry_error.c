/* Fuzz the registry error-body decoder: any body and status give one line
 * of printable text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  long status = size > 0 ? 400 + data[0] % 200 : 500;
  char *msg = pyoci_registry_error_text((const char *)data, size, status, "what");
  if (msg == NULL)
    abort();
  for (const char *p = msg; *p; p++)
    if ((unsigned char)*p < ' ' || *p == 127)
      abort(); /* one line, no control characters from the body */
  free(msg);
  return 0;
}
