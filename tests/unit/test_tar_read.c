/* The layer reader: path cleaning, every compression, limits, and clear
 * errors for damaged or hostile archives. */
#include "tap.h"
#include "layer_testlib.h"
#include "lib/layer/layer_int.h"
#include "lib/util/path.h"

static void check_clean(const char *in, const char *want)
{
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", in);
  int r = pyoci_path_normalize_inplace(buf, PYOCI_PATH_REJECT_DOTDOT);
  if (want == NULL)
    is_int(r, -1, "clean '%s' is refused", in);
  else
    is_str(r == 0 ? buf : "(refused)", want, "clean '%s' -> '%s'", in, want);
}

/* Read a whole archive into "path type size link|..." lines, or the error. */
static char *read_all(const char *file)
{
  strbuf_t sb = STRBUF_INIT;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  pyoci_tar_reader_t *r = NULL;
  pyoci_error_t *err = NULL;
  const char *what = strrchr(file, '/') + 1;
  int n = pyoci_tar_reader_open(fd, what, &r, &err);
  pyoci_tar_entry_t e;
  char buf[4096];
  while (n == 0 && (n = pyoci_tar_reader_next(r, &e, &err)) == 1) {
    strbuf_addf(&sb, "%s %d %lld %s", e.path, (int)e.type, (long long)e.size, e.link ? e.link : "-");
    ssize_t k;
    strbuf_t data = STRBUF_INIT;
    while ((k = pyoci_tar_reader_read(r, buf, sizeof(buf), &err)) > 0)
      strbuf_add(&data, buf, (size_t)k);
    if (data.len > 0 && data.len < 64)
      strbuf_addf(&sb, " '%s'", data.buf);
    strbuf_release(&data);
    const char *xn;
    const void *xv;
    size_t xl;
    for (size_t i = 0; pyoci_tar_reader_xattr(r, i, &xn, &xv, &xl); i++)
      strbuf_addf(&sb, " %s=%.*s", xn, (int)xl, (const char *)xv);
    strbuf_addch(&sb, '|');
    n = k < 0 ? -1 : 0;
  }
  if (n < 0)
    strbuf_addf(&sb, "ERROR %s", err ? err->msg : "(no message)");
  pyoci_tar_reader_free(r);
  pyoci_error_free(err);
  close(fd);
  return strbuf_detach(&sb);
}

static const char *mktar(const char *name, const char *json, const char *flags)
{
  const char *top = getenv("PYOCI_TOP");
  const char *out = tl_path("%s", name);
  char *o = NULL;
  if (tl_sh(&o, "python3 %s/tests/data/mktar.py '%s' '%s' %s", top ? top : ".", out, json, flags) != 0) {
    printf("Bail out! mktar %s: %s\n", name, o);
    exit(255);
  }
  free(o);
  return out;
}

static void check_formats(void)
{
  const char *spec = "[{\"name\": \"./etc/\", \"type\": \"dir\"}, {\"name\": \"./etc/hosts\", \"data\": \"127.0.0.1 localhost\","
                     " \"pax\": {\"SCHILY.xattr.user.x\": \"val\"}},"
                     " {\"name\": \"/abs//path/./f\", \"data\": \"abs\"},"
                     " {\"name\": \"lnk\", \"type\": \"symlink\", \"link\": \"../../../etc/hosts\"},"
                     " {\"name\": \"hard\", \"type\": \"link\", \"link\": \"/etc/hosts\"},"
                     " {\"name\": \"dev\", \"type\": \"chr\", \"major\": 1, \"minor\": 3}]";
  const char *want = "etc 1 0 -|etc/hosts 0 19 - '127.0.0.1 localhost' user.x=val|abs/path/f 0 3 - 'abs'|"
                     "lnk 2 0 ../../../etc/hosts|hard 3 0 etc/hosts|dev 4 0 -|";
  const char *plain = mktar("plain.tar", spec, "");
  char *got = read_all(plain);
  is_str(got, want, "plain tar: cleaned paths, symlink target verbatim, hard link target cleaned, xattrs");
  free(got);
  got = read_all(mktar("gnu.tar", spec, "--format gnu"));
  is_str(got, "etc 1 0 -|etc/hosts 0 19 - '127.0.0.1 localhost'|abs/path/f 0 3 - 'abs'|"
              "lnk 2 0 ../../../etc/hosts|hard 3 0 etc/hosts|dev 4 0 -|",
         "GNU format tar (no xattrs there)");
  free(got);

  /* our own multi-member gzip and zstd, and xz from the xz tool */
  size_t len = 0;
  char *raw = tl_read(plain, &len);
  const pyoci_comp_t comps[] = {PYOCI_COMP_GZIP, PYOCI_COMP_ZSTD};
  const char *names[] = {"layer.tar.gz", "layer.tar.zst"};
  for (int i = 0; i < 2; i++) {
    strbuf_t out = STRBUF_INIT;
    pyoci_compressor_t *c = pyoci_compressor_new(comps[i], 0, 2, tl_sb_sink, &out);
    pyoci_compressor_write(c, raw, len, NULL);
    pyoci_compressor_finish(c, NULL);
    tl_write(tl_path("%s", names[i]), out.buf, out.len);
    got = read_all(tl_path("%s", names[i]));
    is_str(got, want, "%s read the same", names[i]);
    free(got);
    strbuf_release(&out);
  }
  tl_sh(NULL, "xz -k -c '%s' > '%s'", plain, tl_path("layer.tar.xz"));
  got = read_all(tl_path("layer.tar.xz"));
  is_str(got, want, "xz read the same");
  free(got);
  free(raw);
}

