/* Fuzz the ADD <url> file-name extraction: whatever the URL in a
 * Dockerfile, the name is "" or one plain path element -- never "..", never
 * with a '/', never longer than a file name may be. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lib/builder/add_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *url = fuzz_nul_copy(data, size);
  if (url == NULL)
    return 0;
  char *name = pyoci_url_file_name(url);
  size_t n = strlen(name);
  if (strchr(name, '/') != NULL || strcmp(name, "..") == 0 || strcmp(name, ".") == 0 || n > 255)
    abort();
  free(name);
  free(url);
  return 0;
}
