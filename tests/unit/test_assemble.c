/* lib/assemble's pure parts: Debian relations (cases in the style of
 * Debian Policy 7.1's examples), the resolver's choices over a small index
 * (alternatives, Provides, versions, the chain in errors, Conflicts and
 * Breaks), PEP 503 project-page links, wheel tags against an interpreter,
 * RECORD and requirements readers. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/http.h"
#include "lib/util/strbuf.h"
#include "lib/assemble/asm_int.h"
#include "tap.h"

static char *fmt_rels(const char *in)
{
  pyoci_rels_t r;
  pyoci_error_t *err = NULL;
  if (pyoci_rels_parse(in, strlen(in), "t", &r, &err) < 0) {
    char *m = strdup(err->msg);
    pyoci_error_free(err);
    return m;
  }
  strbuf_t sb = STRBUF_INIT;
  for (size_t g = 0; g < r.n; g++)
    for (size_t a = 0; a < r.groups[g].n; a++) {
      strbuf_addstr(&sb, a ? " | " : g ? "; " : "");
      pyoci_rel_format(&r.groups[g].alts[a], &sb);
    }
  pyoci_rels_free(&r);
  return strbuf_detach(&sb);
}

static void relations(void)
{
  cleanup_free char *a = fmt_rels("libc6 (>= 2.34), python3:any | foo (<<1:2.0~b1) ,bar(=1.0-1)");
  is_str(a, "libc6 (>= 2.34); python3:any | foo (<< 1:2.0~b1); bar (= 1.0-1)", "groups, alternatives, ops, arch qualifier");
  cleanup_free char *b = fmt_rels("a (> 1), b (< 2)");
  is_str(b, "a (>= 1); b (<= 2)", "obsolete > and < mean >= and <= (Policy 7.1)");
  cleanup_free char *c = fmt_rels("a [amd64]");
  ok(strstr(c, "architecture or profile restriction") != NULL, "source-only [arch] refused: %s", c);
  cleanup_free char *d = fmt_rels("a (>= )");
  ok(strstr(d, "expected a version") != NULL, "empty version refused");
  ok(pyoci_rel_version_ok(REL_GE, "2.34", "2.36-9") && !pyoci_rel_version_ok(REL_LT, "1.0", "1.0") &&
         pyoci_rel_version_ok(REL_LT, "1.0", "1.0~rc1") && !pyoci_rel_version_ok(REL_EQ, "1", NULL),
     "version checks use dpkg's order; an unversioned Provides never satisfies a versioned relation");
}

static const char packages[] = "Package: app\nVersion: 1\nArchitecture: amd64\nFilename: p/app.deb\nSize: 1\n"
                               "SHA256: 00\nDepends: lib (>= 2), virt | other, shared\n\n"
                               "Package: lib\nVersion: 1\nArchitecture: amd64\nFilename: p/lib1.deb\nSize: 1\nSHA256: 01\n\n"
                               "Package: lib\nVersion: 2\nArchitecture: amd64\nFilename: p/lib2.deb\nSize: 1\nSHA256: 02\n\n"
                               "Package: prov\nVersion: 1\nArchitecture: all\nFilename: p/prov.deb\nSize: 1\nSHA256: 03\n"
                               "Provides: virt (= 5)\n\n"
                               "Package: other\nVersion: 1\nArchitecture: all\nFilename: p/o.deb\nSize: 1\nSHA256: 04\n\n"
                               "Package: shared\nVersion: 1\nArchitecture: all\nFilename: p/s.deb\nSize: 1\nSHA256: 05\n"
                               "Depends: lib (>= 1)\n\n"
                               "Package: broken\nVersion: 1\nArchitecture: all\nFilename: p/b.deb\nSize: 1\nSHA256: 06\n"
                               "Depends: shared, nothere (>= 3)\n";

static void resolver(void)
{
  pyoci_source_t src = {.uri = "http://x", .suite = "s"};
  pyoci_index_t *ix = pyoci_index_new();
  pyoci_error_t *err = NULL;
  ok(pyoci_index_add_packages(ix, "Packages", packages, strlen(packages), &src, &err) == 0, "index loads");
  char *asked[] = {"app", NULL};
  pyoci_resolution_t res;
  ok(pyoci_resolve(ix, asked, &res, &err) == 0, "app resolves");
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < res.n; i++)
    strbuf_addf(&sb, "%s=%s ", res.pkgs[i].pkg->name, res.pkgs[i].pkg->version);
  is_str(strbuf_str(&sb), "app=1 lib=2 prov=1 shared=1 ", "highest version, Provides before the second alternative, no duplicates");
  cleanup_free char *why = pyoci_resolution_explain(&res, "prov");
  is_str(why, "app 1: asked for in the spec\nprov 1: app Depends: virt | other\n", "explain");
  pyoci_resolution_free(&res);
  strbuf_release(&sb);
  char *asked2[] = {"broken", NULL};
  ok(pyoci_resolve(ix, asked2, &res, &err) < 0, "an unresolvable relation fails");
  is_str(err ? err->msg : "", "cannot resolve nothere (>= 3) (Depends of broken 1) <- broken (asked for)", "and names the chain");
  pyoci_error_free(err);
  pyoci_index_free(ix);
}

static const char conflicting[] =
    "Package: a\nVersion: 1\nArchitecture: all\nFilename: p/a.deb\nSize: 1\nSHA256: 00\nDepends: b, c\n\n"
    "Package: b\nVersion: 1.5\nArchitecture: all\nFilename: p/b.deb\nSize: 1\nSHA256: 01\nProvides: vb (= 3)\n\n"
    "Package: c\nVersion: 1\nArchitecture: all\nFilename: p/c.deb\nSize: 1\nSHA256: 02\nDepends: d\n"
    "Provides: mta, plain\nConflicts: b (>= 2), vb (<< 3), mta, plain:i386\nBreaks: e\n\n"
    "Package: d\nVersion: 1\nArchitecture: all\nFilename: p/d.deb\nSize: 1\nSHA256: 03\nProvides: plain\n\n"
    "Package: x\nVersion: 1\nArchitecture: all\nFilename: p/x.deb\nSize: 1\nSHA256: 04\nDepends: a, y\n\n"
    "Package: y\nVersion: 1\nArchitecture: all\nFilename: p/y.deb\nSize: 1\nSHA256: 05\n"
    "Breaks: vb (>= 3), b (<< 1)\n\n"
    "Package: z\nVersion: 1\nArchitecture: all\nFilename: p/z.deb\nSize: 1\nSHA256: 06\nDepends: a\n"
    "Conflicts: plain (>= 1), d (<< 1~), d (>> 1)\n";

static void conflicts(void)
{
  pyoci_source_t src = {.uri = "http://x", .suite = "s"};
  pyoci_index_t *ix = pyoci_index_new();
  pyoci_error_t *err = NULL;
  ok(pyoci_index_add_packages(ix, "Packages", conflicting, strlen(conflicting), &src, &err) == 0, "index loads");
  pyoci_resolution_t res;
  char *a[] = {"a", NULL}, *z[] = {"z", NULL}, *x[] = {"x", NULL};
  ok(pyoci_resolve(ix, a, &res, &err) == 0,
     "misses: versions out of range, the package's own Provides, another architecture, absent packages");
  pyoci_resolution_free(&res);
  ok(pyoci_resolve(ix, z, &res, &err) == 0, "an unversioned Provides never hits a versioned Conflicts");
  pyoci_resolution_free(&res);
  ok(pyoci_resolve(ix, x, &res, &err) < 0, "Breaks through a versioned Provides refuses the closure");
  is_str(err ? err->msg : "", "y 1 Breaks: vb (>= 3), but b 1.5 is in the image too (y <- x (asked for); b <- a <- x (asked for))",
         "naming the relation and both chains");
  pyoci_error_free(err);
  pyoci_index_free(ix);
}

/* Every link of a page: "file url sha256" lines. */
static char *links_of(const char *page)
{
  strbuf_t sb = STRBUF_INIT;
  const char *pos = page;
  pyoci_pep503_link_t l;
  while (pyoci_pep503_next_link(&pos, "http://idx:8080/simple/p/", &l) > 0) {
    strbuf_addf(&sb, "%s %s %s\n", l.file, l.url ? l.url : "(bad)", l.sha256 ? l.sha256 : "-");
    pyoci_pep503_link_release(&l);
  }
  return strbuf_detach(&sb);
}

