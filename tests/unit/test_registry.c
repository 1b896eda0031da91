/* The registry client's parsers of outside data: WWW-Authenticate
 * challenges, JSON error bodies, manifests and indexes from the wire, the
 * platform choice and docker's config.json server keys. */
#include <stdlib.h>
#include <string.h>

#include "lib/oci/ref.h"
#include "lib/registry/registry.h"
#include "lib/util/cleanup.h"
#include "tap.h"

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static void challenge_cases(void)
{
  pyoci_auth_challenge_t c;
  pyoci_error_t *err = NULL;
  /* distribution registry/client/auth/challenge/authchallenge_test.go,
   * TestAuthChallengeParse: quoted values, a bare token, backslash escapes. */
  ok(pyoci_auth_challenge_parse("Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\","
                                "other=fun,scope=\"he\\\"\\l\\lo\"",
                                &c, &err) == 0,
     "distribution's TestAuthChallengeParse header parses");
  is_str(c.scheme, "bearer", "scheme lowercased");
  is_str(c.realm, "https://auth.example.com/token", "realm");
  is_str(c.service, "registry.example.com", "service");
  is_str(c.scope, "he\"llo", "backslash escapes: \\\" and \\l");
  pyoci_auth_challenge_free(&c);
  /* TestAuthChallengeNormalization: scheme case and surrounding spaces. */
  ok(pyoci_auth_challenge_parse("   BeArEr   realm=\"https://x/t\"  ", &c, &err) == 0 && strcmp(c.scheme, "bearer") == 0 &&
         strcmp(c.realm, "https://x/t") == 0,
     "mixed-case scheme, extra spaces");
  pyoci_auth_challenge_free(&c);
  ok(pyoci_auth_challenge_parse("Basic realm=\"basic-realm\"", &c, &err) == 0 && strcmp(c.scheme, "basic") == 0 &&
         c.service == NULL,
     "Basic realm");
  pyoci_auth_challenge_free(&c);
  ok(pyoci_auth_challenge_parse("Bearer realm=\"https://a/t\",error=\"insufficient_scope\", Basic realm=\"b\"", &c,
                                &err) == 0 &&
         strcmp(c.realm, "https://a/t") == 0 && strcmp(c.error, "insufficient_scope") == 0,
     "two challenges: the first one is used");
  pyoci_auth_challenge_free(&c);
  ok(pyoci_auth_challenge_parse("Bearer realm=\"unterminated", &c, &err) < 0 && err->code == PYOCI_E_CORRUPT,
     "unterminated quoted string refused");
  pyoci_error_release(&err);
  ok(pyoci_auth_challenge_parse("", &c, &err) < 0, "empty header refused");
  pyoci_error_release(&err);
  char *huge = malloc(9000);
  memset(huge, 'a', 8999);
  huge[8999] = '\0';
  ok(pyoci_auth_challenge_parse(huge, &c, &err) < 0 && strstr(err->msg, "longer than") != NULL,
     "an 8999-byte challenge is over the limit");
  pyoci_error_release(&err);
  free(huge);
}

