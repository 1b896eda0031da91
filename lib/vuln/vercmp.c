/* Scheme lookup and the generic pyoci_vercmp(); SemVer 2.0 precedence (for
 * OSV "SEMVER" ranges) lives here too, being small. */
#include <string.h>
#include <strings.h>

#include "vercmp.h"

static bool has_prefix_word(const char *eco, const char *word)
{
  size_t n = strlen(word);
  return strncmp(eco, word, n) == 0 && (eco[n] == '\0' || eco[n] == ':');
}

const pyoci_verscheme_t *pyoci_verscheme_for(const char *ecosystem)
{
  if (ecosystem == NULL)
    return NULL;
  /* Scheme names, as `pyoci vercmp` takes them. */
  if (strcasecmp(ecosystem, "deb") == 0 || strcasecmp(ecosystem, "debian") == 0)
    return &pyoci_scheme_deb;
  if (strcasecmp(ecosystem, "apk") == 0 || strcasecmp(ecosystem, "alpine") == 0)
    return &pyoci_scheme_apk;
  if (strcasecmp(ecosystem, "pypi") == 0 || strcasecmp(ecosystem, "pep440") == 0)
    return &pyoci_scheme_pep440;
  if (strcasecmp(ecosystem, "semver") == 0)
    return &pyoci_scheme_semver;
  /* OSV ecosystem names, with their optional ":release" suffixes. */
  if (has_prefix_word(ecosystem, "Debian") || has_prefix_word(ecosystem, "Ubuntu"))
    return &pyoci_scheme_deb;
  if (has_prefix_word(ecosystem, "Alpine") || has_prefix_word(ecosystem, "Wolfi") ||
      has_prefix_word(ecosystem, "Chainguard"))
    return &pyoci_scheme_apk;
  if (strcmp(ecosystem, "PyPI") == 0)
    return &pyoci_scheme_pep440;
  return NULL;
}

int pyoci_vercmp(const char *ecosystem, const char *a, const char *b, int *result, pyoci_error_t **err)
{
  const pyoci_verscheme_t *s = pyoci_verscheme_for(ecosystem);
  if (s == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "unknown version scheme '%s' (expected deb, apk or pypi)",
                                ecosystem ? ecosystem : "");
  if (s->check(a, err) < 0 || s->check(b, err) < 0)
    return -1;
  int r = s->compare(a, b);
  *result = (r > 0) - (r < 0);
  return 0;
}

/* ---- SemVer 2.0 ------------------------------------------------------- */

struct semver {
  const char *core[3];
  size_t core_len[3];
  const char *pre; /* after '-', up to '+' or end; NULL when none */
  size_t pre_len;
};

static bool sv_digit(char c)
{
  return c >= '0' && c <= '9';
}
static bool sv_ident(char c)
{
  return sv_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-] from s to a stop char. */
static const char *sv_idents(const char *s)
{
  for (;;) {
    const char *start = s;
    while (sv_ident(*s))
      s++;
    if (s == start)
      return NULL;
    if (*s != '.')
      return s;
    s++;
  }
}

static bool sv_parse(const char *s, struct semver *v)
{
  memset(v, 0, sizeof(*v));
  if (strlen(s) > PYOCI_VERSION_MAX)
    return false;
  if (*s == 'v')
    s++;
  for (int i = 0; i < 3; i++) {
    if (i > 0) {
      if (*s != '.')
        break; /* "1" and "1.2" are read as 1.0.0 and 1.2.0 */
      s++;
    }
    v->core[i] = s;
    while (sv_digit(*s))
      s++;
    v->core_len[i] = (size_t)(s - v->core[i]);
    if (v->core_len[i] == 0)
      return false;
  }
  if (*s == '-') {
    v->pre = ++s;
    if ((s = sv_idents(s)) == NULL)
      return false;
    v->pre_len = (size_t)(s - v->pre);
  }
  if (*s == '+' && (s = sv_idents(s + 1)) == NULL)
    return false;
  return *s == '\0';
}

int pyoci_semver_check(const char *v, pyoci_error_t **err)
{
  struct semver sv;
  if (!sv_parse(v, &sv))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid semantic version '%.*s'", PYOCI_VERSION_MAX, v);
  return 0;
}

static bool all_digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!sv_digit(s[i]))
      return false;
  return true;
}

/* Pre-release precedence: identifier by identifier, numeric ones as
 * numbers and below alphanumeric ones, a shorter prefix first. */
static int sv_pre_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  size_t i = 0, j = 0;
  while (i < alen && j < blen) {
    size_t ie = i, je = j;
    while (ie < alen && a[ie] != '.')
      ie++;
    while (je < blen && b[je] != '.')
      je++;
    bool na = all_digits(a + i, ie - i), nb = all_digits(b + j, je - j);
    int r;
    if (na && nb) {
      r = pyoci_numstr_cmp(a + i, ie - i, b + j, je - j);
    } else if (na != nb) {
      r = na ? -1 : 1;
    } else {
      size_t n = ie - i < je - j ? ie - i : je - j;
      r = memcmp(a + i, b + j, n);
      if (r == 0)
        r = (ie - i > je - j) - (ie - i < je - j);
    }
    if (r)
      return r > 0 ? 1 : -1;
    i = ie + (ie < alen);
    j = je + (je < blen);
  }
  return (i < alen) - (j < blen);
}

int pyoci_semver_cmp(const char *a, const char *b)
{
  struct semver va, vb;
  bool oka = sv_parse(a, &va), okb = sv_parse(b, &vb);
  if (!oka || !okb) {
    if (!oka && !okb) {
      int r = strcmp(a, b);
      return (r > 0) - (r < 0);
    }
    return oka ? 1 : -1;
  }
  for (int i = 0; i < 3; i++) {
    const char *x = va.core[i] ? va.core[i] : "0", *y = vb.core[i] ? vb.core[i] : "0";
    size_t xl = va.core[i] ? va.core_len[i] : 1, yl = vb.core[i] ? vb.core_len[i] : 1;
    int r = pyoci_numstr_cmp(x, xl, y, yl);
    if (r)
      return r;
  }
  if ((va.pre == NULL) != (vb.pre == NULL))
    return va.pre == NULL ? 1 : -1;
  if (va.pre == NULL)
    return 0;
  return sv_pre_cmp(va.pre, va.pre_len, vb.pre, vb.pre_len);
}

const pyoci_verscheme_t pyoci_scheme_semver = {"semver", pyoci_semver_check, pyoci_semver_cmp};
