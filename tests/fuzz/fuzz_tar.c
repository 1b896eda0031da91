/* libFuzzer harness for the layer reader: arbitrary bytes (any compression)
 * through pyoci_tar_reader_*, every entry's fields touched and its data read,
 * some of them checked against a diff_id. */
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/util/inflate_limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* Feed through a memfd so libarchive reads a real fd like in production. */
  int fd = memfd_create("fuzz", 0);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  /* Inputs whose last byte is odd (a tar ends in zeros: never a seed) run
   * under tiny bomb limits, 4 KiB + 4 x input, so the refusal paths --
   * a sparse file's holes counted as output -- are fuzzed too. */
  pyoci_inflate_limits_t lim = {PYOCI_INFLATE_RATIO_DEFAULT, PYOCI_INFLATE_SIZE_DEFAULT, PYOCI_INFLATE_GRACE};
  if (size > 0 && (data[size - 1] & 1))
    lim = (pyoci_inflate_limits_t){4, 0, 4096};
  pyoci_inflate_limits_set(&lim);
  pyoci_tar_reader_t *r = NULL;
  pyoci_error_t *err = NULL;
  /* Inputs whose first byte is odd are read as a cache filler reads them,
   * against a diff_id (they never match it): the inline hash, the drain
   * after the end blocks and xz's separate pass get fuzzed too. */
  const char *diff_id = size > 0 && (data[0] & 1)
                            ? "sha256:0000000000000000000000000000000000000000000000000000000000000000"
                            : NULL;
  if (pyoci_tar_reader_open_verified(fd, "fuzz", diff_id, &r, &err) == 0) {
    pyoci_tar_entry_t e;
    char buf[8192];
    size_t sum = 0;
    while (pyoci_tar_reader_next(r, &e, &err) == 1) {
      sum += strlen(e.path) + (e.link ? strlen(e.link) : 0) + (size_t)e.type + (size_t)e.mode;
      const char *xn;
      const void *xv;
      size_t xl;
      for (size_t i = 0; pyoci_tar_reader_xattr(r, i, &xn, &xv, &xl); i++)
        sum += strlen(xn) + xl;
      /* A sparse entry reads as its declared size, holes as zeros: up to
       * 256 MiB (the limits' grace) from a few bytes of input, or 1 TiB
       * with the limits off.  Read the first 16 MiB of each, not all. */
      ssize_t n = 0;
      size_t got = 0;
      while (got < (16u << 20) && (n = pyoci_tar_reader_read(r, buf, sizeof(buf), &err)) > 0) {
        sum += (size_t)n;
        got += (size_t)n;
      }
      n = got < (16u << 20) ? n : 0;
      if (n < 0)
        break;
    }
    (void)sum;
  }
  pyoci_tar_reader_free(r);
  pyoci_error_free(err);
  close(fd);
  return 0;
}
