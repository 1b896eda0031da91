/* Debian version ordering: [epoch:]upstream[-revision], compared the way
 * dpkg does (lib/dpkg/version.c): epoch numerically, then upstream and
 * revision by alternating non-digit runs (where '~' sorts before everything,
 * even the end of the string, and letters before other characters) and digit
 * runs (numerically).  Validity follows dpkg's parseversion(); the problems
 * dpkg only warns about ("does not start with digit", invalid characters) are
 * errors here, since --compare-versions calls them bad syntax. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vercmp.h"

struct debver {
  long epoch;
  const char *ver; /* upstream, not NUL-terminated at ver_len */
  size_t ver_len;
  const char *rev; /* revision ("" when absent) */
  size_t rev_len;
};

static bool c_isdigit(int c)
{
  return c >= '0' && c <= '9';
}
static bool c_isalpha(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool c_isblank(int c)
{
  return c == ' ' || c == '\t';
}

/* Parse like dpkg's parseversion().  Returns NULL on success, else the
 * message dpkg gives; *warn_only says whether dpkg would still compare. */
static const char *deb_parse(const char *s, struct debver *out, bool *warn_only)
{
  *warn_only = false;
  memset(out, 0, sizeof(*out));
  out->rev = "";
  while (*s && c_isblank(*s))
    s++;
  if (*s == '\0')
    return "version string is empty";
  const char *end = s;
  while (*end && !c_isblank(*end))
    end++;
  for (const char *p = end; *p; p++)
    if (!c_isblank(*p))
      return "version string has embedded spaces";

  const char *colon = memchr(s, ':', (size_t)(end - s));
  if (colon != NULL) {
    char *eepoch;
    errno = 0;
    long epoch = strtol(s, &eepoch, 10);
    if (eepoch == s)
      return "epoch in version is empty";
    if (eepoch != colon)
      return "epoch in version is not number";
    if (epoch < 0)
      return "epoch in version is negative";
    if (epoch > INT_MAX || errno == ERANGE)
      return "epoch in version is too big";
    if (colon + 1 == end)
      return "nothing after colon in version number";
    out->epoch = epoch;
    s = colon + 1;
  }
  out->ver = s;
  out->ver_len = (size_t)(end - s);
  const char *hyphen = memrchr(s, '-', out->ver_len);
  if (hyphen != NULL) {
    out->ver_len = (size_t)(hyphen - s);
    out->rev = hyphen + 1;
    out->rev_len = (size_t)(end - out->rev);
    if (out->rev_len == 0)
      return "revision number is empty";
  }
  if (out->ver_len == 0)
    return "version number is empty";
  *warn_only = true;
  if (!c_isdigit(out->ver[0]))
    return "version number does not start with digit";
  for (size_t i = 0; i < out->ver_len; i++) {
    char c = out->ver[i];
    if (!c_isdigit(c) && !c_isalpha(c) && strchr(".-+~:", c) == NULL)
      return "invalid character in version number";
  }
  for (size_t i = 0; i < out->rev_len; i++) {
    char c = out->rev[i];
    if (!c_isdigit(c) && !c_isalpha(c) && strchr(".+~", c) == NULL)
      return "invalid character in revision number";
  }
  *warn_only = false;
  return NULL;
}

/* dpkg's order(): digits and the end 0, '~' -1, letters themselves, anything
 * else after all letters.  dpkg passes a plain (signed) char. */
static int order(int c)
{
  if (c_isdigit(c))
    return 0;
  if (c_isalpha(c))
    return c;
  if (c == '~')
    return -1;
  if (c)
    return c + 256;
  return 0;
}

/* dpkg's verrevcmp() over length-bounded strings. */
static int verrevcmp(const char *a, size_t alen, const char *b, size_t blen)
{
  size_t i = 0, j = 0;
#define A_AT(k) ((k) < alen ? (int)(signed char)a[k] : 0)
#define B_AT(k) ((k) < blen ? (int)(signed char)b[k] : 0)
  while (i < alen || j < blen) {
    int first_diff = 0;
    while ((A_AT(i) && !c_isdigit(A_AT(i))) || (B_AT(j) && !c_isdigit(B_AT(j)))) {
      int ac = order(A_AT(i));
      int bc = order(B_AT(j));
      if (ac != bc)
        return ac - bc;
      i++;
      j++;
    }
    while (A_AT(i) == '0')
      i++;
    while (B_AT(j) == '0')
      j++;
    while (c_isdigit(A_AT(i)) && c_isdigit(B_AT(j))) {
      if (!first_diff)
        first_diff = A_AT(i) - B_AT(j);
      i++;
      j++;
    }
    if (c_isdigit(A_AT(i)))
      return 1;
    if (c_isdigit(B_AT(j)))
      return -1;
    if (first_diff)
      return first_diff;
  }
  return 0;
#undef A_AT
#undef B_AT
}

int pyoci_deb_version_check(const char *v, pyoci_error_t **err)
{
  struct debver d;
  bool warn_only;
  if (strlen(v) > PYOCI_VERSION_MAX)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid Debian version '%.64s...': longer than %d bytes",
                                v, PYOCI_VERSION_MAX);
  const char *msg = deb_parse(v, &d, &warn_only);
  if (msg != NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid Debian version '%s': %s", v, msg);
  return 0;
}

static int sign(int x)
{
  return (x > 0) - (x < 0);
}

int pyoci_deb_version_cmp(const char *a, const char *b)
{
  struct debver da, db;
  bool wa, wb;
  bool bad_a = deb_parse(a, &da, &wa) != NULL && !wa;
  bool bad_b = deb_parse(b, &db, &wb) != NULL && !wb;
  /* Strings dpkg cannot parse at all sort before every version, among
   * themselves bytewise: an arbitrary but total order. */
  if (bad_a || bad_b) {
    if (bad_a && bad_b)
      return sign(strcmp(a, b));
    return bad_a ? -1 : 1;
  }
  if (da.epoch != db.epoch)
    return da.epoch > db.epoch ? 1 : -1;
  int r = verrevcmp(da.ver, da.ver_len, db.ver, db.ver_len);
  if (r)
    return sign(r);
  return sign(verrevcmp(da.rev, da.rev_len, db.rev, db.rev_len));
}

const pyoci_verscheme_t pyoci_scheme_deb = {"deb", pyoci_deb_version_check, pyoci_deb_version_cmp};
