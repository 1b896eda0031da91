/* Decompress stdin (a file, as store blobs are) to stdout with
 * pyoci_decompress_fd, the same path `pyoci save` and the layer reader use.
 * For bench/decompress.sh, side by side with gzip -dc and pigz -dc. */
#include <stdio.h>
#include <unistd.h>

#include "lib/layer/decompress.h"
#include "lib/util/fs.h"

static int out_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_write_all(1, buf, len, "stdout", err);
}

int main(void)
{
  pyoci_error_t *err = NULL;
  if (pyoci_decompress_fd(0, PYOCI_DECOMP_AUTO, "stdin", out_sink, NULL, &err) < 0) {
    fprintf(stderr, "decompress_bench: %s\n", err->msg);
    return 1;
  }
  return 0;
}
