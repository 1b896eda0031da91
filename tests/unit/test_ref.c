/* Reference normalisation against Docker's distribution/reference rules. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/oci/ref.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "tap.h"

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct ref_case {
  const char *in;
  const char *familiar; /* NULL = must be rejected */
  const char *full;
  const char *repo;
  const char *why; /* substring of the error for rejected ones */
};

static void check(const struct ref_case *c)
{
  pyoci_ref_t r;
  cleanup_error pyoci_error_t *err = NULL;
  int rc = pyoci_ref_parse(c->in, &r, &err);
  if (c->familiar == NULL) {
    ok(rc < 0 && err != NULL && err->code == PYOCI_E_INVALID, "rejects '%.60s'", c->in);
    if (err != NULL && c->why != NULL)
      ok(strstr(err->msg, c->why) != NULL, "  ... because %s (%s)", c->why, err->msg);
    return;
  }
  if (rc < 0) {
    ok(0, "parses '%s' (%s)", c->in, err ? err->msg : "?");
    return;
  }
  cleanup_free char *f = pyoci_ref_familiar(&r);
  cleanup_free char *full = pyoci_ref_full(&r);
  cleanup_free char *repo = pyoci_ref_familiar_repo(&r);
  is_str(f, c->familiar, "familiar '%.60s'", c->in);
  if (c->full)
    is_str(full, c->full, "full '%.60s'", c->in);
  if (c->repo)
    is_str(repo, c->repo, "repo '%.60s'", c->in);
  pyoci_ref_free(&r);
}

/* docker's distribution/reference, normalize_test.go (the current
 * github.com/distribution/reference, which docker and containerd use):
 * each Go test's cases, under its name.  One deliberate difference: pyoci's
 * parse also applies TagNameOnly (a reference with neither tag nor digest
 * gets ":latest", as `docker pull` does), so full names gain ":latest". */
static void dist_valid(const char *const *names, size_t n, bool want_ok, const char *test)
{
  for (size_t i = 0; i < n; i++) {
    pyoci_ref_t r;
    cleanup_error pyoci_error_t *err = NULL;
    int rc = pyoci_ref_parse(names[i], &r, &err);
    ok(want_ok ? rc == 0 : rc < 0, "%s: '%.50s' %s%s%s", test, names[i], want_ok ? "parses" : "is refused",
       err && want_ok ? ": " : "", err && want_ok ? err->msg : "");
    if (rc == 0)
      pyoci_ref_free(&r);
  }
}

static void dist_validate_names(void)
{
  static const char *const valid[] = {
      "docker/docker", "library/debian", "debian", "docker.io/docker/docker", "docker.io/library/debian",
      "docker.io/debian", "index.docker.io/docker/docker", "index.docker.io/library/debian", "index.docker.io/debian",
      "127.0.0.1:5000/docker/docker", "127.0.0.1:5000/library/debian", "127.0.0.1:5000/debian", "192.168.0.1",
      "192.168.0.1:80", "192.168.0.1:8/debian", "192.168.0.2:25000/debian",
      "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "[fc00::1]:5000/docker",
      "[fc00::1]:5000/docker/docker", "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
      "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a", "Docker/docker", "DOCKER/docker"};
  static const char *const invalid[] = {
      "https://github.com/docker/docker", "docker/Docker", "-docker", "-docker/docker", "-docker.io/docker/docker",
      "docker///docker", "docker.io/docker/Docker", "docker.io/docker///docker", "[fc00::1]", "[fc00::1]:5000",
      "fc00::1:5000/debian", "[fe80::1%eth0]:5000/debian", "[2001:db8:3:4::192.0.2.33]:5000/debian",
      "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"};
  dist_valid(valid, sizeof(valid) / sizeof(*valid), true, "TestValidateReferenceName");
  dist_valid(invalid, sizeof(invalid) / sizeof(*invalid), false, "TestValidateReferenceName");

  static const char *const remote_valid[] = {
      "docker/docker", "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", "docker-rules/docker",
      "docker---rules/docker", "doc/docker", "d/docker", "jess/t", "dock__er/docker"};
  static const char *const remote_invalid[] = {
      "docker/Docker", "docker///docker", "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
      "-docker/docker", "docker-/docker", "-docker-/docker", "____/____", "_docker/_docker", "dock..er/docker",
      "dock_.er/docker", "dock-.er/docker", "docker/",
      "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_"
      "its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_"
      "not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker"};
  dist_valid(remote_valid, sizeof(remote_valid) / sizeof(*remote_valid), true, "TestValidateRemoteName");
  dist_valid(remote_invalid, sizeof(remote_invalid) / sizeof(*remote_invalid), false, "TestValidateRemoteName");
}

