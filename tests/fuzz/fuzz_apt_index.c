/* libFuzzer harness: a Packages index and a Release file as pyoci assemble
 * reads them (the dpkg stanza reader underneath), then the resolver over
 * whatever index came out (relations from the input, Provides, versions). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/assemble/asm_int.h"

static int on_line(void *ctx, const char *sha256, uint64_t size, const char *path, pyoci_error_t **err)
{
  (void)ctx, (void)size, (void)err;
  return strlen(sha256) == 64 && path[0] ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_error_t *err = NULL;
  pyoci_release_parse("Release", (const char *)data, size, on_line, NULL, &err);
  pyoci_error_free(err);
  err = NULL;
  pyoci_source_t src = {.uri = "http://127.0.0.1", .suite = "fuzz"};
  pyoci_index_t *ix = pyoci_index_new();
  if (pyoci_index_add_packages(ix, "Packages", (const char *)data, size, &src, &err) == 0) {
    char *asked[] = {"a", "b", "libc6", NULL};
    pyoci_resolution_t res;
    if (pyoci_resolve(ix, asked, &res, &err) == 0) {
      free(pyoci_resolution_explain(&res, "b"));
      pyoci_resolution_free(&res);
    }
  }
  pyoci_error_free(err);
  pyoci_index_free(ix);
  return 0;
}
