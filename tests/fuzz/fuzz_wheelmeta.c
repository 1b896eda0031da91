/* libFuzzer harness: what wheels and requirements say about themselves:
 * RECORD, METADATA, entry_points.txt, a hash-pinned requirements file, and
 * a wheel file name's tags against a fixed interpreter, the links of a
 * PEP 503 project page.  The first byte picks the reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/assemble/asm_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *buf = (const char *)data + 1;
  size_t len = size - 1;
  pyoci_error_t *err = NULL;
  switch (data[0] % 6) {
  case 0: {
    pyoci_record_t *r = NULL;
    size_t n = 0;
    if (pyoci_record_parse("RECORD", buf, len, &r, &n, &err) == 0)
      pyoci_records_free(r, n);
    break;
  }
  case 1: {
    char *name = NULL, *version = NULL;
    if (pyoci_metadata_parse("METADATA", buf, len, &name, &version, &err) == 0) {
      free(name);
      free(version);
    }
    break;
  }
  case 2: {
    char **names = NULL, **targets = NULL;
    pyoci_entry_points_parse("entry_points.txt", buf, len, &names, &targets, &err);
    pyoci_strvfreep(&names);
    pyoci_strvfreep(&targets);
    break;
  }
  case 3: {
    pyoci_req_t *r = NULL;
    size_t n = 0;
    if (pyoci_requirements_parse("requirements.txt", buf, len, &r, &n, &err) == 0)
      pyoci_reqs_free(r, n);
    break;
  }
  case 5: {
    char *page = strndup(buf, len);
    const char *pos = page;
    pyoci_pep503_link_t l = {0};
    for (int n = 0; n < 10000 && pyoci_pep503_next_link(&pos, "http://127.0.0.1:1/simple/x/", &l) > 0; n++)
      pyoci_pep503_link_release(&l);
    free(page);
    break;
  }
  default: {
    char *name = strndup(buf, len);
    pyoci_pyenv_t env = {3, 11, 2, 36, "x86_64"};
    if (strlen(name) == len)
      pyoci_wheel_tags_check(name, &env, &err);
    free(name);
  }
  }
  pyoci_error_free(err);
  return 0;
}
