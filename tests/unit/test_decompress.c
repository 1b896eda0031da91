/* Decompression (lib/layer/decompress.c): pyoci's multi-member gzip, foreign
 * single-member gzip too big for the libdeflate fast path, concatenated
 * members, zstd and plain input all give exactly what gzip -dc / zstd -dc /
 * the input give; empty, truncated, garbage and trailing-garbage input are
 * errors naming the input. */
#include "tap.h"
#include "layer_testlib.h"
#include "lib/layer/decompress.h"

/* pyoci_compressor output of buf into path. */
static void compress_to(const char *path, pyoci_comp_t comp, int threads, const unsigned char *buf, size_t len)
{
  strbuf_t out = STRBUF_INIT;
  pyoci_error_t *err = NULL;
  pyoci_compressor_t *c = pyoci_compressor_new(comp, 0, threads, tl_sb_sink, &out);
  if (c == NULL || pyoci_compressor_write(c, buf, len, &err) < 0 || pyoci_compressor_finish(c, &err) < 0) {
    printf("Bail out! compress: %s\n", err ? err->msg : "?");
    exit(255);
  }
  tl_write(path, out.buf, out.len);
  strbuf_release(&out);
}

/* Decompress path (comp) into *out; returns 0 or -1 with *msg. */
static int decomp_file(const char *path, int comp, strbuf_t *out, char **msg)
{
  strbuf_reset(out);
  *msg = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  MUST(fd);
  pyoci_error_t *err = NULL;
  int r = pyoci_decompress_fd(fd, comp, "IN", tl_sb_sink, out, &err);
  close(fd);
  if (r < 0)
    *msg = strdup(err && err->msg ? err->msg : "(no message)");
  pyoci_error_free(err);
  return r;
}

/* Same bytes as the file `want`? */
static bool same_as_file(const strbuf_t *got, const char *want)
{
  size_t len = 0;
  char *w = tl_read(want, &len);
  bool eq = w != NULL && len == got->len && (len == 0 || memcmp(w, got->buf, len) == 0);
  free(w);
  return eq;
}

static void check_ok(const char *path, int comp, const char *want, const char *desc)
{
  strbuf_t out = STRBUF_INIT;
  char *msg = NULL;
  int r = decomp_file(path, comp, &out, &msg);
  ok(r == 0 && same_as_file(&out, want), "%s: %zu bytes, same as the reference%s%s", desc, out.len,
     msg ? ": " : "", msg ? msg : "");
  free(msg);
  strbuf_release(&out);
}

static void check_err(const char *path, int comp, const char *want_sub, const char *desc)
{
  strbuf_t out = STRBUF_INIT;
  char *msg = NULL;
  int r = decomp_file(path, comp, &out, &msg);
  ok(r < 0 && msg && strncmp(msg, "decompress 'IN': ", 17) == 0 && strstr(msg, want_sub) != NULL,
     "%s: error \"%s\"", desc, msg ? msg : "(none)");
  free(msg);
  strbuf_release(&out);
}

static void pyoci_gzip(void)
{
  size_t len = (7u << 20) + 12345; /* 8 members, the last one short */
  unsigned char *in = tl_make_input(len, 1);
  tl_write(tl_path("plain"), in, len);
  compress_to(tl_path("p1.gz"), PYOCI_COMP_GZIP, 1, in, len);
  compress_to(tl_path("p4.gz"), PYOCI_COMP_GZIP, 4, in, len);
  is_int(tl_sh(NULL, "cmp '%s' '%s' && gzip -dc '%s' | cmp - '%s'", tl_path("p1.gz"), tl_path("p4.gz"),
               tl_path("p1.gz"), tl_path("plain")),
         0, "pyoci gzip with 1 and 4 threads: same bytes, and gzip -dc gives the input");
  check_ok(tl_path("p1.gz"), PYOCI_COMP_GZIP, tl_path("plain"), "pyoci gzip, 1 thread");
  check_ok(tl_path("p4.gz"), PYOCI_DECOMP_AUTO, tl_path("plain"), "pyoci gzip, 4 threads, sniffed");

  /* Small reads through the pull API, from a pipe (short reads, no seek). */
  char cmd[8300];
  snprintf(cmd, sizeof(cmd), "cat '%s'", tl_path("p1.gz"));
  FILE *p = popen(cmd, "r");
  MUST(p ? 0 : -1);
  pyoci_error_t *err = NULL;
  pyoci_decomp_t *d = pyoci_decomp_open(fileno(p), PYOCI_DECOMP_AUTO, "pipe", &err);
  strbuf_t out = STRBUF_INIT;
  ssize_t n = 0;
  char buf[1000];
  while (d != NULL && (n = pyoci_decomp_read(d, buf, sizeof(buf), &err)) > 0)
    strbuf_add(&out, buf, (size_t)n);
  is_int(d != NULL ? (int)pyoci_decomp_kind(d) : -1, PYOCI_COMP_GZIP, "pipe: gzip detected");
  ok(n == 0 && out.len == len && memcmp(out.buf, in, len) == 0, "pipe, 1000-byte reads: %zu bytes, same as input",
     out.len);
  pyoci_decomp_free(d);
  pclose(p);
  strbuf_release(&out);
  pyoci_error_free(err);

  /* Empty input (zero-length chunk) is one empty member. */
  compress_to(tl_path("empty.gz"), PYOCI_COMP_GZIP, 1, in, 0);
  tl_write(tl_path("empty"), "", 0);
  check_ok(tl_path("empty.gz"), PYOCI_COMP_GZIP, tl_path("empty"), "pyoci gzip of nothing");
  free(in);
}

