/* Image references, parsed and normalised the way Docker's
 * distribution/reference package does (ParseNormalizedNamed):
 *   - the first path component is a registry domain when it contains '.' or
 *     ':', is "localhost", or has an uppercase letter; otherwise docker.io;
 *   - single-component names on docker.io live under "library/";
 *   - path components are [a-z0-9]+ joined by '.', '_', '__' or runs of '-';
 *   - tag [\w][\w.-]{0,127}; digest sha256:<64 hex>; no tag and no digest
 *     means ":latest".
 * Only sha256 digests are accepted since that is all the store can hold. */
#include "ref.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/hash.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define NAME_TOTAL_MAX 255 /* distribution/reference NameTotalLengthMax */
#define TAG_MAX 128

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*
 * separator := [_.] | __ | [-]+   (s, n: one component, not NUL-terminated) */
static bool path_component_valid(const char *s, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_lower_alnum(s[0]))
    return false;
  while (i < n) {
    while (i < n && is_lower_alnum(s[i]))
      i++;
    if (i == n)
      return true;
    size_t sep = i;
    if (s[i] == '.') {
      i++;
    } else if (s[i] == '_') {
      i++;
      if (i < n && s[i] == '_')
        i++;
    } else if (s[i] == '-') {
      while (i < n && s[i] == '-')
        i++;
    } else {
      return false;
    }
    if (i == sep || i == n || !is_lower_alnum(s[i]))
      return false;
  }
  return true;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 * domain := domain-component ('.' domain-component)* (':' [0-9]+)?
 * plus a bracketed IPv6 address, as newer distribution/reference allows. */
static bool domain_valid(const char *s, size_t n)
{
  size_t host_end = n;
  const char *colon = NULL;
  if (n > 0 && s[0] == '[') {
    const char *close = memchr(s, ']', n);
    if (close == NULL || close == s + 1)
      return false;
    for (const char *p = s + 1; p < close; p++)
      if (!isxdigit((unsigned char)*p) && *p != ':')
        return false;
    host_end = (size_t)(close - s) + 1;
    if (host_end < n && s[host_end] != ':')
      return false;
    if (host_end < n)
      colon = s + host_end;
  } else {
    colon = memchr(s, ':', n);
    if (colon != NULL)
      host_end = (size_t)(colon - s);
    if (host_end == 0)
      return false;
    size_t start = 0;
    for (size_t i = 0; i <= host_end; i++) {
      if (i < host_end && s[i] != '.')
        continue;
      size_t len = i - start;
      if (len == 0 || !is_alnum(s[start]) || !is_alnum(s[i - 1]))
        return false;
      for (size_t j = start; j < i; j++)
        if (!is_alnum(s[j]) && s[j] != '-')
          return false;
      start = i + 1;
    }
  }
  if (colon != NULL) {
    const char *p = colon + 1;
    if (p == s + n)
      return false;
    for (; p < s + n; p++)
      if (*p < '0' || *p > '9')
        return false;
  }
  return true;
}

static bool is_word(char c)
{
  return is_alnum(c) || c == '_';
}

static bool tag_valid(const char *t)
{
  size_t n = strlen(t);
  if (n == 0 || n > TAG_MAX || !is_word(t[0]))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!is_word(t[i]) && t[i] != '.' && t[i] != '-')
      return false;
  return true;
}

static bool all_hex64(const char *s)
{
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return false;
  return n == PYOCI_DIGEST_HEX_LEN;
}

static int invalid(pyoci_error_t **err, const char *input, const char *why)
{
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid reference format%s%s: '%s'", why ? ": " : "",
                              why ? why : "", input);
}

void pyoci_ref_free(pyoci_ref_t *r)
{
  if (r == NULL)
    return;
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}

