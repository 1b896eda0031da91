/* libFuzzer harness: the per-layer scan cache format (files under
 * <store>/cache/scan are read back; a damaged one must be rejected, never
 * trusted or crashed on).  Whatever parses must serialise back to the same
 * bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/scan/layerrec.h"
#include "lib/util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_layer_record_t *rec = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_lrec_parse((const char *)data, size, NULL, "fuzz", &rec, &err) < 0) {
    pyoci_error_free(err);
    return 0;
  }
  /* re-serialise with the digest the input carried */
  uint32_t dl = 0;
  memcpy(&dl, data + 8, 4);
  char *digest = strndup((const char *)data + 12, dl);
  size_t len = 0;
  char *again = pyoci_lrec_serialize(rec, digest, &len);
  if (len != size || memcmp(again, data, size) != 0)
    abort();
  free(again);
  free(digest);
  pyoci_lrec_free(rec);
  return 0;
}