static void pep503(void)
{
  cleanup_free char *got = links_of(
      "<html><body><a href=\"../../f/p-1.0-py3-none-any.whl#sha256=ABCD\" data-requires-python=\"&gt;=3\">x</a>\n"
      "<a href='/f/p-1.0%2Blocal-py3-none-any.whl?x=1&amp;y=2#md5=00'>y</a>"
      "<a href=\"https://files.example/p-2.0.tar.gz#sha256=ff\">z</a><a href=\"unterminated></body>");
  is_str(got,
         "p-1.0-py3-none-any.whl http://idx:8080/f/p-1.0-py3-none-any.whl abcd\n"
         "p-1.0+local-py3-none-any.whl http://idx:8080/f/p-1.0%2Blocal-py3-none-any.whl?x=1&y=2 -\n"
         "p-2.0.tar.gz https://files.example/p-2.0.tar.gz ff\n",
         "links: relative (dot segments), rooted, absolute; &amp; and %%XX undone; #sha256 only; a broken tag skipped");
  ok(pyoci_url_same_origin("http://Idx:80/simple/", "http://idx/files/x") &&
         !pyoci_url_same_origin("http://idx/", "https://idx/") && !pyoci_url_same_origin("http://idx/", "http://idx:81/") &&
         !pyoci_url_same_origin("http://127.0.0.1/", "http://localhost/"),
     "same origin: scheme, host (any case), port (the default filled in)");
}