static void foreign_gzip(void)
{
  /* 24 MiB compressible (output beyond the fast path's 16 MiB) and 20 MiB
   * random (compressed member beyond its 16 MiB input window), one member
   * each, as gzip -c writes them. */
  unsigned char *in = tl_make_input(24u << 20, 7);
  tl_write(tl_path("big"), in, 24u << 20);
  free(in);
  MUST(tl_sh(NULL, "gzip -1 -c '%s' > '%s' && head -c 20971520 /dev/urandom > '%s' && gzip -1 -c '%s' > '%s'",
             tl_path("big"), tl_path("big.gz"), tl_path("rnd"), tl_path("rnd"), tl_path("rnd.gz")) == 0
           ? 0
           : -1);
  MUST(tl_sh(NULL, "gzip -dc '%s' > '%s.ref' && gzip -dc '%s' > '%s.ref'", tl_path("big.gz"), tl_path("big.gz"),
             tl_path("rnd.gz"), tl_path("rnd.gz")) == 0
           ? 0
           : -1);
  check_ok(tl_path("big.gz"), PYOCI_COMP_GZIP, tl_path("big.gz.ref"), "single-member gzip, 24 MiB out (zlib path)");
  check_ok(tl_path("rnd.gz"), PYOCI_COMP_GZIP, tl_path("rnd.gz.ref"), "single-member gzip, 20 MiB in (zlib path)");

  /* cat a.gz b.gz: big member (zlib), then pyoci's small ones (fast path),
   * then a small foreign one with a file name in its header. */
  MUST(tl_sh(NULL, "printf 'hello\\n' > '%s' && gzip -c -N '%s' > '%s.gz'"
                   " && cat '%s' '%s' '%s.gz' > '%s' && cat '%s' '%s' '%s' | gzip -dc > '%s.ref'",
             tl_path("hello"), tl_path("hello"), tl_path("hello"), tl_path("big.gz"), tl_path("p1.gz"),
             tl_path("hello"), tl_path("cat.gz"), tl_path("big.gz"), tl_path("p1.gz"), tl_path("hello.gz"),
             tl_path("cat.gz")) == 0
           ? 0
           : -1);
  is_int(tl_sh(NULL, "cat '%s' '%s' '%s' | cmp - '%s.ref'", tl_path("big.gz.ref"), tl_path("plain"), tl_path("hello"),
               tl_path("cat.gz")),
         0, "reference: gzip -dc of the concatenation is the concatenation");
  check_ok(tl_path("cat.gz"), PYOCI_DECOMP_AUTO, tl_path("cat.gz.ref"), "cat big.gz pyoci.gz hello.gz");
}

