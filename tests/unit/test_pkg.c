/* Catalogers, OS detection, purls and layer semantics on the fixtures in
 * tests/data/pkg/ and on layers built here as real tar streams. */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/pkg/catalog.h"
#include "lib/pkg/sbom.h"
#include "lib/util/cleanup.h"
#include "lib/util/error.h"
#include "lib/util/fs.h"
#include "tap.h"

static char *data_path(const char *rel)
{
  const char *top = getenv("PYOCI_TOP");
  char *p = NULL;
  if (asprintf(&p, "%s/tests/data/pkg/%s", top ? top : ".", rel) < 0)
    abort();
  return p;
}

static pyoci_catalog_result_t *catalog_dir(const char *rel, bool strict, pyoci_error_t **err)
{
  cleanup_free char *dir = data_path(rel);
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  pyoci_catalog_set_strict(cat, strict);
  pyoci_catalog_result_t *r = NULL;
  if (pyoci_catalog_feed_dir(cat, dir, err) < 0 || pyoci_catalog_finish(cat, &r, err) < 0)
    return NULL;
  return r;
}

static const pyoci_pkg_t *find(const pyoci_catalog_result_t *r, const char *name)
{
  for (size_t i = 0; r && i < r->n_packages; i++)
    if (strcmp(r->packages[i].name, name) == 0)
      return &r->packages[i];
  return NULL;
}

static void test_python(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog_result pyoci_catalog_result_t *r = catalog_dir("rootfs-python", true, &err);
  ok(r != NULL, "catalog rootfs-python: %s", err ? err->msg : "ok");
  if (r == NULL)
    return;
  static const char *const want[][4] = {
      {"Bar.Baz", "2.0+local.1", "usr/lib/python3/dist-packages/Bar.Baz-2.0+local.1.egg-info", "pkg:pypi/bar-baz@2.0%2Blocal.1"},
      {"Foo_Bar", "1.0", "usr/lib/python3/dist-packages/Foo_Bar-1.0.dist-info/METADATA", "pkg:pypi/foo-bar@1.0"},
      {"Local.Pkg", "0.1", "root/.local/lib/python3.11/site-packages/Local.Pkg-0.1.dist-info/METADATA", "pkg:pypi/local-pkg@0.1"},
      {"eggy", "0.5", "usr/lib/python3/dist-packages/eggy-0.5-py3.11.egg/EGG-INFO/PKG-INFO", "pkg:pypi/eggy@0.5"},
      {"qux", "3.0", "usr/lib/python3/dist-packages/qux-3.0.egg-info/PKG-INFO", "pkg:pypi/qux@3.0"},
      {"requests", "2.31.0", "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA", "pkg:pypi/requests@2.31.0"},
      {"venvpkg", "1.2.3", "app/.venv/lib/python3.11/site-packages/venvpkg-1.2.3.dist-info/METADATA", "pkg:pypi/venvpkg@1.2.3"},
  };
  size_t n = sizeof(want) / sizeof(want[0]);
  is_int(r->n_packages, n, "python: dist-info, egg-info file/dir, EGG-INFO, site-/dist-packages, venv, ~/.local");
  for (size_t i = 0; i < n && i < r->n_packages; i++) {
    const pyoci_pkg_t *p = &r->packages[i];
    is_str(p->name, want[i][0], "python[%zu] name", i);
    is_str(p->version, want[i][1], "python[%zu] %s version (body after blank line ignored)", i, want[i][0]);
    is_str(p->origin, want[i][2], "python[%zu] origin", i);
    is_str(p->purl, want[i][3], "python[%zu] purl (PEP 503 name, '+' encoded)", i);
    is_int(p->type, PYOCI_PKG_PYTHON, "python[%zu] type", i);
    is_int(p->layer_index, -1, "python[%zu] no layer for a directory", i);
  }
  is_str(find(r, "Foo_Bar")->license, "MIT", "License-Expression read");
  ok(find(r, "qux")->license == NULL, "License: UNKNOWN means none");
  ok(find(r, "ignored") == NULL, "dist-info outside site-packages/dist-packages is not a distribution");
  ok(r->os.family == NULL, "no OS in a bare python tree");
}

