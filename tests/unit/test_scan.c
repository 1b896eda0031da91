/* Unit tests for lib/scan and lib/compare pieces that the integration
 * tests reach only indirectly: .trivyignore expiry, the layer cache
 * format, merged-tree whiteouts, and the table's cell merging. */
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/scan/layerrec.h"
#include "lib/scan/scan.h"
#include "tap.h"

static void test_ignorefile(void)
{
  const char *text = "# c\nCVE-1\n  CVE-2 exp:2024-03-01  # soon\n\nCVE-3\texp:2000-02-29\n";
  pyoci_ignorefile_t f;
  pyoci_error_t *err = NULL;
  is_int(pyoci_ignorefile_parse(text, strlen(text), "x", &f, &err), 0, "ignorefile parses");
  is_int((int)f.n, 3, "three entries");
  int64_t mar1 = 1709251200; /* 2024-03-01T00:00:00Z */
  is_int((int)(f.v[1].expires == mar1), 1, "exp:2024-03-01 is midnight UTC");
  ok(pyoci_ignorefile_match(&f, "CVE-2", mar1 - 1), "ignored until the expiry instant");
  ok(!pyoci_ignorefile_match(&f, "CVE-2", mar1), "not ignored from the expiry instant on");
  ok(pyoci_ignorefile_match(&f, "CVE-1", INT64_MAX), "no expiry: always ignored");
  ok(!pyoci_ignorefile_match(&f, "CVE-3", 1709251200), "leap-day expiry in the past");
  ok(!pyoci_ignorefile_match(&f, "CVE-4", 0), "unknown IDs are not ignored");
  pyoci_ignorefile_release(&f);
  const char *bad[] = {"CVE-1 exp:2023-02-29", "CVE-1 extra", "CVE-1 exp:23-01-01"};
  for (size_t i = 0; i < 3; i++) {
    err = NULL;
    is_int(pyoci_ignorefile_parse(bad[i], strlen(bad[i]), "bad", &f, &err), -1, "rejects %s", bad[i]);
    ok(err && strncmp(err->msg, "bad:1: ", 7) == 0, "error names file:line (%s)", err ? err->msg : "");
    pyoci_error_free(err);
  }
}

static pyoci_lrec_entry_t entry(const char *path, uint8_t type, int64_t size, const char *link)
{
  pyoci_lrec_entry_t e = {.path = strdup(path), .type = type, .size = size, .link = link ? strdup(link) : NULL};
  return e;
}

static pyoci_layer_record_t *record(const pyoci_lrec_entry_t *v, size_t n)
{
  pyoci_layer_record_t *r = calloc(1, sizeof(*r));
  r->entries = calloc(n, sizeof(*v));
  memcpy(r->entries, v, n * sizeof(*v));
  r->n_entries = r->cap_entries = n;
  return r;
}

static void test_cache_format(void)
{
  pyoci_lrec_entry_t v[] = {entry("etc", PYOCI_CAT_DIR, 0, NULL), entry("etc/os-release", PYOCI_CAT_FILE, 9, NULL),
                            entry("bin/sh", PYOCI_CAT_SYMLINK, 0, "busybox")};
  v[1].content = strdup("ID=alpine");
  v[1].content_len = 9;
  pyoci_layer_record_t *r = record(v, 3);
  r->secrets_scanned = true;
  r->secrets = calloc(1, sizeof(*r->secrets));
  r->secrets[0] = (pyoci_lrec_secret_t){strdup("aws-access-key-id"), strdup("app/c.py"), 2, 2, strdup("AKIA****"),
                                        strdup("k = \"AKIA****\"")};
  r->n_secrets = r->cap_secrets = 1;
  size_t len = 0;
  char *buf = pyoci_lrec_serialize(r, "sha256:aa", &len);
  pyoci_layer_record_t *back = NULL;
  pyoci_error_t *err = NULL;
  is_int(pyoci_lrec_parse(buf, len, "sha256:aa", "c", &back, &err), 0, "cache record parses back");
  is_int((int)back->n_entries, 3, "entries kept");
  is_str(back->entries[1].content, "ID=alpine", "content kept");
  is_str(back->entries[2].link, "busybox", "link kept");
  ok(back->entries[0].link == NULL && back->entries[0].content == NULL, "absent link/content stay absent");
  is_str(back->secrets[0].code, "k = \"AKIA****\"", "secret kept");
  pyoci_lrec_free(back);
  back = NULL;
  is_int(pyoci_lrec_parse(buf, len, "sha256:bb", "c", &back, &err), -1, "another blob's record is refused");
  is_int(err ? err->code : -1, PYOCI_E_NOT_FOUND, "as a miss");
  pyoci_error_free(err);
  err = NULL;
  is_int(pyoci_lrec_parse(buf, len - 5, NULL, "c", &back, &err), -1, "a truncated record is refused");
  pyoci_error_free(err);
  free(buf);
  pyoci_lrec_free(r);
}

static void test_tree(void)
{
  pyoci_tree_t *t = pyoci_tree_new();
  pyoci_lrec_entry_t l0[] = {entry("a", PYOCI_CAT_DIR, 0, NULL), entry("a/x", PYOCI_CAT_FILE, 10, NULL),
                             entry("a/y", PYOCI_CAT_FILE, 20, NULL), entry("b", PYOCI_CAT_DIR, 0, NULL),
                             entry("b/z", PYOCI_CAT_FILE, 5, NULL), entry("l", PYOCI_CAT_SYMLINK, 0, "a/x"),
                             entry("h", PYOCI_CAT_HARDLINK, 0, "a/y")};
  pyoci_layer_record_t *r0 = record(l0, 7);
  pyoci_tree_apply(t, r0);
  is_int((int)pyoci_tree_files(t), 5, "layer 0: five non-directories");
  /* layer 1: whiteout a/x, make b opaque (adding b/w), turn directory a into a file */
  pyoci_lrec_entry_t l1[] = {entry("b/w", PYOCI_CAT_FILE, 1, NULL), entry("a/.wh.x", PYOCI_CAT_FILE, 0, NULL),
                             entry("b/.wh..wh..opq", PYOCI_CAT_FILE, 0, NULL), entry("a", PYOCI_CAT_FILE, 3, NULL)};
  pyoci_layer_record_t *r1 = record(l1, 4);
  pyoci_tree_apply(t, r1);
  ok(!pyoci_tree_has(t, "a/x") && !pyoci_tree_has(t, "a/y"), "file over a directory removes its subtree");
  ok(!pyoci_tree_has(t, "b/z") && pyoci_tree_has(t, "b/w"), "opaque whiteout hides the lower layer, not its own");
  is_int((int)pyoci_tree_files(t), 4, "a, b/w, l, h remain");
  size_t n = 0;
  pyoci_tree_node_t *nodes = pyoci_tree_nodes(t, &n);
  int64_t hsize = -1, lsize = -1;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(nodes[i].path, "h") == 0)
      hsize = nodes[i].size;
    if (strcmp(nodes[i].path, "l") == 0)
      lsize = nodes[i].size;
  }
  is_int((int)hsize, 20, "a hard link has its target's size");
  is_int((int)lsize, 3, "a symlink has its target's length");
  free(nodes);
  pyoci_lrec_free(r0);
  pyoci_lrec_free(r1);
  pyoci_tree_free(t);
}

int main(void)
{
  test_ignorefile();
  test_cache_format();
  test_tree();
  return done_testing();
}