static void bad_gzip(void)
{
  tl_write(tl_path("empty"), "", 0);
  check_err(tl_path("empty"), PYOCI_COMP_GZIP, "empty gzip data", "empty input as gzip");
  check_ok(tl_path("empty"), PYOCI_DECOMP_AUTO, tl_path("empty"), "empty input, sniffed: nothing");

  /* Cut inside the header, inside a member, at the last member's trailer. */
  size_t len = 0;
  char *gz = tl_read(tl_path("p1.gz"), &len);
  size_t cuts[] = {1, 2, 9, 100, len / 3, len / 2, len - 8, len - 1};
  for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
    tl_write(tl_path("cut"), gz, cuts[i]);
    char desc[64];
    snprintf(desc, sizeof(desc), "pyoci gzip cut at %zu of %zu", cuts[i], len);
    check_err(tl_path("cut"), PYOCI_COMP_GZIP, "truncated gzip data", desc);
  }
  char *big = tl_read(tl_path("big.gz"), &len);
  size_t bcuts[] = {len / 2, len - 3};
  for (size_t i = 0; i < 2; i++) {
    tl_write(tl_path("cut"), big, bcuts[i]);
    char desc[64];
    snprintf(desc, sizeof(desc), "single-member gzip cut at %zu of %zu", bcuts[i], len);
    check_err(tl_path("cut"), PYOCI_COMP_GZIP, "truncated gzip data", desc);
  }
  free(big);

  MUST(tl_sh(NULL, "head -c 5000 /dev/urandom | sed 's/^\\x1f/x/' > '%s'", tl_path("garbage")) == 0 ? 0 : -1);
  check_err(tl_path("garbage"), PYOCI_COMP_GZIP, "not gzip data", "random bytes as gzip");
  /* A valid header, then a corrupt deflate stream. */
  unsigned char bad[4096];
  memcpy(bad, gz, 10);
  for (size_t i = 10; i < sizeof(bad); i++)
    bad[i] = (unsigned char)(i * 37 + 0xff);
  tl_write(tl_path("badbody.gz"), bad, sizeof(bad));
  check_err(tl_path("badbody.gz"), PYOCI_COMP_GZIP, "invalid gzip data", "gzip header, garbage body");
  /* A flipped byte in the middle: CRC or deflate error, never silent. */
  size_t plen = 0;
  free(gz);
  gz = tl_read(tl_path("p1.gz"), &plen);
  gz[plen / 2] ^= 0x55;
  tl_write(tl_path("flip.gz"), gz, plen);
  check_err(tl_path("flip.gz"), PYOCI_COMP_GZIP, "invalid gzip data", "pyoci gzip with a flipped byte");
  free(gz);

  MUST(tl_sh(NULL, "cat '%s' > '%s' && printf 'JUNKJUNK' >> '%s' && cat '%s' > '%s' && printf '\\0\\0\\0\\0' >> '%s'",
             tl_path("p1.gz"), tl_path("trail.gz"), tl_path("trail.gz"), tl_path("big.gz"), tl_path("trail0.gz"),
             tl_path("trail0.gz")) == 0
           ? 0
           : -1);
  check_err(tl_path("trail.gz"), PYOCI_COMP_GZIP, "trailing garbage after gzip data", "pyoci gzip + 'JUNKJUNK'");
  check_err(tl_path("trail0.gz"), PYOCI_COMP_GZIP, "trailing garbage after gzip data", "foreign gzip + 4 zero bytes");
}

static void zstd_and_plain(void)
{
  size_t len = (3u << 20) + 77;
  unsigned char *in = tl_make_input(len, 3);
  tl_write(tl_path("zplain"), in, len);
  compress_to(tl_path("p.zst"), PYOCI_COMP_ZSTD, 2, in, len);
  free(in);
  check_ok(tl_path("p.zst"), PYOCI_COMP_ZSTD, tl_path("zplain"), "pyoci zstd");
  MUST(tl_sh(NULL, "zstd -q -c '%s' > '%s' && cat '%s' '%s' > '%s' && cat '%s' '%s' > '%s'", tl_path("hello"),
             tl_path("h.zst"), tl_path("p.zst"), tl_path("h.zst"), tl_path("cat.zst"), tl_path("zplain"),
             tl_path("hello"), tl_path("cat.zst.ref")) == 0
           ? 0
           : -1);
  check_ok(tl_path("cat.zst"), PYOCI_DECOMP_AUTO, tl_path("cat.zst.ref"), "two zstd frames (cat), sniffed");
  size_t zlen = 0;
  char *z = tl_read(tl_path("p.zst"), &zlen);
  tl_write(tl_path("cut.zst"), z, zlen / 2);
  check_err(tl_path("cut.zst"), PYOCI_COMP_ZSTD, "truncated zstd data", "zstd cut in half");
  tl_write(tl_path("cut.zst"), z, zlen - 1);
  check_err(tl_path("cut.zst"), PYOCI_COMP_ZSTD, "truncated zstd data", "zstd without its last byte");
  free(z);
  tl_write(tl_path("empty"), "", 0);
  check_err(tl_path("empty"), PYOCI_COMP_ZSTD, "truncated zstd data", "empty input as zstd");
  MUST(tl_sh(NULL, "cat '%s' > '%s' && printf 'JUNKJUNK' >> '%s'", tl_path("p.zst"), tl_path("trail.zst"),
             tl_path("trail.zst")) == 0
           ? 0
           : -1);
  check_err(tl_path("trail.zst"), PYOCI_COMP_ZSTD, "invalid zstd data", "zstd + trailing garbage");
  check_err(tl_path("garbage"), PYOCI_COMP_ZSTD, "invalid zstd data", "random bytes as zstd");

  check_ok(tl_path("plain"), PYOCI_COMP_NONE, tl_path("plain"), "none: passthrough");
  check_ok(tl_path("garbage"), PYOCI_DECOMP_AUTO, tl_path("garbage"), "no magic, sniffed: passthrough");
  MUST(tl_sh(NULL, "xz -0 -c '%s' > '%s'", tl_path("hello"), tl_path("h.xz")) == 0 ? 0 : -1);
  check_ok(tl_path("h.xz"), PYOCI_DECOMP_AUTO, tl_path("h.xz"), "xz, sniffed: passed through for libarchive");
}