static void test_distroless(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog_result pyoci_catalog_result_t *r = catalog_dir("rootfs-distroless", true, &err);
  ok(r != NULL, "catalog rootfs-distroless: %s", err ? err->msg : "ok");
  if (r == NULL)
    return;
  is_str(r->os.family, "debian", "os family from etc/os-release symlink");
  is_str(r->os.version, "12.5", "os version from debian_version");
  is_str(r->os.version_id, "12", "VERSION_ID kept");
  is_str(r->os.pretty_name, "Distroless", "PRETTY_NAME unquoted");
  is_int(r->n_packages, 4, "status.d: 4 installed packages, md5sums and config-files skipped");
  static const char *const names[] = {"base-files", "libc6", "libssl3", "openssl"};
  for (size_t i = 0; i < 4 && i < r->n_packages; i++)
    is_str(r->packages[i].name, names[i], "status.d package %zu", i);
  const pyoci_pkg_t *libc = find(r, "libc6");
  if (libc) {
    is_str(libc->purl, "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12.5", "deb purl");
    is_str(libc->source_name, "glibc", "Source: name");
    is_str(libc->source_version, "2.36-9+deb12u4", "source version defaults to Version");
    is_str(libc->origin, "var/lib/dpkg/status.d/libc6", "origin is the status.d file");
  }
  const pyoci_pkg_t *ssl = find(r, "libssl3");
  if (ssl) {
    is_str(ssl->source_name, "openssl", "Source: 'src (ver)' name");
    is_str(ssl->source_version, "3.0.11-1~deb12u2", "Source: 'src (ver)' version");
    is_str(ssl->purl, "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5", "'~' not encoded");
  }
  const pyoci_pkg_t *bf = find(r, "base-files");
  if (bf) {
    is_str(bf->source_name, "base-files", "source name defaults to Package");
    is_str(bf->maintainer, "Santiago Vila <sanvila@debian.org>", "Maintainer");
  }
  ok(find(r, "gone") == NULL, "deinstall ok config-files is not installed");
}

static void test_alpine(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog_result pyoci_catalog_result_t *r = catalog_dir("rootfs-alpine", true, &err);
  ok(r != NULL, "catalog rootfs-alpine: %s", err ? err->msg : "ok");
  if (r == NULL)
    return;
  is_str(r->os.family, "alpine", "alpine family");
  is_str(r->os.version, "3.18.2", "alpine-release version");
  is_str(r->os.alpine_release, "3.18.2", "alpine-release kept");
  is_int(r->n_packages, 3, "apk: 3 packages");
  const pyoci_pkg_t *musl = find(r, "musl");
  ok(musl != NULL, "musl found");
  if (musl) {
    is_str(musl->version, "1.2.4-r0", "apk V:");
    is_str(musl->arch, "x86_64", "apk A:");
    is_str(musl->license, "MIT", "apk L:");
    is_str(musl->purl, "pkg:apk/alpine/musl@1.2.4-r0?arch=x86_64&distro=3.18.2", "apk purl");
  }
  const pyoci_pkg_t *crypto = find(r, "libcrypto3");
  if (crypto)
    is_str(crypto->source_name, "openssl", "apk o: origin");
}

static int drop_pkg(void *ctx, pyoci_pkg_t *p, pyoci_error_t **err)
{
  (*(int *)ctx)++;
  pyoci_pkg_clear(p);
  return 0;
}

static void expect_parse_error(const pyoci_cataloger_t *c, const char *file, const char *as, const char *want)
{
  cleanup_free char *path = data_path(file);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_read_file(path, 1 << 20, &buf, &len, &err) == 0, "read %s", file);
  int n = 0;
  ok(c->parse(as, buf, len, drop_pkg, &n, &err) < 0, "%s: %s rejected", c->name, file);
  is_str(err ? err->msg : NULL, want, "%s: message names file and line", file);
}

