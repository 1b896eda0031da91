/* libFuzzer: the first line is a path, the rest a .dockerignore file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/dockerignore.h"
#include "lib/util/cleanup.h"
#include "lib/util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *nl = memchr(data, '\n', size);
  size_t plen = nl ? (size_t)(nl - (const char *)data) : size;
  cleanup_free char *path = strndup((const char *)data, plen);
  const char *rest = nl ? nl + 1 : (const char *)data + size;
  size_t rlen = size - (size_t)(rest - (const char *)data);
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_ignore_t *ig = pyoci_ignore_parse(rest, rlen, ".dockerignore", &err);
  if (ig == NULL || path == NULL) {
    pyoci_ignore_free(ig);
    return 0;
  }
  pyoci_ignore_match(ig, path, false);
  pyoci_ignore_dir_may_reinclude(ig, path);
  for (size_t i = 0; i < pyoci_ignore_count(ig); i++) {
    bool ex;
    const char *pat = pyoci_ignore_pattern(ig, i, &ex);
    /* every pattern as a path, against the whole set */
    pyoci_ignore_match(ig, pat, true);
  }
  free(pyoci_path_normalize(path, PYOCI_PATH_GO));
  pyoci_ignore_free(ig);
  return 0;
}
