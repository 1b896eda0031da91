/* Compression: gzip and zstd output decompresses to the input with the
 * standard tools and libraries, and is byte-identical for any thread count
 * and any way the input is split into writes. */
#include <zlib.h>
#include <zstd.h>

#include "tap.h"
#include "layer_testlib.h"

/* Compress buf with the given settings, writing in pieces of step bytes. */
static int compress_buf(pyoci_comp_t comp, int level, int threads, const unsigned char *buf, size_t len,
                        size_t step, strbuf_t *out, char **msg)
{
  pyoci_error_t *err = NULL;
  strbuf_reset(out);
  pyoci_compressor_t *c = pyoci_compressor_new(comp, level, threads, tl_sb_sink, out);
  if (c == NULL) {
    *msg = strdup("compressor_new failed");
    return -1;
  }
  int r = 0;
  for (size_t off = 0; off < len && r == 0; off += step)
    r = pyoci_compressor_write(c, buf + off, len - off < step ? len - off : step, &err);
  if (r == 0)
    r = pyoci_compressor_finish(c, &err);
  else
    pyoci_compressor_free(c);
  *msg = err ? strdup(err->msg) : NULL;
  pyoci_error_free(err);
  return r;
}

/* zlib inflate over concatenated gzip members. */
static int gunzip_all(const strbuf_t *in, strbuf_t *out, int *members)
{
  z_stream z;
  memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 16 + 15) != Z_OK)
    return -1;
  z.next_in = (unsigned char *)in->buf;
  z.avail_in = (uInt)in->len;
  unsigned char buf[65536];
  *members = 0;
  for (;;) {
    z.next_out = buf;
    z.avail_out = sizeof(buf);
    int r = inflate(&z, Z_NO_FLUSH);
    strbuf_add(out, buf, sizeof(buf) - z.avail_out);
    if (r == Z_STREAM_END) {
      (*members)++;
      if (z.avail_in == 0)
        break;
      inflateReset(&z);
      continue;
    }
    if (r != Z_OK) {
      inflateEnd(&z);
      return -1;
    }
  }
  inflateEnd(&z);
  return 0;
}

static int unzstd_all(const strbuf_t *in, strbuf_t *out)
{
  ZSTD_DStream *d = ZSTD_createDStream();
  ZSTD_inBuffer ib = {in->buf, in->len, 0};
  unsigned char buf[65536];
  size_t r = 1;
  while (ib.pos < ib.size) {
    ZSTD_outBuffer ob = {buf, sizeof(buf), 0};
    r = ZSTD_decompressStream(d, &ob, &ib);
    if (ZSTD_isError(r)) {
      ZSTD_freeDStream(d);
      return -1;
    }
    strbuf_add(out, buf, ob.pos);
  }
  ZSTD_freeDStream(d);
  return r == 0 ? 0 : -1;
}

static bool same(const strbuf_t *a, const unsigned char *b, size_t len)
{
  return a->len == len && memcmp(a->buf, b, len) == 0;
}

static bool same_sb(const strbuf_t *a, const strbuf_t *b)
{
  return a->len == b->len && memcmp(a->buf, b->buf, a->len) == 0;
}

static void test_gzip(void)
{
  size_t len = 5 * (1u << 20) + 12345; /* 6 members, the last partial */
  unsigned char *in = tl_make_input(len, 12345);
  strbuf_t ref = STRBUF_INIT, out = STRBUF_INIT, plain = STRBUF_INIT;
  char *msg = NULL;
  is_int(compress_buf(PYOCI_COMP_GZIP, 0, 1, in, len, 65536, &ref, &msg), 0, "gzip, 1 thread");
  free(msg);
  int members = 0;
  is_int(gunzip_all(&ref, &plain, &members), 0, "zlib inflates every member");
  ok(same(&plain, in, len), "zlib gets the input back");
  is_int(members, 6, "one gzip member per started MiB");
  ok(ref.len < len, "output is smaller (%zu < %zu)", ref.len, len);
  ok(ref.len > 10 && (unsigned char)ref.buf[0] == 0x1f && (unsigned char)ref.buf[1] == 0x8b &&
         memcmp(ref.buf + 4, "\0\0\0\0", 4) == 0 && (unsigned char)ref.buf[9] == 255,
     "gzip header: magic, mtime 0, OS 255");

  int threads[] = {2, 3, 8};
  for (size_t i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
    compress_buf(PYOCI_COMP_GZIP, 0, threads[i], in, len, 65536, &out, &msg);
    free(msg);
    ok(same_sb(&out, &ref), "gzip with %d threads is byte-identical to 1 thread", threads[i]);
  }
  size_t steps[] = {1, 4097, 3u << 20};
  for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
    size_t n = steps[i] == 1 ? (1u << 20) + 100 : len; /* byte-by-byte only over a bit more than a chunk */
    strbuf_t want = STRBUF_INIT;
    compress_buf(PYOCI_COMP_GZIP, 0, 2, in, n, n, &want, &msg);
    free(msg);
    compress_buf(PYOCI_COMP_GZIP, 0, 2, in, n, steps[i], &out, &msg);
    free(msg);
    ok(same_sb(&out, &want), "writes of %zu bytes give the same output as one write", steps[i]);
    strbuf_release(&want);
  }

  /* gzip -dc and a different level */
  tl_write(tl_path("x.gz"), ref.buf, ref.len);
  tl_write(tl_path("x"), in, len);
  char *o = NULL;
  is_int(tl_sh(&o, "gzip -dc '%s' | cmp - '%s' && gzip -t '%s' && echo same", tl_path("x.gz"), tl_path("x"),
               tl_path("x.gz")),
         0, "gzip -dc restores the input and gzip -t passes");
  free(o);
  strbuf_t l9 = STRBUF_INIT;
  compress_buf(PYOCI_COMP_GZIP, 9, 2, in, len, len, &l9, &msg);
  free(msg);
  strbuf_reset(&plain);
  ok(!same_sb(&l9, &ref) && gunzip_all(&l9, &plain, &members) == 0 && same(&plain, in, len),
     "level 9 gives different bytes that still inflate to the input");
  strbuf_release(&l9);

  /* empty input: still one valid member */
  compress_buf(PYOCI_COMP_GZIP, 0, 4, in, 0, 1, &out, &msg);
  free(msg);
  strbuf_reset(&plain);
  ok(gunzip_all(&out, &plain, &members) == 0 && plain.len == 0 && members == 1,
     "empty input gives one empty gzip member (%zu bytes)", out.len);

  /* exactly one chunk */
  compress_buf(PYOCI_COMP_GZIP, 0, 2, in, 1u << 20, 1000, &out, &msg);
  free(msg);
  strbuf_reset(&plain);
  ok(gunzip_all(&out, &plain, &members) == 0 && members == 1 && same(&plain, in, 1u << 20),
     "exactly 1 MiB is one member");

  /* PYOCI_THREADS with threads=0 */
  tl_set_threads(3);
  compress_buf(PYOCI_COMP_GZIP, 0, 0, in, len, 65536, &out, &msg);
  free(msg);
  ok(same_sb(&out, &ref), "threads=0 with PYOCI_THREADS=3: same bytes");
  tl_set_threads(0);
  compress_buf(PYOCI_COMP_GZIP, 0, 0, in, len, 65536, &out, &msg);
  free(msg);
  ok(same_sb(&out, &ref), "threads=0 (all cores): same bytes");

  strbuf_release(&ref);
  strbuf_release(&out);
  strbuf_release(&plain);
  free(in);
}

