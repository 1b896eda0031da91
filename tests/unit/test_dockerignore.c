/* .dockerignore matching, case by case against moby/patternmatcher's
 * behaviour (MatchesOrParentMatches) and the ignorefile reader. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/dockerfile/dockerignore.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/path.h"
#include "tap.h"

/* the file on one line, for test names */
static const char *flat(const char *s)
{
  static char buf[256];
  size_t w = 0;
  for (; *s && w + 3 < sizeof(buf); s++) {
    if (*s == '\n' || *s == '\r') {
      buf[w++] = '\\';
      buf[w++] = *s == '\n' ? 'n' : 'r';
    } else {
      buf[w++] = *s;
    }
  }
  buf[w] = 0;
  return buf;
}

/* patterns separated by '\n', as a .dockerignore file */
static void m(const char *file, const char *path, bool want)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_ignore pyoci_ignore_t *ig = pyoci_ignore_parse(file, strlen(file), ".dockerignore", &err);
  if (ig == NULL) {
    ok(0, "parse [%s]: %s", flat(file), err ? err->msg : "?");
    return;
  }
  ok(pyoci_ignore_match(ig, path, false) == want, "%s %s by [%s]", path, want ? "excluded" : "kept", flat(file));
}

static void bad(const char *file, const char *want_msg)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_ignore pyoci_ignore_t *ig = pyoci_ignore_parse(file, strlen(file), "ctx/.dockerignore", &err);
  ok(ig == NULL && err && strcmp(err->msg, want_msg) == 0, "bad pattern [%s]: %s", flat(file),
     err ? err->msg : "accepted");
}

