/* Reference normalisation against Docker's distribution/reference rules. */
#include <stdlib.h>
#include <string.h>

#include "lib/oci/ref.h"
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