static void test_zstd(void)
{
  /* Large enough for several zstd jobs (the default job size at level 3 is
   * a few MiB). */
  size_t len = 24u << 20;
  unsigned char *in = tl_make_input(len, 12345);
  strbuf_t ref = STRBUF_INIT, out = STRBUF_INIT, plain = STRBUF_INIT;
  char *msg = NULL;
  is_int(compress_buf(PYOCI_COMP_ZSTD, 0, 1, in, len, 65536, &ref, &msg), 0, "zstd, 1 thread");
  free(msg);
  ok(unzstd_all(&ref, &plain) == 0 && same(&plain, in, len), "libzstd decompresses it to the input");
  ok(ref.len < len, "zstd output is smaller (%zu < %zu)", ref.len, len);
  int threads[] = {2, 8};
  for (size_t i = 0; i < 2; i++) {
    compress_buf(PYOCI_COMP_ZSTD, 0, threads[i], in, len, 65536, &out, &msg);
    free(msg);
    ok(same_sb(&out, &ref), "zstd with %d threads is byte-identical to 1 thread", threads[i]);
  }
  compress_buf(PYOCI_COMP_ZSTD, 0, 2, in, len, 12345, &out, &msg);
  free(msg);
  ok(same_sb(&out, &ref), "zstd with odd write sizes: same bytes");
  tl_write(tl_path("x.zst"), ref.buf, ref.len);
  tl_write(tl_path("xz"), in, len);
  char *o = NULL;
  is_int(tl_sh(&o, "zstd -q -dc '%s' | cmp - '%s'", tl_path("x.zst"), tl_path("xz")), 0,
         "zstd -dc restores the input");
  free(o);
  compress_buf(PYOCI_COMP_ZSTD, 0, 2, in, 0, 1, &out, &msg);
  free(msg);
  strbuf_reset(&plain);
  ok(unzstd_all(&out, &plain) == 0 && plain.len == 0, "empty input gives a valid empty zstd frame");
  strbuf_release(&ref);
  strbuf_release(&out);
  strbuf_release(&plain);
  free(in);
}

static int failing_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  int *calls = ctx;
  if (++*calls >= 2)
    return pyoci_error_set(err, 28, "write 'blob'");
  return 0;
}

static void test_none_and_errors(void)
{
  unsigned char *in = tl_make_input(3u << 20, 12345);
  strbuf_t out = STRBUF_INIT;
  char *msg = NULL;
  compress_buf(PYOCI_COMP_NONE, 0, 2, in, 3u << 20, 7777, &out, &msg);
  free(msg);
  ok(same(&out, in, 3u << 20), "none passes bytes through");

  pyoci_comp_t comps[] = {PYOCI_COMP_GZIP, PYOCI_COMP_ZSTD, PYOCI_COMP_NONE};
  const char *names[] = {"gzip", "zstd", "none"};
  for (int i = 0; i < 3; i++) {
    int calls = 0;
    pyoci_error_t *err = NULL;
    pyoci_compressor_t *c = pyoci_compressor_new(comps[i], 0, 2, failing_sink, &calls);
    int r = 0;
    for (size_t off = 0; off < (3u << 20) && r == 0; off += 65536)
      r = pyoci_compressor_write(c, in + off, 65536, &err);
    if (r == 0)
      r = pyoci_compressor_finish(c, &err);
    else
      pyoci_compressor_free(c);
    is_int(r, -1, "%s: a failing sink fails the compression", names[i]);
    is_str(err ? err->msg : NULL, "write 'blob': No space left on device", "%s: with the sink's message", names[i]);
    pyoci_error_free(err);
  }
  strbuf_release(&out);
  free(in);
}

int main(void)
{
  tl_init("compress");
  test_gzip();
  test_zstd();
  test_none_and_errors();
  return done_testing();
}