static void test_bad_input(void)
{
  expect_parse_error(&pyoci_cataloger_dpkg, "bad/status-continuation", "var/lib/dpkg/status",
                     "var/lib/dpkg/status:5: continuation line before any field");
  expect_parse_error(&pyoci_cataloger_dpkg, "bad/status-noversion", "var/lib/dpkg/status",
                     "var/lib/dpkg/status:1: package 'a' has no Version");
  expect_parse_error(&pyoci_cataloger_apk, "bad/apk-nocolon", "lib/apk/db/installed",
                     "lib/apk/db/installed:3: expected 'Name: value', got 'nocolon'");
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_os_t os = {0};
  ok(pyoci_os_parse_os_release(&os, "etc/os-release", "ID=\"x\n", 6, &err) < 0, "unterminated quote rejected");
  is_str(err ? err->msg : NULL, "etc/os-release:1: unterminated quote", "os-release error names file and line");
  pyoci_os_clear(&os);
  pyoci_error_release(&err);
  static const char long_line_head[] = "Package: ";
  size_t big = PYOCI_PKG_MAX_LINE + 16;
  cleanup_free char *buf = malloc(big + 1);
  memcpy(buf, long_line_head, sizeof(long_line_head) - 1);
  memset(buf + sizeof(long_line_head) - 1, 'a', big - (sizeof(long_line_head) - 1));
  buf[big] = '\0';
  int n = 0;
  ok(pyoci_cataloger_dpkg.parse("s", buf, big, drop_pkg, &n, &err) < 0, "over-long line rejected");
  ok(err && strstr(err->msg, "s:1: line longer than") == err->msg, "long line message: %s", err ? err->msg : "");
}

/* A catalog over a directory holding one bad and one good database: the bad
 * file becomes a warning (or the error, when strict). */
static void test_strictness(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  ok(pyoci_mkdtemp(NULL, "pyoci-pkg-", &dir, &err) == 0, "mkdtemp");
  cleanup_free char *status_dir = pyoci_path_join(dir, "var/lib/dpkg");
  cleanup_free char *apk_dir = pyoci_path_join(dir, "lib/apk/db");
  pyoci_mkdir_p(status_dir, 0755, &err);
  pyoci_mkdir_p(apk_dir, 0755, &err);
  cleanup_free char *status = pyoci_path_join(status_dir, "status");
  cleanup_free char *apk = pyoci_path_join(apk_dir, "installed");
  pyoci_write_file_atomic(status, " oops\n", 6, 0644, &err);
  pyoci_write_file_atomic(apk, "P:a\nV:1\n", 8, 0644, &err);
  ok(err == NULL, "wrote fixtures");

  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  cleanup_catalog_result pyoci_catalog_result_t *r = NULL;
  ok(pyoci_catalog_feed_dir(cat, dir, &err) == 0 && pyoci_catalog_finish(cat, &r, &err) == 0, "non-strict finish");
  if (r) {
    is_int(r->n_packages, 1, "the good database still counts");
    is_int(r->n_warnings, 1, "one warning");
    is_str(r->n_warnings ? r->warnings[0] : NULL, "var/lib/dpkg/status:1: continuation line before any field",
           "warning names file and line");
  }
  pyoci_catalog_set_strict(cat, true);
  pyoci_catalog_result_t *r2 = NULL;
  ok(pyoci_catalog_finish(cat, &r2, &err) < 0 && r2 == NULL, "strict finish fails");
  is_str(err ? err->msg : NULL, "var/lib/dpkg/status:1: continuation line before any field", "strict error");
  pyoci_rm_rf(dir, NULL);
}

/* ---- layers as real tar streams (libarchive writes them, and reads them
 * back as the test's tar reader until lib/layer's is on main) ---- */

typedef struct {
  const char *path;
  const char *content; /* NULL: directory */
} tar_file_t;

