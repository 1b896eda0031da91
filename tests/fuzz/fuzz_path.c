/* libFuzzer: lib/util/path.c in every mode.  Checks the invariants each mode
 * promises, not just that nothing crashes: the relative modes never return a
 * ".." component or a leading '/', cleaning is idempotent, and the in-place
 * form agrees with the copying one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mode(const char *in, pyoci_path_mode_t mode)
{
  char *a = pyoci_path_normalize(in, mode);
  if (a == NULL) {
    if (mode == PYOCI_PATH_CLAMP || mode == PYOCI_PATH_GO)
      abort(); /* these modes never refuse */
    return;
  }
  char *b = pyoci_path_normalize(a, mode);
  if (b == NULL || strcmp(a, b) != 0)
    abort(); /* not idempotent */
  free(b);
  if (mode != PYOCI_PATH_GO) {
    if (a[0] == '/' || pyoci_path_has_dotdot(a) || strstr(a, "//") != NULL)
      abort();
    char *c = strdup(in);
    if (c != NULL && (pyoci_path_normalize_inplace(c, mode) != 0 || strcmp(a, c) != 0))
      abort();
    free(c);
  } else if (strcmp(a, ".") != 0 && strcmp(a, "/") != 0 && a[strlen(a) - 1] == '/') {
    abort(); /* Go's Clean never leaves a trailing slash */
  }
  free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *in = strndup((const char *)data, size);
  if (in == NULL)
    return 0;
  for (int m = PYOCI_PATH_REJECT_DOTDOT; m <= PYOCI_PATH_GO; m++)
    check_mode(in, (pyoci_path_mode_t)m);
  free(in);
  return 0;
}