static void tags(void)
{
  pyoci_pyenv_t env = {3, 11, 2, 36, "x86_64"};
  static const struct {
    const char *file;
    int ok;
  } cases[] = {
      {"a-1-py3-none-any.whl", 1},
      {"a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 1},
      {"a-1-cp38-abi3-manylinux2010_x86_64.whl", 1},
      {"a-1-cp312-abi3-manylinux2010_x86_64.whl", 0},
      {"a-1-cp310-cp310-manylinux_2_17_x86_64.whl", 0},
      {"a-1-cp311-cp311-manylinux_2_38_x86_64.whl", 0},
      {"a-1-cp311-cp311-manylinux_2_17_aarch64.whl", 0},
      {"a-1-cp311-cp311-musllinux_1_1_x86_64.whl", 0},
      {"a-1-py2.py3-none-any.whl", 1},
      {"a-1-pp39-pypy39_pp73-any.whl", 0},
      {"a-1-2-py3-none-any.whl", 1},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    pyoci_error_t *err = NULL;
    int got = pyoci_wheel_tags_check(cases[i].file, &env, &err) == 0;
    ok(got == cases[i].ok, "%s %s%s%s", cases[i].file, cases[i].ok ? "fits" : "refused", err ? ": " : "",
       err ? err->msg : "");
    pyoci_error_free(err);
  }
}

static void readers(void)
{
  const char rec[] = "a/__init__.py,sha256=AbC,12\n\"b,c.py\",sha256=x,3\na-1.dist-info/RECORD,,\n";
  pyoci_record_t *r = NULL;
  size_t n = 0;
  pyoci_error_t *err = NULL;
  ok(pyoci_record_parse("RECORD", rec, strlen(rec), &r, &n, &err) == 0 && n == 3, "RECORD: 3 rows");
  ok(n == 3 && strcmp(r[1].path, "b,c.py") == 0 && r[2].hash == NULL && r[0].size == 12, "quoted path, RECORD's own row");
  pyoci_records_free(r, n);
  ok(pyoci_record_parse("RECORD", "x,md5=1,2\n", 10, &r, &n, &err) < 0, "non-sha256 hash refused: %s", err ? err->msg : "");
  pyoci_error_free(err);
  err = NULL;
  const char req[] = "# top\nFlask==2.2.2 \\\n  --hash=sha256:4f3fd9b7878a8fc1d7515ee604ae98fc95213ae471abbd35c62a7b7e682abffd\n";
  pyoci_req_t *q = NULL;
  ok(pyoci_requirements_parse("r.txt", req, strlen(req), &q, &n, &err) == 0 && n == 1 && strcmp(q[0].name, "flask") == 0,
     "requirements: continuation, comment, PEP 503 name");
  pyoci_reqs_free(q, n);
  ok(pyoci_requirements_parse("r.txt", "Flask>=2\n", 9, &q, &n, &err) < 0, "unpinned refused: %s", err ? err->msg : "");
  pyoci_error_free(err);
  err = NULL;
  ok(pyoci_requirements_parse("r.txt", "Flask==2\n", 9, &q, &n, &err) < 0 && strstr(err->msg, "r.txt:1:"),
     "no --hash refused with file:line");
  pyoci_error_free(err);
}

int main(void)
{
  relations();
  resolver();
  conflicts();
  pep503();
  tags();
  readers();
  return done_testing();
}