static void *make_tar(const tar_file_t *files, size_t n, size_t *len)
{
  size_t cap = 1 << 20;
  void *buf = malloc(cap);
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open_memory(a, buf, cap, len);
  for (size_t i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, files[i].path);
    archive_entry_set_filetype(e, files[i].content ? AE_IFREG : AE_IFDIR);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, files[i].content ? (la_int64_t)strlen(files[i].content) : 0);
    archive_write_header(a, e);
    if (files[i].content)
      archive_write_data(a, files[i].content, strlen(files[i].content));
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return buf;
}

static ssize_t ar_read(void *ctx, void *buf, size_t len, pyoci_error_t **err)
{
  la_ssize_t n = archive_read_data(ctx, buf, len);
  if (n < 0)
    return pyoci_error_set(err, 0, "%s", archive_error_string(ctx));
  return n;
}

static int feed_tar(pyoci_catalog_t *cat, int layer, const char *digest, const void *tar, size_t len,
                    pyoci_error_t **err)
{
  struct archive *a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar, len);
  pyoci_catalog_set_layer_digest(cat, layer, digest);
  struct archive_entry *e;
  int rc = 0;
  while (rc == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK) {
    mode_t t = archive_entry_filetype(e);
    pyoci_cat_type_t ct = t == AE_IFREG ? PYOCI_CAT_FILE : t == AE_IFDIR ? PYOCI_CAT_DIR : PYOCI_CAT_OTHER;
    rc = pyoci_catalog_feed_entry(cat, layer, archive_entry_pathname(e), ct, archive_entry_size(e), NULL, ar_read,
                                  a, err);
  }
  archive_read_free(a);
  return rc;
}