/* Inputs over 4 MiB in regular files are decoded by a second thread; stop
 * early (the thread must be told and joined), then do it all without it. */
static void threads(void)
{
  pyoci_error_t *err = NULL;
  int fd = open(tl_path("big.gz"), O_RDONLY | O_CLOEXEC);
  MUST(fd);
  pyoci_decomp_t *d = pyoci_decomp_open(fd, PYOCI_DECOMP_AUTO, "early", &err);
  const void *buf = NULL;
  ssize_t n = d ? pyoci_decomp_next(d, &buf, &err) : -1;
  ok(n > 0, "first piece of big.gz: %zd bytes", n);
  pyoci_decomp_free(d); /* with the decoder thread still busy */
  close(fd);
  pyoci_error_free(err);

  tl_set_threads(1);
  check_ok(tl_path("p4.gz"), PYOCI_COMP_GZIP, tl_path("plain"), "one thread: pyoci gzip");
  check_ok(tl_path("cat.gz"), PYOCI_COMP_GZIP, tl_path("cat.gz.ref"), "one thread: cat big.gz pyoci.gz hello.gz");
  check_err(tl_path("flip.gz"), PYOCI_COMP_GZIP, "invalid gzip data", "one thread: flipped byte");
  check_err(tl_path("trail0.gz"), PYOCI_COMP_GZIP, "trailing garbage after gzip data", "one thread: trailing zeros");
  tl_set_threads(0);
}

/* The tar reader on top: entries of a bzip2 tar (libarchive's filter after
 * passthrough) and of plain, gzip and zstd tars. */
static char *tar_list(const char *path)
{
  strbuf_t sb = STRBUF_INIT;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  MUST(fd);
  pyoci_error_t *err = NULL;
  pyoci_tar_reader_t *r = NULL;
  if (pyoci_tar_reader_open(fd, "T", &r, &err) == 0) {
    pyoci_tar_entry_t e;
    int k;
    while ((k = pyoci_tar_reader_next(r, &e, &err)) == 1)
      strbuf_addf(&sb, "%s:%lld ", e.path, (long long)e.size);
    if (k < 0)
      strbuf_addf(&sb, "ERROR %s", err->msg);
  } else {
    strbuf_addf(&sb, "ERROR %s", err->msg);
  }
  pyoci_tar_reader_free(r);
  pyoci_error_free(err);
  close(fd);
  return strbuf_detach(&sb);
}

static void tar_reader(void)
{
  MUST(tl_sh(NULL, "mkdir -p '%s/d' && printf abc > '%s/d/f' && tar --sort=name --owner=0 --group=0 -cf '%s' -C '%s' d"
                   " && bzip2 -c '%s' > '%s.bz2' && gzip -c '%s' > '%s.gz' && zstd -q -c '%s' > '%s.zst'"
                   " && cat '%s.gz' > '%s' && printf 'JUNK' >> '%s'",
             tl_tmp, tl_tmp, tl_path("t.tar"), tl_tmp, tl_path("t.tar"), tl_path("t.tar"), tl_path("t.tar"),
             tl_path("t.tar"), tl_path("t.tar"), tl_path("t.tar"), tl_path("t.tar"), tl_path("junk.tar.gz"),
             tl_path("junk.tar.gz")) == 0
           ? 0
           : -1);
  const char *kinds[] = {"t.tar", "t.tar.bz2", "t.tar.gz", "t.tar.zst"};
  for (size_t i = 0; i < 4; i++) {
    char *got = tar_list(tl_path("%s", kinds[i]));
    is_str(got, "d:0 d/f:3 ", "tar reader over %s", kinds[i]);
    free(got);
  }
  /* libarchive stops at the end-of-archive blocks, so bytes after the
   * gzip stream are never reached (as with libarchive's own gzip filter). */
  char *got = tar_list(tl_path("junk.tar.gz"));
  is_str(got, "d:0 d/f:3 ", "gzip tar + trailing junk: entries read, the junk is past the tar's end");
  free(got);
}

int main(void)
{
  tl_init("decompress");
  pyoci_gzip();
  foreign_gzip();
  bad_gzip();
  zstd_and_plain();
  threads();
  tar_reader();
  return done_testing();
}
