/* libFuzzer harness: the archive metadata parsers (docker-archive
 * manifest.json, OCI index.json) and member path cleaning on hostile bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci/archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cleaned path must be relative with no "..", "." or empty component. */
static void check_clean(const char *p)
{
  if (p[0] == '\0' || p[0] == '/')
    abort();
  for (const char *c = p; *c;) {
    const char *e = strchr(c, '/');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
      abort();
    c += n;
    if (*c == '/')
      c++;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_error_t *err = NULL;
  pyoci_docker_manifest_entry_t *m = NULL;
  size_t n = 0;
  if (pyoci_docker_manifest_parse((const char *)data, size, "fuzz.tar", &m, &n, &err) == 0) {
    for (size_t i = 0; i < n; i++) {
      check_clean(m[i].config);
      for (size_t k = 0; k < m[i].n_layers; k++)
        check_clean(m[i].layers[k]);
    }
    pyoci_docker_manifest_free(m, n);
  }
  pyoci_error_release(&err);

  pyoci_oci_index_entry_t *e = NULL;
  if (pyoci_oci_index_parse((const char *)data, size, "fuzz.tar", &e, &n, &err) == 0)
    pyoci_oci_index_free(e, n);
  pyoci_error_release(&err);

  if (size < 4096) {
    char *s = strndup((const char *)data, size);
    char *c = pyoci_archive_clean_path(s, &err);
    if (c != NULL)
      check_clean(c);
    free(c);
    free(s);
    pyoci_error_release(&err);
  }
  return 0;
}
