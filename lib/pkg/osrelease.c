/* OS detection: etc/os-release (or usr/lib/os-release), etc/alpine-release
 * and etc/debian_version.  Debian's os-release says only VERSION_ID="12";
 * the point release ("12.5", which trivy reports) is in debian_version. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"
#include "catalog.h"

#define OS_RELEASE_MAX (64u << 10)

bool pyoci_os_probe(const char *path)
{
  return strcmp(path, "etc/os-release") == 0 || strcmp(path, "usr/lib/os-release") == 0 ||
         strcmp(path, "etc/alpine-release") == 0 || strcmp(path, "etc/debian_version") == 0;
}

/* Shell-like value: bare, "double quoted" (\ escapes $ " \ `) or 'single'. */
static int unquote(const char *path, size_t line, const char *v, size_t n, char **out, pyoci_error_t **err)
{
  strbuf_t sb = STRBUF_INIT;
  size_t i = 0;
  while (i < n) {
    char c = v[i];
    if (c == '"' || c == '\'') {
      char q = c;
      i++;
      while (i < n && v[i] != q) {
        if (q == '"' && v[i] == '\\' && i + 1 < n && strchr("$\"\\`", v[i + 1]) != NULL)
          i++;
        strbuf_addch(&sb, v[i++]);
      }
      if (i >= n) {
        strbuf_release(&sb);
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: unterminated quote", path, line);
      }
      i++;
    } else if (c == '\\' && i + 1 < n) {
      strbuf_addch(&sb, v[i + 1]);
      i += 2;
    } else if (c == ' ' || c == '\t') {
      break; /* trailing blanks or a comment */
    } else {
      strbuf_addch(&sb, c);
      i++;
    }
  }
  *out = strbuf_detach(&sb);
  return 0;
}

static void set_field(char **slot, char *value)
{
  free(*slot);
  *slot = value;
}

int pyoci_os_parse_os_release(pyoci_os_t *os, const char *path, const char *content, size_t len,
                              pyoci_error_t **err)
{
  if (len > OS_RELEASE_MAX)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %u bytes", path, OS_RELEASE_MAX);
  size_t pos = 0, line = 0;
  while (pos < len) {
    const char *s = content + pos;
    const char *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl ? 1 : 0);
    line++;
    if (memchr(s, '\0', n) != NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: NUL byte in text", path, line);
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
      n--;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
      s++;
      n--;
    }
    if (n == 0 || s[0] == '#')
      continue;
    const char *eq = memchr(s, '=', n);
    bool ok = eq != NULL && eq > s && (isalpha((unsigned char)s[0]) || s[0] == '_');
    for (const char *k = s; ok && k < eq; k++)
      ok = isalnum((unsigned char)*k) || *k == '_';
    if (!ok)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: expected KEY=VALUE, got '%.*s'", path, line,
                                  (int)(n > 60 ? 60 : n), s);
    size_t klen = (size_t)(eq - s);
    char **slot = NULL;
    if (klen == 2 && memcmp(s, "ID", 2) == 0)
      slot = &os->id;
    else if (klen == 10 && memcmp(s, "VERSION_ID", 10) == 0)
      slot = &os->version_id;
    else if (klen == 11 && memcmp(s, "PRETTY_NAME", 11) == 0)
      slot = &os->pretty_name;
    else if (klen == 7 && memcmp(s, "ID_LIKE", 7) == 0)
      slot = &os->id_like;
    if (slot == NULL)
      continue;
    char *value = NULL;
    if (unquote(path, line, eq + 1, (size_t)(s + n - eq - 1), &value, err) < 0)
      return -1;
    set_field(slot, value);
  }
  return 0;
}

int pyoci_os_parse_release_line(const char *path, const char *content, size_t len, char **out,
                                pyoci_error_t **err)
{
  const char *nl = memchr(content, '\n', len);
  size_t n = nl ? (size_t)(nl - content) : len;
  while (n > 0 && isspace((unsigned char)content[n - 1]))
    n--;
  if (n == 0 || n > 256)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:1: expected one version line of 1 to 256 bytes",
                                path);
  for (size_t i = 0; i < n; i++)
    if (!isgraph((unsigned char)content[i]))
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:1: unexpected byte 0x%02x in version", path,
                                  (unsigned char)content[i]);
  *out = xstrndup(content, n);
  return 0;
}

void pyoci_os_derive(pyoci_os_t *os)
{
  free(os->family);
  free(os->version);
  os->family = os->version = NULL;
  if (os->id != NULL && os->id[0] != '\0')
    os->family = xstrdup_or_null(os->id);
  else if (os->alpine_release != NULL)
    os->family = xstrdup_or_null("alpine");
  else if (os->debian_version != NULL)
    os->family = xstrdup_or_null("debian");
  if (os->family == NULL)
    return;
  const char *v = os->version_id;
  /* debian_version of testing/sid is "trixie/sid": keep VERSION_ID then. */
  if (strcmp(os->family, "debian") == 0 && os->debian_version != NULL &&
      (isdigit((unsigned char)os->debian_version[0]) || v == NULL))
    v = os->debian_version;
  else if (strcmp(os->family, "alpine") == 0 && os->alpine_release != NULL)
    v = os->alpine_release;
  os->version = xstrdup_or_null(v);
}

void pyoci_os_clear(pyoci_os_t *os)
{
  free(os->id);
  free(os->version_id);
  free(os->pretty_name);
  free(os->id_like);
  free(os->debian_version);
  free(os->alpine_release);
  free(os->family);
  free(os->version);
  memset(os, 0, sizeof(*os));
}
