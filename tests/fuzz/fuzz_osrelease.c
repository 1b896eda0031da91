/* libFuzzer harness: etc/os-release and one-line release files. */
#include "fuzz_catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *buf = fuzz_nul_copy(data, size);
  if (buf == NULL)
    return 0;
  pyoci_error_t *err = NULL;
  pyoci_os_t os = {0};
  if (pyoci_os_parse_os_release(&os, "etc/os-release", buf, size, &err) == 0) {
    pyoci_os_derive(&os);
    pyoci_pkg_t p = {.type = PYOCI_PKG_DEB, .name = "n", .version = "1", .arch = "amd64"};
    free(pyoci_purl_for(&p, &os));
  }
  pyoci_error_release(&err);
  char *line = NULL;
  if (pyoci_os_parse_release_line("etc/debian_version", buf, size, &line, &err) == 0)
    free(line);
  pyoci_os_clear(&os);
  pyoci_error_free(err);
  free(buf);
  return 0;
}
