/* Decompression bombs (issue 9 item 5): the limits of lib/util/inflate_limit.h
 * as arithmetic, and every decompressor of outside data refusing a small
 * bomb -- a layer in each compression (gzip and zstd through decompress.c,
 * xz and bzip2 through libarchive), an OSV zip, a wheel and a .deb -- with
 * the file and the limit named, and accepting it once the limit is lifted.
 * The bombs are small (16 MiB of zeros against a 1 MiB grace): the
 * integration test t116 feeds the real-size ones through the CLI. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/assemble/asm_int.h"
#include "lib/util/alloc.h"
#include "lib/util/inflate_limit.h"
#include "lib/vuln/vulndb.h"
#include "tap.h"
#include "layer_testlib.h"

#define BOMB (16u << 20) /* bytes of zeros in each bomb */

typedef struct {
  const char *name;
  const char *data; /* NULL: `size` zero bytes */
  size_t size;
} member_t;

static void set_limits(uint64_t ratio, uint64_t size, uint64_t grace)
{
  pyoci_inflate_limits_t l = {ratio, size, grace};
  pyoci_inflate_limits_set(&l);
}

/* Write members to path in a libarchive format + filter; false when this
 * libarchive cannot write that filter. */
static bool write_archive(const char *path, int (*format)(struct archive *), int filter, const member_t *m,
                          size_t n)
{
  struct archive *a = archive_write_new();
  format(a);
  if (filter != ARCHIVE_FILTER_NONE && archive_write_add_filter(a, filter) != ARCHIVE_OK) {
    archive_write_free(a);
    return false;
  }
  MUST(archive_write_open_filename(a, path) == ARCHIVE_OK ? 0 : -1);
  static char zeros[1u << 20];
  for (size_t i = 0; i < n; i++) {
    size_t size = m[i].data ? strlen(m[i].data) : m[i].size;
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, m[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, 1700000000, 0);
    MUST(archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1);
    if (m[i].data != NULL)
      MUST(archive_write_data(a, m[i].data, size) == (la_ssize_t)size ? 0 : -1);
    for (size_t done = 0; m[i].data == NULL && done < size;) {
      size_t k = size - done < sizeof(zeros) ? size - done : sizeof(zeros);
      MUST(archive_write_data(a, zeros, k) == (la_ssize_t)k ? 0 : -1);
      done += k;
    }
    archive_entry_free(e);
  }
  MUST(archive_write_close(a) == ARCHIVE_OK ? 0 : -1);
  archive_write_free(a);
  return true;
}

/* An archive as bytes in a file, read back (the .deb's members). */
static char *archive_bytes(const char *path, int (*format)(struct archive *), int filter, const member_t *m, size_t n,
                           size_t *len)
{
  write_archive(path, format, filter, m, n);
  return tl_read(path, len);
}

static void limits_arithmetic(void)
{
  pyoci_error_t *err = NULL;
  set_limits(100, 0, 1000);
  ok(pyoci_inflate_check("x", 10, 2000, &err) == 0, "grace + ratio x input is allowed");
  ok(pyoci_inflate_check("x", 10, 2001, &err) < 0 && strstr(err->msg, "'x' decompresses to more than 100 times"),
     "one byte more is refused, naming the file: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(pyoci_inflate_check("x", 0, 1000, &err) == 0 && pyoci_inflate_check("x", UINT64_MAX, UINT64_MAX, &err) == 0,
     "the grace alone; no overflow at the extremes");
  set_limits(0, 5000, 1000);
  ok(pyoci_inflate_check("x", 1, 5000, &err) == 0, "ratio 0: no ratio limit");
  ok(pyoci_inflate_check("x", 1, 5001, &err) < 0 && strstr(err->msg, "more than 4.9 KiB") &&
         strstr(err->msg, "--max-decompressed-size") && err->code == PYOCI_E_CORRUPT,
     "the size limit names the size and the option: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  pyoci_inflate_limits_t d = {PYOCI_INFLATE_RATIO_DEFAULT, PYOCI_INFLATE_SIZE_DEFAULT, PYOCI_INFLATE_GRACE};
  pyoci_inflate_limits_set(&d);
  ok(pyoci_inflate_check("x", 1u << 20, 356u << 20, &err) == 0 && pyoci_inflate_check("x", 1u << 20, (356u << 20) + 1, &err) < 0,
     "defaults: 1 MiB of input may give 256 MiB + 100 MiB");
  pyoci_error_release(&err);
}

static int validate(const char *path, pyoci_error_t **err)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  MUST(fd);
  int rc = pyoci_layer_validate(fd, path, NULL, err);
  close(fd);
  return rc;
}