/* One name's domain, path, familiar repository and full name. */
static void dist_name(const char *test, const char *in, const char *domain, const char *path, const char *familiar,
                      const char *full)
{
  pyoci_ref_t r;
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_ref_parse(in, &r, &err) < 0) {
    ok(0, "%s: '%s' parses (%s)", test, in, err ? err->msg : "?");
    return;
  }
  cleanup_free char *fam = pyoci_ref_familiar_repo(&r);
  cleanup_free char *name = xasprintf("%s/%s", r.domain, r.path);
  ok(strcmp(r.domain, domain) == 0 && strcmp(r.path, path) == 0, "%s: '%s' -> domain %s, path %s (got %s, %s)", test,
     in, domain, path, r.domain, r.path);
  if (familiar)
    is_str(fam, familiar, "%s: '%s' familiar name", test, in);
  if (full)
    is_str(name, full, "%s: '%s' full name", test, in);
  pyoci_ref_free(&r);
}

static void dist_repository_info(void)
{
  static const struct {
    const char *remote, *familiar, *full, *ambiguous, *domain;
  } cases[] = {
      {"fooo/bar", "fooo/bar", "docker.io/fooo/bar", "index.docker.io/fooo/bar", "docker.io"},
      {"library/ubuntu", "ubuntu", "docker.io/library/ubuntu", "library/ubuntu", "docker.io"},
      {"nonlibrary/ubuntu", "nonlibrary/ubuntu", "docker.io/nonlibrary/ubuntu", NULL, "docker.io"},
      {"other/library", "other/library", "docker.io/other/library", NULL, "docker.io"},
      {"private/moonbase", "127.0.0.1:8000/private/moonbase", "127.0.0.1:8000/private/moonbase", NULL, "127.0.0.1:8000"},
      {"privatebase", "127.0.0.1:8000/privatebase", "127.0.0.1:8000/privatebase", NULL, "127.0.0.1:8000"},
      {"private/moonbase", "example.com/private/moonbase", "example.com/private/moonbase", NULL, "example.com"},
      {"privatebase", "example.com/privatebase", "example.com/privatebase", NULL, "example.com"},
      {"private/moonbase", "example.com:8000/private/moonbase", "example.com:8000/private/moonbase", NULL,
       "example.com:8000"},
      {"privatebasee", "example.com:8000/privatebasee", "example.com:8000/privatebasee", NULL, "example.com:8000"},
      {"library/ubuntu-12.04-base", "ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base",
       "index.docker.io/library/ubuntu-12.04-base", "docker.io"},
      {"library/foo", "foo", "docker.io/library/foo", "docker.io/foo", "docker.io"},
      {"library/foo/bar", "library/foo/bar", "docker.io/library/foo/bar", NULL, "docker.io"},
      {"store/foo/bar", "store/foo/bar", "docker.io/store/foo/bar", NULL, "docker.io"},
      {"bar", "Foo/bar", "Foo/bar", NULL, "Foo"},
      {"bar", "FOO/bar", "FOO/bar", NULL, "FOO"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    const char *forms[] = {cases[i].familiar, cases[i].full, cases[i].ambiguous};
    for (size_t k = 0; k < 3; k++)
      if (forms[k])
        dist_name("TestParseRepositoryInfo", forms[k], cases[i].domain, cases[i].remote, cases[i].familiar,
                  cases[i].full);
  }
}

static void dist_split_hostname(void)
{
  static const char *const cases[][3] = {
      {"test.com/foo", "test.com", "foo"},          {"test_com/foo", "docker.io", "test_com/foo"},
      {"docker/migrator", "docker.io", "docker/migrator"}, {"test.com:8080/foo", "test.com:8080", "foo"},
      {"test-com:8080/foo", "test-com:8080", "foo"}, {"foo", "docker.io", "library/foo"},
      {"xn--n3h.com/foo", "xn--n3h.com", "foo"},    {"xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"},
      {"docker.io/foo", "docker.io", "library/foo"}, {"docker.io/library/foo", "docker.io", "library/foo"},
      {"docker.io/library/foo/bar", "docker.io", "library/foo/bar"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
    dist_name("TestNormalizedSplitHostname", cases[i][0], cases[i][1], cases[i][2], NULL, NULL);
}

#define DIST_DGST "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

static void dist_any_reference(void)
{
  /* The named forms of TestParseAnyReference (bare hex digests are image
   * IDs there, not names: pyoci resolves those in the store instead). */
  static const char *const cases[][2] = {
      {"redis", "docker.io/library/redis:latest"},
      {"redis:latest", "docker.io/library/redis:latest"},
      {"docker.io/library/redis:latest", "docker.io/library/redis:latest"},
      {"redis@" DIST_DGST, "docker.io/library/redis@" DIST_DGST},
      {"docker.io/library/redis@" DIST_DGST, "docker.io/library/redis@" DIST_DGST},
      {"dmcgowan/myapp", "docker.io/dmcgowan/myapp:latest"},
      {"dmcgowan/myapp:latest", "docker.io/dmcgowan/myapp:latest"},
      {"docker.io/mcgowan/myapp:latest", "docker.io/mcgowan/myapp:latest"},
      {"dmcgowan/myapp@" DIST_DGST, "docker.io/dmcgowan/myapp@" DIST_DGST},
      {"docker.io/dmcgowan/myapp@" DIST_DGST, "docker.io/dmcgowan/myapp@" DIST_DGST},
      {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
       "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest"},
      {"dbcc1", "docker.io/library/dbcc1:latest"},
      /* TestParseReferenceWithTagAndDigest */
      {"busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
       "docker.io/library/busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
    pyoci_ref_t r;
    cleanup_error pyoci_error_t *err = NULL;
    if (pyoci_ref_parse(cases[i][0], &r, &err) < 0) {
      ok(0, "TestParseAnyReference: '%.40s' parses (%s)", cases[i][0], err ? err->msg : "?");
      continue;
    }
    cleanup_free char *full = pyoci_ref_full(&r);
    is_str(full, cases[i][1], "TestParseAnyReference: '%.40s'", cases[i][0]);
    pyoci_ref_free(&r);
  }
  /* TestParseReferenceWithTagAndDigest: the familiar string is the input. */
  cleanup_free char *fam = pyoci_ref_normalize(
      "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa", NULL);
  is_str(fam, "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
         "TestParseReferenceWithTagAndDigest: familiar string");
  /* TestInvalidReferenceComponents */
  dist_valid((const char *const[]){"-foo", "busybox:-foo", "busybox@foo"}, 3, false, "TestInvalidReferenceComponents");
}

int main(void)
{
  char tag128[200], tag129[200], longname[300];
  memset(tag128, 'a', 128);
  tag128[128] = 0;
  memset(tag129, 'b', 129);
  tag129[129] = 0;
  char name128[210], name129[210];
  snprintf(name128, sizeof(name128), "app:%s", tag128);
  snprintf(name129, sizeof(name129), "app:%s", tag129);
  memset(longname, 'x', 256);
  longname[256] = 0;
  char fam128[210];
  char name238[240], name237[240], fam237[260];
  memset(name238, 'n', 238);
  name238[238] = 0;
  memset(name237, 'n', 237);
  name237[237] = 0;
  snprintf(fam237, sizeof(fam237), "%s:latest", name237);
  snprintf(fam128, sizeof(fam128), "app:%s", tag128);

  const struct ref_case cases[] = {
      {"app", "app:latest", "docker.io/library/app:latest", "app", NULL},
      {"app:1.0", "app:1.0", "docker.io/library/app:1.0", "app", NULL},
      {"me/app:1", "me/app:1", "docker.io/me/app:1", "me/app", NULL},
      {"docker.io/library/app", "app:latest", "docker.io/library/app:latest", NULL, NULL},
      {"index.docker.io/library/app:2", "app:2", "docker.io/library/app:2", NULL, NULL},
      {"docker.io/me/app", "me/app:latest", "docker.io/me/app:latest", NULL, NULL},
      {"library/app", "app:latest", "docker.io/library/app:latest", NULL, NULL},
      {"library/a/b", "library/a/b:latest", "docker.io/library/a/b:latest", NULL, NULL},
      {"localhost/app", "localhost/app:latest", "localhost/app:latest", "localhost/app", NULL},
      {"localhost:5000/x/y:1", "localhost:5000/x/y:1", "localhost:5000/x/y:1", "localhost:5000/x/y", NULL},
      {"example.com/a/b/c:v", "example.com/a/b/c:v", "example.com/a/b/c:v", NULL, NULL},
      {"registry:5000/app", "registry:5000/app:latest", NULL, NULL, NULL},
      {"Example.com/app", "Example.com/app:latest", NULL, NULL, NULL},
      {"Foo/bar", "Foo/bar:latest", "Foo/bar:latest", NULL, NULL},
      {"[::1]:5000/app:2", "[::1]:5000/app:2", NULL, NULL, NULL},
      {"localhost:5000", "localhost:5000", "docker.io/library/localhost:5000", NULL, NULL},
      {"app@sha256:" HEX, "app@sha256:" HEX, "docker.io/library/app@sha256:" HEX, "app", NULL},
      {"me/app:1@sha256:" HEX, "me/app:1@sha256:" HEX, NULL, NULL, NULL},
      {"a_b.c-d__e--f", "a_b.c-d__e--f:latest", NULL, NULL, NULL},
      {"app:v1.0_rc-2", "app:v1.0_rc-2", NULL, NULL, NULL},
      {"app:_x", "app:_x", NULL, NULL, NULL},
      {name128, fam128, NULL, NULL, NULL},
      {"Upper", NULL, NULL, NULL, "must be lowercase"},
      {"me/App", NULL, NULL, NULL, "must be lowercase"},
      {"example.com/Me/app", NULL, NULL, NULL, "must be lowercase"},
      {"", NULL, NULL, NULL, "empty"},
      {"app:", NULL, NULL, NULL, "invalid tag"},
      {"app:-bad", NULL, NULL, NULL, "invalid tag"},
      {"app:.bad", NULL, NULL, NULL, "invalid tag"},
      {name129, NULL, NULL, NULL, "invalid tag"},
      {"app:a+b", NULL, NULL, NULL, "invalid tag"},
      {"a//b", NULL, NULL, NULL, "empty path component"},
      {"a/b/", NULL, NULL, NULL, "empty path component"},
      {"/app", NULL, NULL, NULL, NULL},
      {"app@sha256:abc", NULL, NULL, NULL, "invalid digest"},
      {"app@sha256:" HEX "00", NULL, NULL, NULL, "invalid digest"},
      {"app@md5:d41d8cd98f00b204e9800998ecf8427e", NULL, NULL, NULL, "unsupported digest"},
      {"app@", NULL, NULL, NULL, "invalid digest"},
      {HEX, NULL, NULL, NULL, "64-byte hexadecimal"},
      {"-app", NULL, NULL, NULL, "invalid repository name"},
      {"app_", NULL, NULL, NULL, "invalid repository name"},
      {"a___b", NULL, NULL, NULL, "invalid repository name"},
      {"a..b", NULL, NULL, NULL, "invalid repository name"},
      {"ex ample", NULL, NULL, NULL, NULL},
      {"example.com:/app", NULL, NULL, NULL, "invalid registry domain"},
      {"-example.com/app", NULL, NULL, NULL, "invalid registry domain"},
      {"example.com:port/app", NULL, NULL, NULL, "invalid registry domain"},
      {longname, NULL, NULL, NULL, "255 characters"},
      {name238, NULL, NULL, NULL, "255 characters"}, /* 238 + "docker.io/library/" > 255 */
      {name237, fam237, NULL, NULL, NULL},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    check(&cases[i]);
  dist_validate_names();
  dist_repository_info();
  dist_split_hostname();
  dist_any_reference();

  /* Fields of a parsed reference. */
  pyoci_ref_t r;
  ok(pyoci_ref_parse("me/app@sha256:" HEX, &r, NULL) == 0, "digest-only reference parses");
  ok(r.tag == NULL, "no default tag when a digest is given");
  is_str(r.digest, "sha256:" HEX, "digest kept");
  is_str(r.domain, "docker.io", "default domain");
  is_str(r.path, "me/app", "path");
  pyoci_ref_free(&r);

  cleanup_free char *n = pyoci_ref_normalize("docker.io/library/python:3.12-slim", NULL);
  is_str(n, "python:3.12-slim", "normalize to familiar");
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_ref_normalize("Bad", &err) == NULL && err != NULL, "normalize rejects invalid");
  ok(err && strstr(err->msg, "'Bad'") != NULL, "error names the input: %s", err ? err->msg : "");

  /* Names as the store keeps them, split without normalising (pyoci images). */
  static const char *const split[][3] = {
      {"me/app:1", "me/app", "1"},
      {"app", "app", NULL},
      {"localhost:5000/x/y", "localhost:5000/x/y", NULL},
      {"localhost:5000/x/y:2", "localhost:5000/x/y", "2"},
      {"app@sha256:" HEX, "app", NULL},
      {"app:1@sha256:" HEX, "app", "1"},
  };
  for (size_t i = 0; i < sizeof(split) / sizeof(split[0]); i++) {
    cleanup_free char *repo = NULL, *tag = NULL;
    pyoci_ref_split_name(split[i][0], &repo, &tag);
    ok(strcmp(repo, split[i][1]) == 0 && (split[i][2] ? tag && strcmp(tag, split[i][2]) == 0 : tag == NULL),
       "split '%s': '%s' '%s'", split[i][0], repo, tag ? tag : "(none)");
  }
  return done_testing();
}