#define META(n, v) "Metadata-Version: 2.1\nName: " n "\nVersion: " v "\n"
#define DEB(n, v) "Package: " n "\nStatus: install ok installed\nVersion: " v "\nArchitecture: amd64\n\n"
#define SP "./usr/local/lib/python3.11/site-packages/"
#define DP "./usr/lib/python3/dist-packages/"
static const char D0[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
static const char D1[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char D2[] = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

static void test_layers(void)
{
  const tar_file_t l0[] = {
      {"./etc/", NULL},
      {"./etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n"},
      {"./etc/debian_version", "12.5\n"},
      {"./var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "1.0")},
      {DP "six-1.16.0.dist-info/METADATA", META("six", "1.16.0")},
      {DP "gone-1.0.dist-info/METADATA", META("gone", "1.0")},
  };
  const tar_file_t l1[] = {
      {"./var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "2.0") DEB("c", "1.0")},
      {SP "flask-3.0.0.dist-info/METADATA", META("flask", "3.0.0")},
      {SP "werkzeug-3.0.1.dist-info/METADATA", META("werkzeug", "3.0.1")},
      {SP "blinker-1.7.0.dist-info/METADATA", META("blinker", "1.7.0")},
      {DP ".wh.gone-1.0.dist-info", ""},
  };
  const tar_file_t l2[] = {
      /* same-layer content survives its own opaque marker, whatever the order */
      {SP "click-8.1.7.dist-info/METADATA", META("click", "8.1.7")},
      {SP ".wh..wh..opq", ""},
      {"./var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "2.0") DEB("c", "1.0") DEB("d", "1.0")},
  };
  size_t n0, n1, n2;
  cleanup_free void *t0 = make_tar(l0, sizeof(l0) / sizeof(l0[0]), &n0);
  cleanup_free void *t1 = make_tar(l1, sizeof(l1) / sizeof(l1[0]), &n1);
  cleanup_free void *t2 = make_tar(l2, sizeof(l2) / sizeof(l2[0]), &n2);
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  pyoci_catalog_set_strict(cat, true);
  ok(feed_tar(cat, 0, D0, t0, n0, &err) == 0 && feed_tar(cat, 1, D1, t1, n1, &err) == 0 &&
         feed_tar(cat, 2, D2, t2, n2, &err) == 0,
     "feed 3 layers: %s", err ? err->msg : "ok");

  cleanup_catalog_result pyoci_catalog_result_t *r = NULL;
  ok(pyoci_catalog_finish(cat, &r, &err) == 0, "finish: %s", err ? err->msg : "ok");
  if (r == NULL)
    return;
  is_str(r->os.family, "debian", "layered: os");
  is_str(r->os.version, "12.5", "layered: os version");
  static const struct {
    const char *name, *version;
    int layer;
    const char *digest;
  } want[] = {
      {"a", "1.0", 0, D0}, {"b", "2.0", 1, D1}, {"c", "1.0", 1, D1}, {"d", "1.0", 2, D2},
      {"click", "8.1.7", 2, D2}, {"six", "1.16.0", 0, D0},
  };
  size_t n = sizeof(want) / sizeof(want[0]);
  is_int(r->n_packages, n, "whiteout and opaque whiteout removed gone, flask, werkzeug, blinker");
  for (size_t i = 0; i < n && i < r->n_packages; i++) {
    const pyoci_pkg_t *p = &r->packages[i];
    is_str(p->name, want[i].name, "layered[%zu] name", i);
    is_str(p->version, want[i].version, "layered[%zu] %s version", i, want[i].name);
    is_int(p->layer_index, want[i].layer, "layered[%zu] %s brought by layer %d", i, want[i].name, want[i].layer);
    is_str(p->layer_digest, want[i].digest, "layered[%zu] %s layer digest", i, want[i].name);
  }
  ok(find(r, "gone") == NULL, "'.wh.gone-1.0.dist-info' hid layer 0's distribution");
  ok(find(r, "werkzeug") == NULL, "opaque whiteout in layer 2 hid layer 1's werkzeug");
}

/* A package removed in one layer and installed again later counts from the
 * later layer; a whiteout of the whole status file removes every package. */
static void test_layers_db_history(void)
{
  const tar_file_t l0[] = {{"var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "1.0")}};
  const tar_file_t l1[] = {{"var/lib/dpkg/status", DEB("a", "1.0")}};
  const tar_file_t l2[] = {{"var/lib/dpkg/status", DEB("a", "1.0") DEB("b", "1.0")}};
  const tar_file_t l3[] = {{"var/lib/dpkg/.wh.status", ""}};
  size_t n0, n1, n2, n3;
  cleanup_free void *t0 = make_tar(l0, 1, &n0);
  cleanup_free void *t1 = make_tar(l1, 1, &n1);
  cleanup_free void *t2 = make_tar(l2, 1, &n2);
  cleanup_free void *t3 = make_tar(l3, 1, &n3);
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  feed_tar(cat, 0, D0, t0, n0, &err);
  feed_tar(cat, 1, D1, t1, n1, &err);
  feed_tar(cat, 2, D2, t2, n2, &err);
  cleanup_catalog_result pyoci_catalog_result_t *r = NULL;
  ok(pyoci_catalog_finish(cat, &r, &err) == 0 && r && r->n_packages == 2, "history: 2 packages");
  if (r && r->n_packages == 2) {
    is_int(r->packages[0].layer_index, 0, "a: in every layer since 0");
    is_int(r->packages[1].layer_index, 2, "b: removed in 1, back in 2");
  }
  feed_tar(cat, 3, NULL, t3, n3, &err);
  cleanup_catalog_result pyoci_catalog_result_t *r2 = NULL;
  ok(pyoci_catalog_finish(cat, &r2, &err) == 0 && r2 && r2->n_packages == 0, "whiteout of status: no packages");
}

static void test_purl_and_sbom_ids(void)
{
  cleanup_free char *n = pyoci_pep503_normalize("Foo__Bar.-baz_");
  is_str(n, "foo-bar-baz-", "PEP 503 normalisation");
  pyoci_os_t os = {0};
  os.family = "ubuntu";
  os.version = "22.04";
  pyoci_pkg_t p = {.type = PYOCI_PKG_DEB, .name = "libc6", .version = "1:2.35-0ubuntu3.6", .arch = "amd64"};
  cleanup_free char *purl = pyoci_purl_for(&p, &os);
  is_str(purl, "pkg:deb/ubuntu/libc6@1:2.35-0ubuntu3.6?arch=amd64&distro=ubuntu-22.04", "epoch ':' kept, ubuntu ns");
  pyoci_pkg_t q = {.type = PYOCI_PKG_APK, .name = "a b", .version = "1", .arch = NULL};
  cleanup_free char *purl2 = pyoci_purl_for(&q, NULL);
  is_str(purl2, "pkg:apk/alpine/a%20b@1", "space encoded, no qualifiers without arch/OS");
  char u1[37], u2[37];
  pyoci_sbom_uuid("x", u1);
  pyoci_sbom_uuid("x", u2);
  is_str(u1, u2, "uuid is deterministic");
  ok(u1[14] == '5' && strchr("89ab", u1[19]) != NULL, "uuid version 5 layout: %s", u1);
  char ts[32];
  pyoci_sbom_time(1700000000, ts);
  is_str(ts, "2023-11-14T22:13:20Z", "RFC 3339 UTC time");
}

/* An image subject (container + digest) in both formats, validated with the
 * same schema checker as the shell tests when python jsonschema is there. */
static void test_sbom_image_subject(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_catalog_result pyoci_catalog_result_t *r = catalog_dir("rootfs-alpine", true, &err);
  pyoci_sbom_subject_t s = {.name = "app:latest", .digest = D1, .created = 1700000000};
  cleanup_free char *cdx = r ? pyoci_sbom_cyclonedx(r, &s) : NULL;
  cleanup_free char *spdx = r ? pyoci_sbom_spdx(r, &s) : NULL;
  ok(cdx && strstr(cdx, "\"type\": \"container\",\n      \"name\": \"app:latest\",\n      \"version\": \"" "sha256:1111"),
     "CycloneDX: image is a container component whose version is the digest");
  ok(spdx && strstr(spdx, "\"checksumValue\": \"1111111111111111111111111111111111111111111111111111111111111111\""),
     "SPDX: image package carries its sha256");
  cleanup_free char *cdx2 = r ? pyoci_sbom_cyclonedx(r, &s) : NULL;
  ok(cdx && cdx2 && strcmp(cdx, cdx2) == 0, "same result + subject: same bytes");
  s.digest = D2;
  cleanup_free char *cdx3 = r ? pyoci_sbom_cyclonedx(r, &s) : NULL;
  ok(cdx && cdx3 && strcmp(strstr(cdx, "urn:uuid:"), strstr(cdx3, "urn:uuid:")) != 0,
     "another image digest: another serial number");
  cleanup_free char *dir = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-sbom-", &dir, &err) < 0 || cdx == NULL || spdx == NULL)
    return;
  const char *top = getenv("PYOCI_TOP");
  const char *kinds[] = {"cyclonedx", "spdx"};
  const char *docs[] = {cdx, spdx};
  for (int i = 0; i < 2; i++) {
    cleanup_free char *file = NULL, *cmd = NULL;
    if (asprintf(&file, "%s/%s.json", dir, kinds[i]) < 0 ||
        asprintf(&cmd, "python3 %s/tests/integration/validate_sbom.py %s %s >&2", top ? top : ".", kinds[i], file) < 0)
      abort();
    pyoci_write_file_atomic(file, docs[i], strlen(docs[i]), 0644, &err);
    int st = system(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
      printf("ok %d # skip python jsonschema not available\n", ++tap_n);
      continue;
    }
    ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "image-subject %s validates against the official schema", kinds[i]);
  }
  pyoci_rm_rf(dir, NULL);
}

int main(void)
{
  test_python();
  test_distroless();
  test_alpine();
  test_bad_input();
  test_strictness();
  test_layers();
  test_layers_db_history();
  test_purl_and_sbom_ids();
  test_sbom_image_subject();
  return done_testing();
}
