/* libFuzzer harness: OpenVEX / CycloneDX VEX documents (--vex), parsed and
 * matched against a finding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_vex_t vex = {0};
  pyoci_error_t *err = NULL;
  if (pyoci_vex_parse((const char *)data, size, "fuzz.json", &vex, &err) < 0) {
    if (err == NULL || strstr(err->msg, "fuzz.json") == NULL)
      abort(); /* every rejection names the document */
  }
  pyoci_error_free(err);
  pyoci_scan_vuln_t v = {.id = "CVE-2023-46136", .aliases_json = "[\"GHSA-hrfv-mqp8-q5rw\"]"};
  const char *purls[] = {"pkg:pypi/werkzeug@2.2.2", "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12", ""};
  for (size_t i = 0; i < 3; i++)
    pyoci_vex_find(&vex, &v, purls[i]);
  pyoci_vex_release(&vex);
  return 0;
}
