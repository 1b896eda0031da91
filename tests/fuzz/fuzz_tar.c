/* libFuzzer harness for the layer reader: arbitrary bytes (any compression)
 * through pyoci_tar_reader_*, every entry's fields touched and its data read. */
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer/layer.h"

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
  pyoci_tar_reader_t *r = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_tar_reader_open(fd, "fuzz", &r, &err) == 0) {
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
      /* A sparse entry reads as its declared size (up to 1 TiB) from a few
       * bytes of input: read the first 16 MiB of each, not all of it. */
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
