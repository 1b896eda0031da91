/* libFuzzer: arbitrary Dockerfile text through the instruction reader and
 * every check.  Findings must point at a line that exists. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/lint/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t lines = 1;
  for (size_t i = 0; i < size; i++)
    lines += data[i] == '\n';
  pyoci_lint_result_t r = PYOCI_LINT_RESULT_INIT;
  pyoci_error_t *err = NULL;
  if (pyoci_lint_text("fuzz/Dockerfile", (const char *)data, size, &r, &err) == 0) {
    for (size_t i = 0; i < r.n; i++)
      if (r.v[i].line < 1 || (size_t)r.v[i].line > lines || r.v[i].message == NULL || r.v[i].check == NULL)
        abort();
  } else if (err == NULL || err->msg == NULL) {
    abort();
  }
  pyoci_error_free(err);
  pyoci_lint_result_release(&r);
  return 0;
}