static void test_single_patterns(void)
{
  m("*", "fileutils.go", true);
  m("*.go", "fileutils.go", true);
  m("*.go", "dir/fileutils.go", false); /* '*' does not cross '/' */
  m("**/*.go", "dir/sub/fileutils.go", true);
  m("**/*.go", "main.go", true);
  m("**/*.go", "main.py", false);
  m("**", "anything/at/all", true);
  m("**", "file", true);
  m("dir/**", "dir/file", true);
  m("dir/**", "dir/dir2/file", true);
  m("abc/**", "abc", false); /* the prefix form needs something below */
  m("**/dir", "dir", true);
  m("**/dir", "dir/file", true);       /* via the parent directory */
  m("**/dir2/*", "dir/dir2/file", true);
  m("**/dir2/**", "dir/dir2/dir3/file", true);
  m("**file", "dir/dir/file", true);
  m("**/file*.txt", "dir/dir/file.txt", true);
  m("**/**/*.txt2", "dir/dir/file.txt", false);
  m("a**/*.txt", "a/dir/dir/file.txt", true);
  m("a/*.txt", "a/dir/file.txt", false);
  m("a[b-d]e", "ace", true);
  m("a[b-d]e", "aae", false);
  m("a[^b-d]e", "aze", true);
  m(".*", ".foo", true);
  m(".*", "foo", false);
  m("abc.def", "abcZdef", false); /* '.' is literal */
  m("abc?def", "abcZdef", true);
  m("abc?def", "abcdef", false);
  m("**/.foo", "bar.foo", false);
  m("a(b)c/def", "a(b)c/def", true);
  m("a.|)$(}+{bc", "a.|)$(}+{bc", true);
  m("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true);
  m("a\\*b", "a*b", true);
  m("a\\*b", "axb", false);
  m("a?b", "a\xe2\x98\xba" "b", true); /* '?' is one character, not one byte */
  m("[\\]a]", "]", true);
  m("[x\\-]", "-", true);
  m("[x\\-]", "z", false);
  m("a*/b", "abc/b", true);
  m("a*/b", "a/c/b", false);
  m("a*b*c*d*e*/f", "axbxcxdxexxx/f", true);
  m("a*b?c*x", "abxbbxdbxebxczzx", true);
  m("a*b?c*x", "abxbbxdbxebxczzy", false);
}

static void test_files(void)
{
  /* a directory excludes what is under it */
  m("node_modules", "node_modules/x/y.js", true);
  m("docs/", "docs/README.md", true);
  /* last match wins, exceptions */
  m("*.md\n!README.md", "README.md", false);
  m("*.md\n!README.md", "CHANGES.md", true);
  m("!README.md\n*.md", "README.md", true);
  m("docs\n!docs/README.md", "docs/README.md", false);
  m("docs\n!docs/README.md", "docs/other.md", true);
  m("**\n!util/docker/web", "util/docker/web/foo", false);
  m("**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo", true);
  /* leading '/', cleaning, whitespace, comments */
  m("/secret.txt", "secret.txt", true);
  m("  build/../dist//x  ", "dist/x", true);
  m("./a/./b", "a/b", true);
  m("# comment\n\n   \nfoo", "foo", true);
  m("# foo", "# foo", false);
  m(" # foo", "# foo", true); /* '#' only starts a comment in column 0 */
  m("foo\r\n", "foo", true);
  m("\xEF\xBB\xBF" "foo", "foo", true);
  m("! keep\n*", "keep", true); /* "! keep" is trimmed to "!keep", then "*" wins */
  m("*\n! keep", "keep", false);
  m("*.go", ".", false); /* the context itself is never excluded */
  m("*.go", "./x.go", true);
  bad("!", "ctx/.dockerignore:1: illegal exclusion pattern: \"!\"");
  bad("ok\n[", "ctx/.dockerignore:2: syntax error in pattern: [");
  bad("a[b-c-d]", "ctx/.dockerignore:1: syntax error in pattern: a[b-c-d]");
  bad("x\\", "ctx/.dockerignore:1: syntax error in pattern: x\\");
  bad("[]a]", "ctx/.dockerignore:1: syntax error in pattern: []a]");
}

static void test_clean(void)
{
  const char *cases[][2] = {{"", "."},         {"a//b", "a/b"}, {"a/./b/", "a/b"}, {"a/../..", ".."},
                            {"/../a", "/a"},   {"../a/..", ".."}, {"./", "."},      {"/", "/"}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cleanup_free char *c = pyoci_path_normalize(cases[i][0], PYOCI_PATH_GO);
    is_str(c, cases[i][1], "clean(%s)", cases[i][0]);
  }
}

static void test_dir_skip(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  const char *f1 = "vendor\n!vendor/keep/x.txt\nbuild\n";
  cleanup_ignore pyoci_ignore_t *a = pyoci_ignore_parse(f1, strlen(f1), "i", &err);
  ok(pyoci_ignore_match(a, "vendor", true), "vendor excluded");
  ok(pyoci_ignore_dir_may_reinclude(a, "vendor"), "vendor may hold vendor/keep/x.txt");
  ok(pyoci_ignore_dir_may_reinclude(a, "vendor/keep"), "vendor/keep may hold it too");
  ok(!pyoci_ignore_dir_may_reinclude(a, "build"), "build can be skipped whole");
  ok(!pyoci_ignore_dir_may_reinclude(a, "vendor/other"), "vendor/other can be skipped");
  ok(!pyoci_ignore_match(a, "vendor/keep/x.txt", false), "re-included file is kept");
  const char *f2 = "vendor\n!**/*.keep\n";
  cleanup_ignore pyoci_ignore_t *b = pyoci_ignore_parse(f2, strlen(f2), "i", &err);
  ok(pyoci_ignore_dir_may_reinclude(b, "vendor"), "wildcard exception forces a walk");
  ok(!pyoci_ignore_match(b, "vendor/a/b.keep", false), "and re-includes deep files");
  const char *f3 = "vendor\n";
  cleanup_ignore pyoci_ignore_t *c = pyoci_ignore_parse(f3, strlen(f3), "i", &err);
  ok(!pyoci_ignore_dir_may_reinclude(c, "vendor"), "no exceptions: skip");
  is_int(pyoci_ignore_count(b), 2, "pattern count");
  bool excl = false;
  is_str(pyoci_ignore_pattern(b, 1, &excl), "**/*.keep", "pattern text without '!'");
  ok(excl, "exception flag");
}

static void write_file(const char *dir, const char *name, const char *text)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *p = pyoci_path_join(dir, name);
  pyoci_write_file_atomic(p, text, strlen(text), 0644, &err);
}

static void test_load(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-ign-", &dir, &err) < 0) {
    ok(0, "mkdtemp: %s", err->msg);
    return;
  }
  cleanup_free char *df = pyoci_path_join(dir, "Dockerfile");
  char *used = NULL;
  pyoci_ignore_t *ig = pyoci_ignore_load(dir, df, &used, &err);
  ok(ig != NULL && used == NULL && pyoci_ignore_count(ig) == 0, "no ignore file: nothing excluded");
  pyoci_ignore_free(ig);
  write_file(dir, ".dockerignore", "*.pyc\n");
  ig = pyoci_ignore_load(dir, df, &used, &err);
  ok(used && strstr(used, "/.dockerignore") && pyoci_ignore_match(ig, "a.pyc", false), "context .dockerignore used");
  free(used);
  pyoci_ignore_free(ig);
  write_file(dir, "Dockerfile.dockerignore", "*.txt\n");
  ig = pyoci_ignore_load(dir, df, &used, &err);
  ok(used && strstr(used, "Dockerfile.dockerignore") && pyoci_ignore_match(ig, "a.txt", false) &&
         !pyoci_ignore_match(ig, "a.pyc", false),
     "Dockerfile.dockerignore beside the Dockerfile wins");
  free(used);
  pyoci_ignore_free(ig);
  pyoci_rm_rf(dir, &err);
}

int main(void)
{
  test_single_patterns();
  test_files();
  test_clean();
  test_dir_skip();
  test_load();
  return done_testing();
}