static void error_cases(void)
{
  const char *b = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{\"Tag\":\"3.99\"}}]}";
  char *m = pyoci_registry_error_text(b, strlen(b), 404, "python:3.99");
  is_str(m, "manifest unknown: python:3.99", "MANIFEST_UNKNOWN in docker's words");
  free(m);
  b = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"},{\"code\":\"DENIED\"}]}";
  m = pyoci_registry_error_text(b, strlen(b), 401, NULL);
  is_str(m, "unauthorized: authentication required; denied", "two errors, code-only one");
  free(m);
  m = pyoci_registry_error_text("<html>busy</html>", 17, 503, "x");
  is_str(m, "HTTP 503: x", "not JSON: the status");
  free(m);
  m = pyoci_registry_error_text(NULL, 0, 429, NULL);
  is_str(m, "toomanyrequests: rate limit exceeded", "429 without a body");
  free(m);
  b = "{\"errors\":[{\"code\":\"X\",\"message\":\"line1\\nline2\\u001b[31m\"}]}";
  m = pyoci_registry_error_text(b, strlen(b), 400, NULL);
  is_str(m, "x: line1 line2 [31m", "control characters from the body become spaces");
  free(m);
}

static void manifest_cases(void)
{
  pyoci_wire_manifest_t m;
  pyoci_error_t *err = NULL;
  const char *idx = "{\"schemaVersion\":2,\"manifests\":["
                    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H64("a") "\","
                    "\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
                    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H64("b") "\","
                    "\"size\":2,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\",\"variant\":\"v7\"}},"
                    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" H64("c") "\","
                    "\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}";
  ok(pyoci_wire_manifest_parse(idx, strlen(idx), "application/vnd.docker.distribution.manifest.list.v2+json", "t", &m,
                               &err) == 0 && m.is_index && m.n_descs == 3,
     "index without mediaType: the Content-Type says manifest list");
  size_t w = 9;
  ok(pyoci_wire_pick_platform(&m, "linux/arm64", "t", &w, &err) == 0 && w == 2, "linux/arm64 matches arm64/v8");
  ok(pyoci_wire_pick_platform(&m, "linux/arm/v7", "t", &w, &err) == 0 && w == 1, "linux/arm/v7");
  ok(pyoci_wire_pick_platform(&m, "linux/arm/v6", "t", &w, &err) < 0 && err->code == PYOCI_E_NOT_FOUND &&
         strstr(err->msg, "linux/amd64, linux/arm/v7, linux/arm64/v8") != NULL,
     "missing platform: the message lists what there is");
  pyoci_error_release(&err);
  ok(pyoci_wire_pick_platform(&m, "linux", "t", &w, &err) < 0 && err->code == PYOCI_E_INVALID, "bad --platform");
  pyoci_error_release(&err);
  pyoci_wire_manifest_free(&m);

  const char *s1 = "{\"schemaVersion\":1,\"name\":\"x\"}";
  ok(pyoci_wire_manifest_parse(s1, strlen(s1), NULL, "t", &m, &err) < 0 && strstr(err->msg, "schema 1") != NULL,
     "schema 1 refused with a clear message");
  pyoci_error_release(&err);
  pyoci_wire_manifest_free(&m);
  const char *bad = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    "\"config\":{\"mediaType\":\"a\",\"digest\":\"md5:00\",\"size\":1},\"layers\":[]}";
  ok(pyoci_wire_manifest_parse(bad, strlen(bad), NULL, "t", &m, &err) < 0 && strstr(err->msg, "digest") != NULL,
     "a non-sha256 digest refused");
  pyoci_error_release(&err);
  pyoci_wire_manifest_free(&m);
  const char *neg = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    "\"config\":{\"mediaType\":\"a\",\"digest\":\"sha256:" H64("d") "\",\"size\":-1},\"layers\":[]}";
  ok(pyoci_wire_manifest_parse(neg, strlen(neg), NULL, "t", &m, &err) < 0, "a negative size refused");
  pyoci_error_release(&err);
  pyoci_wire_manifest_free(&m);
  const char *odd = "{\"schemaVersion\":2,\"mediaType\":\"text/html\",\"layers\":[]}";
  ok(pyoci_wire_manifest_parse(odd, strlen(odd), NULL, "t", &m, &err) < 0 && strstr(err->msg, "text/html") != NULL,
     "an unknown media type refused, named");
  pyoci_error_release(&err);
  pyoci_wire_manifest_free(&m);
}

static void server_key_cases(void)
{
  static const char *const cases[][2] = {
      {"docker.io", "https://index.docker.io/v1/"},
      {"https://index.docker.io/v1/", "https://index.docker.io/v1/"},
      {"registry-1.docker.io", "https://index.docker.io/v1/"},
      {"localhost:5000", "localhost:5000"},
      {"https://ghcr.io/v2/", "ghcr.io"},
      {"http://127.0.0.1:5000", "127.0.0.1:5000"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    cleanup_free char *k = pyoci_registry_server_key(cases[i][0]);
    is_str(k, cases[i][1], "server key of %s", cases[i][0]);
  }
}

/* Docker Hub: a short name normalises to docker.io/library/NAME (test_ref
 * holds distribution's cases) and docker.io is contacted at docker's
 * default v2 endpoint, registry-1.docker.io (moby registry/config.go,
 * DefaultV2Registry); other registries are their own host. */
static void endpoint_cases(void)
{
  pyoci_ref_t r;
  ok(pyoci_ref_parse("python:3.11-slim", &r, NULL) == 0, "python:3.11-slim parses");
  is_str(r.domain, "docker.io", "python:3.11-slim: domain docker.io");
  is_str(r.path, "library/python", "python:3.11-slim: repository library/python");
  is_str(r.tag, "3.11-slim", "python:3.11-slim: tag");
  is_str(pyoci_registry_endpoint(r.domain), "registry-1.docker.io", "docker.io is contacted at registry-1.docker.io");
  cleanup_free char *full = pyoci_ref_full(&r);
  is_str(full, "docker.io/library/python:3.11-slim", "full name as docker prints it");
  pyoci_ref_free(&r);
  ok(pyoci_ref_parse("index.docker.io/library/python:3.11-slim", &r, NULL) == 0 && strcmp(r.domain, "docker.io") == 0,
     "index.docker.io is docker.io");
  is_str(pyoci_registry_endpoint(r.domain), "registry-1.docker.io", "index.docker.io: same endpoint");
  pyoci_ref_free(&r);
  is_str(pyoci_registry_endpoint("index.docker.io"), "registry-1.docker.io", "index.docker.io as a registry name");
  is_str(pyoci_registry_endpoint("ghcr.io"), "ghcr.io", "another registry is its own host");
  is_str(pyoci_registry_endpoint("127.0.0.1:5000"), "127.0.0.1:5000", "host:port kept");
  is_str(pyoci_registry_endpoint("registry-1.docker.io"), "registry-1.docker.io", "the endpoint itself");
}

int main(void)
{
  endpoint_cases();
  challenge_cases();
  error_cases();
  manifest_cases();
  server_key_cases();
  return done_testing();
}
