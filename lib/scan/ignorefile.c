/* .trivyignore files: the findings a project has decided to accept.
 *
 *   # comment
 *   CVE-2023-4911
 *   GHSA-m2qf-hxjv-5gpq exp:2024-12-31
 *
 * An entry with exp:DATE stops ignoring at DATE 00:00 UTC, so accepted risk
 * comes back for review on its own.  Anything else on a line is an error
 * naming the file and line (a typo must not silently ignore nothing). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "scan.h"

void pyoci_ignorefile_release(pyoci_ignorefile_t *f)
{
  for (size_t i = 0; i < f->n; i++)
    free(f->v[i].id);
  free(f->v);
  f->v = NULL;
  f->n = 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no timegm() or time zone is involved. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD" exactly -> Unix seconds at 00:00 UTC; -1 when invalid. */
static int64_t parse_date(const char *s, size_t len)
{
  if (len != 10 || s[4] != '-' || s[7] != '-')
    return -1;
  for (size_t i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
      return -1;
  int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int m = (s[5] - '0') * 10 + (s[6] - '0');
  int d = (s[8] - '0') * 10 + (s[9] - '0');
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && is_leap(y)))
    return -1;
  return days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
}

static bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int parse_line(const char *p, size_t len, const char *name, int lineno, pyoci_ignorefile_t *out,
                      size_t *cap, pyoci_error_t **err)
{
  /* strip a comment and surrounding blanks */
  const char *hash = memchr(p, '#', len);
  if (hash != NULL)
    len = (size_t)(hash - p);
  while (len > 0 && is_space(*p))
    p++, len--;
  while (len > 0 && is_space(p[len - 1]))
    len--;
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)p[i] < 0x20 && !is_space(p[i]))
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: control character in the line", name, lineno);
  size_t idlen = 0;
  while (idlen < len && !is_space(p[idlen]))
    idlen++;
  const char *rest = p + idlen;
  size_t restlen = len - idlen;
  while (restlen > 0 && is_space(*rest))
    rest++, restlen--;
  int64_t expires = -1;
  if (restlen > 0) {
    if (restlen < 4 || memcmp(rest, "exp:", 4) != 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "%s:%d: unexpected '%.*s' after the ID (only exp:YYYY-MM-DD may follow)", name,
                                  lineno, (int)(restlen > 64 ? 64 : restlen), rest);
    expires = parse_date(rest + 4, restlen - 4);
    if (expires < 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: bad expiry date '%.*s' (want exp:YYYY-MM-DD)",
                                  name, lineno, (int)(restlen > 64 ? 64 : restlen), rest);
  }
  if (out->n == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    out->v = xrealloc(out->v, *cap * sizeof(*out->v));
  }
  pyoci_ignore_entry_t *e = &out->v[out->n++];
  e->id = xstrndup(p, idlen);
  e->expires = expires;
  e->line = lineno;
  return 0;
}

int pyoci_ignorefile_parse(const char *buf, size_t len, const char *name, pyoci_ignorefile_t *out,
                           pyoci_error_t **err)
{
  out->v = NULL;
  out->n = 0;
  if (len > PYOCI_IGNOREFILE_MAX)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: %zu bytes is over the limit of %u", name, len,
                                PYOCI_IGNOREFILE_MAX);
  size_t cap = 0;
  const char *p = buf, *end = buf + len;
  int lineno = 0;
  while (p < end) {
    lineno++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (l > PYOCI_IGNOREFILE_MAX_LINE) {
      pyoci_ignorefile_release(out);
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: line longer than %u bytes", name, lineno,
                                  PYOCI_IGNOREFILE_MAX_LINE);
    }
    if (memchr(p, '\0', l) != NULL || parse_line(p, l, name, lineno, out, &cap, err) < 0) {
      if (err && *err == NULL)
        pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: NUL byte in the line", name, lineno);
      pyoci_ignorefile_release(out);
      return -1;
    }
    p += l + (nl ? 1 : 0);
  }
  return 0;
}

int pyoci_ignorefile_load(const char *path, pyoci_ignorefile_t *out, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  out->v = NULL;
  out->n = 0;
  if (pyoci_read_file(path, PYOCI_IGNOREFILE_MAX, &buf, &len, err) < 0)
    return -1;
  return pyoci_ignorefile_parse(buf, len, path, out, err);
}

bool pyoci_ignorefile_match(const pyoci_ignorefile_t *f, const char *id, int64_t now)
{
  if (f == NULL || id == NULL)
    return false;
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->v[i].id, id) == 0 && (f->v[i].expires < 0 || now < f->v[i].expires))
      return true;
  return false;
}