static void layer_bombs(void)
{
  static const struct {
    const char *name;
    int filter;
  } filters[] = {
      {"gzip", ARCHIVE_FILTER_GZIP}, {"zstd", ARCHIVE_FILTER_ZSTD}, {"xz", ARCHIVE_FILTER_XZ},
      {"bzip2", ARCHIVE_FILTER_BZIP2},
  };
  member_t m[] = {{"zeros", NULL, BOMB}, {"after", "x", 0}};
  /* An uncompressed layer (what pyoci build stores) with a big file: its
   * data is skipped by seeking, and skipped bytes are input too. */
  const char *plain = tl_path("layer.tar");
  write_archive(plain, archive_write_set_format_pax_restricted, ARCHIVE_FILTER_NONE, m, 2);
  pyoci_error_t *perr = NULL;
  set_limits(100, 0, 1u << 20);
  ok(validate(plain, &perr) == 0, "a plain layer with a 16 MiB file is not a bomb%s%s", perr ? ": " : "",
     perr ? perr->msg : "");
  pyoci_error_release(&perr);
  for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
    const char *path = tl_path("layer.tar.%s", filters[i].name);
    if (!write_archive(path, archive_write_set_format_pax_restricted, filters[i].filter, m, 2)) {
      skip_test("libarchive cannot write %s here", filters[i].name);
      continue;
    }
    pyoci_error_t *err = NULL;
    set_limits(100, 0, 1u << 20);
    int rc = validate(path, &err);
    ok(rc < 0 && err && strstr(err->msg, path) && strstr(err->msg, "more than 100 times its compressed size") &&
           strstr(err->msg, "--max-compression-ratio"),
       "%s layer bomb refused by the ratio, naming the layer: %s", filters[i].name, err ? err->msg : "accepted");
    pyoci_error_release(&err);
    set_limits(0, 8u << 20, 1u << 20);
    rc = validate(path, &err);
    ok(rc < 0 && err && strstr(err->msg, "decompresses to more than 8.0 MiB"),
       "%s layer bomb refused by the size: %s", filters[i].name, err ? err->msg : "accepted");
    pyoci_error_release(&err);
    set_limits(0, 0, 1u << 20);
    rc = validate(path, &err);
    ok(rc == 0, "%s: the same layer is read whole with the limits off%s%s", filters[i].name, err ? ": " : "",
       err ? err->msg : "");
    pyoci_error_release(&err);
  }
}

static void osv_zip_bomb(void)
{
  /* valid records (whitespace is JSON too), 1 MiB each */
  static char recs[20][64];
  member_t m[20];
  char *pad = xmalloc(1u << 20);
  memset(pad, ' ', 1u << 20);
  pad[(1u << 20) - 1] = '\0';
  char *bodies[20];
  for (int i = 0; i < 20; i++) {
    snprintf(recs[i], sizeof(recs[i]), "BOMB-%d.json", i);
    bodies[i] = xasprintf("{\"id\":\"BOMB-%d\",\"modified\":\"2024-01-01T00:00:00Z\"}%s", i, pad);
    m[i] = (member_t){recs[i], bodies[i], 0};
  }
  const char *zip = tl_path("osv.zip"), *db = tl_path("vuln.db");
  write_archive(zip, archive_write_set_format_zip, ARCHIVE_FILTER_NONE, m, 20);
  set_limits(100, 0, 1u << 20);
  const char *src[] = {zip}, *names[] = {"osv.zip"};
  pyoci_vulndb_import_stats_t st = {0};
  pyoci_error_t *err = NULL;
  int rc = pyoci_vulndb_import(db, src, names, 1, true, NULL, &st, &err);
  ok(rc < 0 && err && strstr(err->msg, "'osv.zip' decompresses to more than 100 times") &&
         strstr(err->msg, "BOMB-"),
     "OSV zip bomb refused, naming the zip and the member: %s", err ? err->msg : "accepted");
  struct stat sb;
  ok(stat(db, &sb) < 0, "no database was written");
  pyoci_error_release(&err);
  pyoci_vulndb_import_stats_release(&st);
  set_limits(0, 0, 1u << 20);
  memset(&st, 0, sizeof(st));
  rc = pyoci_vulndb_import(db, src, names, 1, true, NULL, &st, &err);
  ok(rc == 0 && st.records == 20, "with the limits off all 20 records import%s%s", err ? ": " : "",
     err ? err->msg : "");
  pyoci_error_release(&err);
  pyoci_vulndb_import_stats_release(&st);
  for (int i = 0; i < 20; i++)
    free(bodies[i]);
  free(pad);
}

