/* libFuzzer harness for lib/layer/decompress.c: the first byte picks gzip,
 * zstd or sniffing, the rest is the input (through a memfd, like a blob).
 * gzip is checked against zlib: when either accepts the whole input, both
 * must, with the same bytes (a member mix that sends some members down the
 * libdeflate path and others down the zlib one must not change the result).
 * Output is capped at 16 MiB so bombs do not hide real findings; half the
 * inputs run under tiny decompression limits, which must refuse exactly
 * the outputs past them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/layer/decompress.h"
#include "lib/util/inflate_limit.h"

#define CAP (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
  unsigned char *buf;
  size_t len, cap;
  bool capped;
} out_t;

static int add(out_t *o, const void *buf, size_t len)
{
  if (o->len + len > CAP) {
    o->capped = true;
    return -1;
  }
  if (o->len + len > o->cap) {
    size_t want = o->cap ? o->cap : 65536;
    while (want < o->len + len)
      want *= 2;
    if ((o->buf = realloc(o->buf, want)) == NULL)
      abort();
    o->cap = want;
  }
  if (len == 0)
    return 0;
  memcpy(o->buf + o->len, buf, len);
  o->len += len;
  return 0;
}

static int sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  if (add(ctx, buf, len) < 0)
    return pyoci_error_set(err, 0, "output cap");
  return 0;
}

/* Multi-member gzip with zlib; trailing bytes that are not a member fail. */
static int zlib_ref(const uint8_t *in, size_t len, out_t *o)
{
  z_stream z;
  memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 15 + 16) != Z_OK)
    abort();
  z.next_in = (unsigned char *)in;
  z.avail_in = (uInt)len;
  unsigned char buf[65536];
  int rc = -1;
  bool any = false;
  for (;;) {
    if (any && z.avail_in == 0) {
      rc = 0;
      break;
    }
    z.next_out = buf;
    z.avail_out = sizeof(buf);
    int r = inflate(&z, Z_NO_FLUSH);
    if (add(o, buf, sizeof(buf) - z.avail_out) < 0)
      break;
    if (r == Z_STREAM_END) {
      any = true;
      if (z.avail_in > 0 && (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b))
        break; /* trailing garbage */
      inflateReset(&z);
      continue;
    }
    if (r != Z_OK || (z.avail_in == 0 && z.avail_out > 0))
      break;
  }
  inflateEnd(&z);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  int mode = data[0] % 3;
  int comp = mode == 0 ? PYOCI_COMP_GZIP : mode == 1 ? PYOCI_COMP_ZSTD : PYOCI_DECOMP_AUTO;
  /* Half the inputs run under tiny bomb limits (inflate_limit.h), so the
   * refusal path is fuzzed too: output may be at most 4 KiB + 4 x input. */
  bool limited = (data[0] / 3) % 2 == 1;
  pyoci_inflate_limits_t lim = {PYOCI_INFLATE_RATIO_DEFAULT, PYOCI_INFLATE_SIZE_DEFAULT, PYOCI_INFLATE_GRACE};
  if (limited)
    lim = (pyoci_inflate_limits_t){4, 0, 4096};
  pyoci_inflate_limits_set(&lim);
  data++;
  size--;
  int fd = memfd_create("fuzz", 0);
  if (fd < 0 || write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  out_t got = {0};
  pyoci_error_t *err = NULL;
  int rc = pyoci_decompress_fd(fd, comp, "fuzz", sink, &got, &err);
  if (rc < 0 && (err == NULL || strstr(err->msg, "fuzz") == NULL))
    abort(); /* errors name the input */
  close(fd);
  bool bomb = rc < 0 && strstr(err->msg, "decompresses to more than") != NULL;
  if (bomb && (!limited || got.len > 4096 + 4 * (uint64_t)size + (16u << 20)))
    abort(); /* refused only under the limits, and soon after crossing them */
  if (rc == 0 && limited && got.len > 4096 + 4 * (uint64_t)size)
    abort(); /* accepted more than the limits allow */
  if (comp == PYOCI_COMP_GZIP && !got.capped && !bomb) {
    out_t want = {0};
    int wrc = zlib_ref(data, size, &want);
    if (!want.capped && (wrc == 0 || rc == 0)) {
      if (wrc != rc || want.len != got.len || (got.len > 0 && memcmp(want.buf, got.buf, got.len) != 0)) {
        fprintf(stderr, "fuzz_decompress: zlib rc %d len %zu, pyoci rc %d len %zu (%s)\n", wrc, want.len, rc,
                got.len, err ? err->msg : "");
        abort();
      }
    }
    free(want.buf);
  }
  free(got.buf);
  pyoci_error_free(err);
  return 0;
}