/* Several MiB spread over many gzip members, read back intact. */
static void check_multimember(void)
{
  strbuf_t spec = STRBUF_INIT;
  strbuf_addstr(&spec, "[");
  for (int i = 0; i < 40; i++)
    strbuf_addf(&spec, "%s{\"name\": \"f%02d\", \"data_fill\": 100000}", i ? "," : "", i);
  strbuf_addstr(&spec, "]");
  const char *t = mktar("many.tar", spec.buf, "");
  strbuf_release(&spec);
  size_t len = 0;
  char *raw = tl_read(t, &len);
  strbuf_t out = STRBUF_INIT;
  pyoci_compressor_t *c = pyoci_compressor_new(PYOCI_COMP_GZIP, 1, 3, tl_sb_sink, &out);
  pyoci_compressor_write(c, raw, len, NULL);
  pyoci_compressor_finish(c, NULL);
  tl_write(tl_path("many.tar.gz"), out.buf, out.len);
  char *a = read_all(t), *b = read_all(tl_path("many.tar.gz"));
  ok(len > (3u << 20) && strstr(a, "f39 0 100000 -|") != NULL, "a 4 MiB tar (%zu bytes)", len);
  is_str(b, a, "its multi-member gzip reads the same through libarchive");
  free(a);
  free(b);
  strbuf_release(&out);
  free(raw);
}

