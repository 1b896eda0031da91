/* lib/util/path.c: each normalisation mode, with the cases of the six
 * cleaners it replaced, and Go's own path.Clean table for PYOCI_PATH_GO. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/path.h"
#include "tap.h"

static const char *mode_name(pyoci_path_mode_t m)
{
  static const char *names[] = {"REJECT_DOTDOT", "CLAMP", "NO_ESCAPE", "GO"};
  return names[m];
}

/* want NULL = refused.  Checks the copying and (where allowed) the in-place
 * form, and that a refused in-place path is left untouched. */
static void check(pyoci_path_mode_t mode, const char *in, const char *want)
{
  cleanup_free char *got = pyoci_path_normalize(in, mode);
  is_str(got, want, "%s('%s')", mode_name(mode), in);
  if (mode == PYOCI_PATH_GO)
    return;
  cleanup_free char *buf = xstrdup(in);
  int rc = pyoci_path_normalize_inplace(buf, mode);
  if (want == NULL)
    ok(rc == -1 && strcmp(buf, in) == 0, "%s in place refuses '%s' and leaves it as written", mode_name(mode), in);
  else
    ok(rc == 0 && strcmp(buf, want) == 0, "%s in place '%s' -> '%s'", mode_name(mode), in, buf);
}

/* tar members (was layer/tar_read.c pyoci_path_clean) and archive members
 * (was oci/archive_util.c). */
static void test_reject(void)
{
  pyoci_path_mode_t m = PYOCI_PATH_REJECT_DOTDOT;
  check(m, "./abc//layer.tar/", "abc/layer.tar");
  check(m, "blobs/./sha256/x", "blobs/sha256/x");
  check(m, "/etc/passwd", "etc/passwd");
  check(m, "./", "");
  check(m, "", "");
  check(m, "a/.../b", "a/.../b");
  check(m, "..a/b..", "..a/b..");
  check(m, "../x", NULL);
  check(m, "a/../b", NULL); /* stays inside, still refused */
  check(m, "a/..", NULL);
  check(m, "a/../../b", NULL);
}

/* an image's file-system view (was pkg/fsview.c): the kernel's "/.." == "/". */
static void test_clamp(void)
{
  pyoci_path_mode_t m = PYOCI_PATH_CLAMP;
  check(m, "/usr/lib/../bin/python3", "usr/bin/python3");
  check(m, "../../etc/passwd", "etc/passwd");
  check(m, "/a/b/../../../c", "c");
  check(m, "//a///b/./", "a/b");
  check(m, "..", "");
  check(m, "/", "");
  check(m, "a/b/..", "a");
}

/* COPY sources (was builder/copy.c clean_relative) and symlinks inside an
 * archive (was oci/archive_load.c resolve_link, joined to the link's dir). */
static void test_no_escape(void)
{
  pyoci_path_mode_t m = PYOCI_PATH_NO_ESCAPE;
  check(m, "src/../app.py", "app.py");
  check(m, "/app/./x/", "app/x");
  check(m, "a/b/../../c", "c");
  check(m, "a/..", "");
  check(m, ".", "");
  check(m, "..", NULL);
  check(m, "a/../..", NULL);
  check(m, "/../etc", NULL);
  check(m, "blobs/sha256/../../../x", NULL);
  check(m, "blobs/sha256/../sha512/y", "blobs/sha512/y");
}

/* Go's path.Clean: the table of src/path/path_test.go (cleantests), which
 * moby's filepath.Clean calls follow for .dockerignore and WORKDIR. */
static void test_go(void)
{
  static const char *cases[][2] = {
      {"", "."},
      {"abc", "abc"},
      {"abc/def", "abc/def"},
      {"a/b/c", "a/b/c"},
      {".", "."},
      {"..", ".."},
      {"../..", "../.."},
      {"../../abc", "../../abc"},
      {"/abc", "/abc"},
      {"/", "/"},
      {"abc/", "abc"},
      {"abc/def/", "abc/def"},
      {"a/b/c/", "a/b/c"},
      {"./", "."},
      {"../", ".."},
      {"../../", "../.."},
      {"/abc/", "/abc"},
      {"abc//def//ghi", "abc/def/ghi"},
      {"//abc", "/abc"},
      {"///abc", "/abc"},
      {"//abc//", "/abc"},
      {"abc//", "abc"},
      {"abc/./def", "abc/def"},
      {"/./abc/def", "/abc/def"},
      {"abc/.", "abc"},
      {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/def/../ghi/../jkl", "abc/jkl"},
      {"abc/def/..", "abc"},
      {"abc/def/../..", "."},
      {"/abc/def/../..", "/"},
      {"abc/def/../../..", ".."},
      {"/abc/def/../../..", "/"},
      {"abc/def/../../../ghi/jkl/../../../mno", "../../mno"},
      {"abc/./../def", "def"},
      {"abc//./../def", "def"},
      {"abc/../../././../def", "../../def"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    check(PYOCI_PATH_GO, cases[i][0], cases[i][1]);
  char buf[] = "a/b";
  is_int(pyoci_path_normalize_inplace(buf, PYOCI_PATH_GO), -1, "GO is not offered in place ('' grows to '.')");
}

static void test_has_dotdot(void)
{
  ok(pyoci_path_has_dotdot("a/../b"), "a/../b has ..");
  ok(pyoci_path_has_dotdot(".."), ".. has ..");
  ok(!pyoci_path_has_dotdot("a/..b/c.."), "..b is a name");
}

static void test_split(void)
{
  static const char *const cases[][3] = {
      {"a/b/c", "a/b", "c"}, {"c", "", "c"}, {"/c", "", "c"}, {"a/", "a", ""}, {"", "", ""},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const char *leaf = NULL;
    char *parent = pyoci_path_split(cases[i][0], &leaf);
    ok(strcmp(parent, cases[i][1]) == 0 && strcmp(leaf, cases[i][2]) == 0, "split '%s': '%s' + '%s'", cases[i][0],
       parent, leaf);
    free(parent);
  }
}

int main(void)
{
  test_reject();
  test_clamp();
  test_no_escape();
  test_go();
  test_has_dotdot();
  test_split();
  return done_testing();
}