int pyoci_ref_parse(const char *s, pyoci_ref_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (s == NULL || *s == '\0')
    return invalid(err, s ? s : "", "empty reference");
  if (all_hex64(s))
    return invalid(err, s, "cannot specify a 64-byte hexadecimal string as a repository name");
  cleanup_free char *buf = xstrdup(s);

  /* name [":" tag] ["@" digest] */
  char *at = strchr(buf, '@');
  if (at != NULL) {
    *at = '\0';
    const char *d = at + 1;
    if (strncmp(d, "sha256:", 7) != 0 || !pyoci_digest_valid(d)) {
      if (strchr(d, ':') != NULL && strncmp(d, "sha256:", 7) != 0)
        return invalid(err, s, "unsupported digest algorithm");
      return invalid(err, s, "invalid digest");
    }
    out->digest = xstrdup(d);
  }
  char *last_slash = strrchr(buf, '/');
  char *colon = strrchr(last_slash ? last_slash : buf, ':');
  if (colon != NULL) {
    *colon = '\0';
    if (!tag_valid(colon + 1)) {
      pyoci_ref_free(out);
      return invalid(err, s, "invalid tag");
    }
    out->tag = xstrdup(colon + 1);
  }
  const char *name = buf;
  if (*name == '\0') {
    pyoci_ref_free(out);
    return invalid(err, s, "empty repository name");
  }

  /* splitDockerDomain */
  const char *slash = strchr(name, '/');
  const char *remainder = name;
  bool has_domain = false;
  if (slash != NULL) {
    size_t flen = (size_t)(slash - name);
    bool upper = false;
    for (size_t i = 0; i < flen; i++)
      if (name[i] >= 'A' && name[i] <= 'Z')
        upper = true;
    if (memchr(name, '.', flen) || memchr(name, ':', flen) || (flen == 9 && strncmp(name, "localhost", 9) == 0) ||
        upper)
      has_domain = true;
  }
  if (has_domain) {
    size_t flen = (size_t)(slash - name);
    if (!domain_valid(name, flen)) {
      pyoci_ref_free(out);
      return invalid(err, s, "invalid registry domain");
    }
    out->domain = xstrndup(name, flen);
    remainder = slash + 1;
    if (strcmp(out->domain, LEGACY_DOMAIN) == 0) {
      free(out->domain);
      out->domain = xstrdup(DEFAULT_DOMAIN);
    }
  } else {
    out->domain = xstrdup(DEFAULT_DOMAIN);
  }

  for (const char *p = remainder; *p; p++)
    if (*p >= 'A' && *p <= 'Z') {
      pyoci_ref_free(out);
      return invalid(err, s, "repository name must be lowercase");
    }
  /* Each path component must match the grammar. */
  const char *c = remainder;
  for (;;) {
    const char *e = strchr(c, '/');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    if (!path_component_valid(c, n)) {
      pyoci_ref_free(out);
      return invalid(err, s, n == 0 ? "empty path component" : "invalid repository name");
    }
    if (e == NULL)
      break;
    c = e + 1;
  }

  if (strcmp(out->domain, DEFAULT_DOMAIN) == 0 && strchr(remainder, '/') == NULL) {
    out->path = xasprintf("%s%s", OFFICIAL_PREFIX, remainder);
  } else {
    out->path = xstrdup(remainder);
  }
  /* Docker measures the normalised name, "docker.io/library/" included. */
  if (strlen(out->domain) + 1 + strlen(out->path) > NAME_TOTAL_MAX) {
    pyoci_ref_free(out);
    return invalid(err, s, "repository name must not be more than 255 characters");
  }
  if (out->tag == NULL && out->digest == NULL)
    out->tag = xstrdup("latest");
  return 0;
}

void pyoci_ref_split_name(const char *name, char **repo, char **tag)
{
  const char *at = strchr(name, '@');
  size_t end = at ? (size_t)(at - name) : strlen(name);
  const char *colon = NULL;
  for (size_t i = end; i > 0 && name[i - 1] != '/'; i--)
    if (name[i - 1] == ':') {
      colon = name + i - 1;
      break;
    }
  *repo = xstrndup(name, colon ? (size_t)(colon - name) : end);
  *tag = colon ? xstrndup(colon + 1, end - (size_t)(colon + 1 - name)) : NULL;
}

char *pyoci_ref_familiar_repo(const pyoci_ref_t *r)
{
  char *out = NULL;
  if (strcmp(r->domain, DEFAULT_DOMAIN) == 0) {
    const char *p = r->path;
    if (strncmp(p, OFFICIAL_PREFIX, strlen(OFFICIAL_PREFIX)) == 0 && strchr(p + strlen(OFFICIAL_PREFIX), '/') == NULL)
      p += strlen(OFFICIAL_PREFIX);
    out = xstrdup(p);
  } else {
    out = xasprintf("%s/%s", r->domain, r->path);
  }
  return out;
}

static char *with_tag_digest(char *repo, const pyoci_ref_t *r)
{
  char *out = NULL;
  out = xasprintf("%s%s%s%s%s", repo, r->tag ? ":" : "", r->tag ? r->tag : "", r->digest ? "@" : "",
               r->digest ? r->digest : "");
  free(repo);
  return out;
}

char *pyoci_ref_familiar(const pyoci_ref_t *r)
{
  return with_tag_digest(pyoci_ref_familiar_repo(r), r);
}

char *pyoci_ref_full(const pyoci_ref_t *r)
{
  char *repo = NULL;
  repo = xasprintf("%s/%s", r->domain, r->path);
  return with_tag_digest(repo, r);
}

char *pyoci_ref_normalize(const char *s, pyoci_error_t **err)
{
  pyoci_ref_t r;
  if (pyoci_ref_parse(s, &r, err) < 0)
    return NULL;
  char *f = pyoci_ref_familiar(&r);
  pyoci_ref_free(&r);
  return f;
}
