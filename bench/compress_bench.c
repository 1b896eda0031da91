/* Compress stdin to stdout with pyoci's layer compressor; bench/layers.sh
 * builds this against build/libpyoci.a to time it next to gzip/pigz/zstd.
 *   compress_bench gzip|zstd|none THREADS [LEVEL] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/fs.h"

static int out_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  return pyoci_write_all(STDOUT_FILENO, buf, len, "stdout", err);
}

int main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s gzip|zstd|none THREADS [LEVEL]\n", argv[0]);
    return 2;
  }
  pyoci_comp_t comp = strcmp(argv[1], "gzip") == 0   ? PYOCI_COMP_GZIP
                      : strcmp(argv[1], "zstd") == 0 ? PYOCI_COMP_ZSTD
                                                     : PYOCI_COMP_NONE;
  int threads = atoi(argv[2]);
  int level = argc > 3 ? atoi(argv[3]) : 0;
  pyoci_compressor_t *c = pyoci_compressor_new(comp, level, threads, out_sink, NULL);
  if (c == NULL) {
    fprintf(stderr, "compress_bench: cannot start the compressor\n");
    return 1;
  }
  static char buf[1 << 20];
  pyoci_error_t *err = NULL;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      perror("read");
      return 1;
    }
    if (n == 0)
      break;
    if (pyoci_compressor_write(c, buf, (size_t)n, &err) < 0) {
      fprintf(stderr, "compress_bench: %s\n", err->msg);
      return 1;
    }
  }
  if (pyoci_compressor_finish(c, &err) < 0) {
    fprintf(stderr, "compress_bench: %s\n", err->msg);
    return 1;
  }
  return 0;
}