static void check_errors(void)
{
  char *got;
  strbuf_t spec = STRBUF_INIT;
  strbuf_addstr(&spec, "[{\"name\": \"a\", \"data\": \"xyz\"}, {\"name\": \"big\", \"data\": \"");
  for (int i = 0; i < 5000; i++)
    strbuf_addch(&spec, 'b');
  strbuf_addstr(&spec, "\"}]");
  const char *t = mktar("two.tar", spec.buf, "");
  strbuf_release(&spec);
  tl_sh(NULL, "head -c 1500 '%s' > '%s'; head -c 2000 '%s' > '%s'; head -c 3000 /dev/urandom > '%s'; : > '%s'", t,
        tl_path("trunc-hdr.tar"), t, tl_path("trunc-data.tar"), tl_path("garbage"), tl_path("empty"));
  got = read_all(tl_path("trunc-hdr.tar"));
  is_str(got, "a 0 3 - 'xyz'|ERROR read 'trunc-hdr.tar': truncated tar archive after entry 'a'",
         "truncated inside a header: error names the last entry");
  free(got);
  got = read_all(tl_path("trunc-data.tar"));
  is_str(got, "a 0 3 - 'xyz'|big 0 5000 -|ERROR read 'trunc-data.tar': truncated tar archive at entry 'big'",
         "truncated inside file data: error names the entry");
  free(got);
  got = read_all(tl_path("garbage"));
  is_str(got, "ERROR read 'garbage': not a tar archive", "garbage bytes");
  free(got);
  got = read_all(tl_path("empty"));
  is_str(got, "ERROR read 'empty': not a tar archive", "empty input");
  free(got);
  const char *t2 = mktar("two-big.tar", "[{\"name\": \"a\", \"data_fill\": 300000}, {\"name\": \"b\", \"data_fill\": 300000}]", "");
  tl_sh(NULL, "head -c 100000 /dev/urandom | gzip > '%s'; gzip -c '%s' > '%s.full'; head -c $(( $(stat -c %%s '%s.full') / 2 )) '%s.full' > '%s'",
        tl_path("garbage.gz"), t2, tl_path("trunc.tar.gz"), tl_path("trunc.tar.gz"), tl_path("trunc.tar.gz"), tl_path("trunc.tar.gz"));
  got = read_all(tl_path("garbage.gz"));
  is_str(got, "ERROR read 'garbage.gz': not a tar archive", "gzip of garbage");
  free(got);
  got = read_all(tl_path("trunc.tar.gz"));
  ok(strstr(got, "ERROR read 'trunc.tar.gz': truncated tar archive") != NULL, "truncated gzip stream: %s", got);
  free(got);

  got = read_all(mktar("dotdot.tar", "[{\"name\": \"ok\", \"data\": \"1\"}, {\"name\": \"a/../../x\", \"data\": \"evil\"}]", ""));
  is_str(got, "ok 0 1 - '1'|ERROR read 'dotdot.tar': entry 'a/../../x': path contains a '..' component",
         "a '..' path is an error naming the entry");
  free(got);
  got = read_all(mktar("hl.tar", "[{\"name\": \"h\", \"type\": \"link\", \"link\": \"../../etc/passwd\"}]", ""));
  is_str(got, "ERROR read 'hl.tar': entry 'h': hard link target '../../etc/passwd' is outside the archive",
         "a hard link out of the archive is an error naming the entry");
  free(got);
  got = read_all(mktar("longpath.tar", "[{\"name\": \"x\", \"data\": \"\", \"pax_fill\": {\"path\": 5000}}]", ""));
  ok(strstr(got, "ERROR read 'longpath.tar': entry 'AAAA") != NULL && strstr(got, "...': path longer than 4096 bytes"),
     "a 5000-byte path is refused: %.80s...", got);
  free(got);
  got = read_all(mktar("hugepax.tar", "[{\"name\": \"x\", \"data\": \"1\", \"pax_fill\": {\"comment\": 20971520}}]", ""));
  is_str(got, "ERROR read 'hugepax.tar': at the first entry: Special header too large",
         "a 20 MiB PAX header is refused before it is buffered whole");
  free(got);
  got = read_all(mktar("bigpax.tar", "[{\"name\": \"x\", \"data\": \"1\", \"pax_fill\": {\"comment\": 500000}}]", ""));
  is_str(got, "x 0 1 - '1'|", "a 500 KB PAX header is fine");
  free(got);
  got = read_all(mktar("nolink.tar", "[{\"name\": \"s\", \"type\": \"symlink\", \"link\": \"\"}]", ""));
  is_str(got, "ERROR read 'nolink.tar': entry 's': symbolic link without a target", "symlink without a target");
  free(got);
  got = read_all(mktar("rootfile.tar", "[{\"name\": \".\", \"data\": \"x\"}]", ""));
  is_str(got, "ERROR read 'rootfile.tar': entry '.': the archive root must be a directory", "root as a file");
  free(got);
  got = read_all(mktar("xattr.tar", "[{\"name\": \"x\", \"data\": \"\", \"pax_fill\": {\"SCHILY.xattr.user.big\": 200000}},"
                                    " {\"name\": \"y\", \"data\": \"\", \"pax_fill\": {\"SCHILY.xattr.user.b1\": 200000, \"SCHILY.xattr.user.b2\": 200000}}]", ""));
  ok(strncmp(got, "x 0 0 - user.big=AAA", 20) == 0, "200 KB of xattrs is fine");
  ok(strstr(got, "ERROR read 'xattr.tar': entry 'y': extended attributes larger than 256 KiB") != NULL,
     "400 KB of xattrs on one entry is refused");
  free(got);
}

int main(void)
{
  tl_init("tarr");
  check_clean("./etc/passwd", "etc/passwd");
  check_clean("/etc//passwd", "etc/passwd");
  check_clean("././a/./b/", "a/b");
  check_clean("./", "");
  check_clean("/", "");
  check_clean("a...b/..c/.d", "a...b/..c/.d");
  check_clean("../x", NULL);
  check_clean("a/../b", NULL);
  check_clean("a/..", NULL);
  check_clean("/..", NULL);
  check_formats();
  check_multimember();
  check_errors();
  return done_testing();
}