static void record_hash(const char *data, size_t len, char out[64])
{
  unsigned char md[32];
  unsigned int n = 0;
  EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
  unsigned char b64[64];
  int k = EVP_EncodeBlock(b64, md, 32), j = 0;
  for (int i = 0; i < k && b64[i] != '='; i++)
    out[j++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
  out[j] = '\0';
}

static void wheel_bomb(void)
{
  char *zeros = xcalloc(BOMB, 1);
  char h[64], hw[64], hm[64];
  const char *whl = "bomb_pkg-1.0-py3-none-any.whl";
  const char *wheel_txt = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n";
  const char *meta = "Metadata-Version: 2.1\nName: bomb_pkg\nVersion: 1.0\n";
  record_hash(zeros, BOMB, h);
  record_hash(wheel_txt, strlen(wheel_txt), hw);
  record_hash(meta, strlen(meta), hm);
  char *record = xasprintf("bomb_pkg/zeros,sha256=%s,%u\nbomb_pkg-1.0.dist-info/WHEEL,sha256=%s,%zu\n"
                           "bomb_pkg-1.0.dist-info/METADATA,sha256=%s,%zu\nbomb_pkg-1.0.dist-info/RECORD,,\n",
                           h, BOMB, hw, strlen(wheel_txt), hm, strlen(meta));
  member_t m[] = {{"bomb_pkg-1.0.dist-info/WHEEL", wheel_txt, 0},
                  {"bomb_pkg-1.0.dist-info/METADATA", meta, 0},
                  {"bomb_pkg-1.0.dist-info/RECORD", record, 0},
                  {"bomb_pkg/zeros", NULL, BOMB}};
  const char *path = tl_path("%s", whl);
  write_archive(path, archive_write_set_format_zip, ARCHIVE_FILTER_NONE, m, 4);
  MUST(mkdir(tl_path("wroot"), 0755));
  pyoci_pyenv_t env = {3, 11, 2, 36, "x86_64"};
  pyoci_wheel_target_t t = {&env, "usr/lib/python3/dist-packages", "usr/bin", "usr", "/usr/bin/python3"};
  for (int pass = 0; pass < 2; pass++) {
    set_limits(pass == 0 ? 100 : 0, 0, 1u << 20);
    int fd = open(path, O_RDONLY | O_CLOEXEC), root = open(tl_path("wroot"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    MUST(fd);
    MUST(root);
    pyoci_error_t *err = NULL;
    int rc = pyoci_wheel_install(fd, whl, root, &t, &err);
    struct stat sb;
    bool there = stat(tl_path("wroot/usr/lib/python3/dist-packages/bomb_pkg/zeros"), &sb) == 0;
    if (pass == 0)
      ok(rc < 0 && !there && err && strstr(err->msg, whl) && strstr(err->msg, "more than 100 times") &&
             strstr(err->msg, "bomb_pkg/zeros"),
         "wheel bomb refused before its member is written: %s", err ? err->msg : "accepted");
    else
      ok(rc == 0 && there && sb.st_size == BOMB, "with the limits off it installs%s%s", err ? ": " : "",
         err ? err->msg : "");
    pyoci_error_release(&err);
    close(fd);
    close(root);
    tl_sh(NULL, "rm -rf '%s'/*", tl_path("wroot"));
  }
  free(record);
  free(zeros);
}

static void deb_bomb(void)
{
  member_t control[] = {{"./control", "Package: bomb\nVersion: 1\nArchitecture: all\nDescription: x\n", 0}};
  member_t data[] = {{"./usr/share/bomb/zeros", NULL, BOMB}};
  size_t clen = 0, dlen = 0;
  char *c = archive_bytes(tl_path("control.tar.gz"), archive_write_set_format_ustar, ARCHIVE_FILTER_GZIP, control, 1,
                          &clen);
  char *d = archive_bytes(tl_path("data.tar.xz"), archive_write_set_format_ustar, ARCHIVE_FILTER_XZ, data, 1, &dlen);
  if (c == NULL || d == NULL) {
    skip_test("cannot make the .deb members");
    return;
  }
  /* member_t holds strings; the ar members are binary: write them by hand */
  const char *path = tl_path("bomb_1_all.deb");
  struct archive *a = archive_write_new();
  archive_write_set_format_ar_svr4(a);
  MUST(archive_write_open_filename(a, path) == ARCHIVE_OK ? 0 : -1);
  const struct {
    const char *name;
    const char *buf;
    size_t len;
  } mem[] = {{"debian-binary", "2.0\n", 4}, {"control.tar.gz", c, clen}, {"data.tar.xz", d, dlen}};
  for (size_t i = 0; i < 3; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, mem[i].name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)mem[i].len);
    MUST(archive_write_header(a, e) == ARCHIVE_OK ? 0 : -1);
    MUST(archive_write_data(a, mem[i].buf, mem[i].len) == (la_ssize_t)mem[i].len ? 0 : -1);
    archive_entry_free(e);
  }
  MUST(archive_write_close(a) == ARCHIVE_OK ? 0 : -1);
  archive_write_free(a);
  MUST(mkdir(tl_path("droot"), 0755));
  pyoci_deb_filter_t f = {NULL, NULL};
  for (int pass = 0; pass < 2; pass++) {
    set_limits(pass == 0 ? 100 : 0, 0, 1u << 20);
    int fd = open(path, O_RDONLY | O_CLOEXEC), root = open(tl_path("droot"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    MUST(fd);
    MUST(root);
    pyoci_deb_info_t info;
    pyoci_error_t *err = NULL;
    int rc = pyoci_deb_install(fd, "bomb_1_all.deb", root, &f, &info, &err);
    struct stat sb;
    bool whole = stat(tl_path("droot/usr/share/bomb/zeros"), &sb) == 0 && sb.st_size == BOMB;
    if (pass == 0)
      ok(rc < 0 && !whole && err && strstr(err->msg, "bomb_1_all.deb") && strstr(err->msg, "more than 100 times") &&
             strstr(err->msg, "usr/share/bomb/zeros"),
         ".deb bomb (data.tar.xz) refused, naming the package and the entry: %s", err ? err->msg : "accepted");
    else
      ok(rc == 0 && whole, "with the limits off it unpacks%s%s", err ? ": " : "", err ? err->msg : "");
    if (rc == 0)
      pyoci_deb_info_release(&info);
    pyoci_error_release(&err);
    close(fd);
    close(root);
    tl_sh(NULL, "rm -rf '%s'/*", tl_path("droot"));
  }
  /* assemble decodes data.tar into a temporary file first (debs.c): the
   * limits hold there, before the bomb is written out. */
  set_limits(100, 0, 1u << 20);
  int fd = open(path, O_RDONLY | O_CLOEXEC), out = memfd_create("decoded", MFD_CLOEXEC);
  MUST(fd);
  MUST(out);
  pyoci_deb_info_t info;
  pyoci_error_t *err = NULL;
  int rc = pyoci_deb_decode(fd, "bomb_1_all.deb", out, &info, &err);
  struct stat sb;
  ok(rc < 0 && fstat(out, &sb) == 0 && sb.st_size < BOMB && err && strstr(err->msg, "bomb_1_all.deb: data.tar") &&
         strstr(err->msg, "more than 100 times"),
     ".deb bomb refused while decoding, before it is all written: %s", err ? err->msg : "accepted");
  if (rc == 0)
    pyoci_deb_info_release(&info);
  pyoci_error_release(&err);
  close(fd);
  close(out);
  free(c);
  free(d);
}

int main(void)
{
  tl_init("inflate");
  limits_arithmetic();
  layer_bombs();
  osv_zip_bomb();
  wheel_bomb();
  deb_bomb();
  return done_testing();
}
