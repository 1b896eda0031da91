/* Alpine version ordering, as apk-tools' src/version.c (v2.14 / v3):
 *
 *   digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#}
 *
 * A version is a sequence of tokens whose kinds must appear in that order.
 * Two versions are compared token by token; while both have a token of the
 * same kind, the values decide (numbers numerically, except a dotted number
 * with a leading zero, which sorts as a string; suffixes in the order
 * alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p; hashes as
 * strings).  When one runs out first or the kinds differ, a pre-release
 * suffix makes its side older; otherwise the side whose next token is of an
 * earlier kind is newer ("1.0.1" > "1.0", "1.0-r1" > "1.0", "1.0" >
 * "1.0_rc1"). */
#include <stdint.h>
#include <string.h>

#include "vercmp.h"

enum {
  T_INITIAL_DIGIT,
  T_DIGIT,
  T_LETTER,
  T_SUFFIX,
  T_SUFFIX_NO,
  T_COMMIT_HASH,
  T_REVISION_NO,
  T_END,
  T_INVALID,
};

/* Suffix ranks; S_NONE is "no suffix", the pivot between pre- and post-. */
enum { S_INVALID, S_ALPHA, S_BETA, S_PRE, S_RC, S_NONE, S_CVS, S_SVN, S_GIT, S_HG, S_P };

static const char *const suffix_names[] = {
    [S_ALPHA] = "alpha", [S_BETA] = "beta", [S_PRE] = "pre", [S_RC] = "rc", [S_CVS] = "cvs",
    [S_SVN] = "svn",     [S_GIT] = "git",   [S_HG] = "hg",   [S_P] = "p",
};

struct cursor {
  const char *p;
  size_t len;
};

struct token {
  int kind;
  int suffix;
  uint64_t number; /* wraps on overflow, as apk's blob_pull_uint does */
  const char *val;
  size_t val_len;
};

static int suffix_rank(const char *s, size_t len)
{
  for (int i = S_ALPHA; i <= S_P; i++)
    if (i != S_NONE && strlen(suffix_names[i]) == len && memcmp(suffix_names[i], s, len) == 0)
      return i;
  return S_INVALID;
}

static void advance(struct cursor *c, size_t n)
{
  c->p += n;
  c->len -= n;
}

static void parse_digits(struct token *t, struct cursor *c)
{
  size_t n = 0;
  t->number = 0;
  while (n < c->len && c->p[n] >= '0' && c->p[n] <= '9') {
    t->number = t->number * 10 + (uint64_t)(c->p[n] - '0');
    n++;
  }
  t->val = c->p;
  t->val_len = n;
  advance(c, n);
  if (n == 0)
    t->kind = T_INVALID;
}

static void token_first(struct token *t, struct cursor *c)
{
  t->kind = T_INITIAL_DIGIT;
  parse_digits(t, c);
}

static size_t span(const struct cursor *c, bool (*in)(char))
{
  size_t n = 0;
  while (n < c->len && in(c->p[n]))
    n++;
  return n;
}
static bool is_lower(char ch)
{
  return ch >= 'a' && ch <= 'z';
}
static bool is_lower_hex(char ch)
{
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* Read the token after t; its kind must not come before t's in the grammar. */
static void token_next(struct token *t, struct cursor *c)
{
  if (c->len == 0) {
    t->kind = T_END;
    return;
  }
  char ch = c->p[0];
  if (is_lower(ch)) {
    if (t->kind > T_DIGIT)
      goto invalid;
    t->val = c->p;
    t->val_len = 1;
    t->kind = T_LETTER;
    advance(c, 1);
    return;
  }
  if (ch == '.' || (ch >= '0' && ch <= '9')) {
    if (ch == '.') {
      if (t->kind > T_DIGIT)
        goto invalid;
      advance(c, 1);
    }
    if (t->kind == T_INITIAL_DIGIT || t->kind == T_DIGIT)
      t->kind = T_DIGIT;
    else if (t->kind == T_SUFFIX)
      t->kind = T_SUFFIX_NO;
    else
      goto invalid;
    parse_digits(t, c);
    return;
  }
  switch (ch) {
  case '_': {
    if (t->kind > T_SUFFIX_NO)
      goto invalid;
    advance(c, 1);
    size_t n = span(c, is_lower);
    t->val = c->p;
    t->val_len = n;
    advance(c, n);
    t->suffix = suffix_rank(t->val, n);
    if (t->suffix == S_INVALID)
      goto invalid;
    t->kind = T_SUFFIX;
    return;
  }
  case '~': {
    if (t->kind >= T_COMMIT_HASH)
      goto invalid;
    advance(c, 1);
    size_t n = span(c, is_lower_hex);
    if (n == 0)
      goto invalid;
    t->val = c->p;
    t->val_len = n;
    advance(c, n);
    t->kind = T_COMMIT_HASH;
    return;
  }
  case '-':
    if (t->kind >= T_REVISION_NO || c->len < 2 || c->p[1] != 'r')
      goto invalid;
    advance(c, 2);
    t->kind = T_REVISION_NO;
    parse_digits(t, c);
    return;
  default:
    break;
  }
invalid:
  t->kind = T_INVALID;
}

/* memcmp on the common prefix, then the shorter first (apk_blob_sort). */
static int blob_sort(const char *a, size_t alen, const char *b, size_t blen)
{
  int r = memcmp(a, b, alen < blen ? alen : blen);
  if (r != 0)
    return r < 0 ? -1 : 1;
  return (alen > blen) - (alen < blen);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
  return (a > b) - (a < b);
}

static int token_cmp(const struct token *a, const struct token *b)
{
  switch (a->kind) {
  case T_DIGIT:
    /* A leading zero after a dot compares as a string (Gentoo's rule:
     * 1.01 < 1.1, 1.0 < 1.00). */
    if (a->val[0] == '0' || b->val[0] == '0')
      return blob_sort(a->val, a->val_len, b->val, b->val_len);
    return cmp_u64(a->number, b->number);
  case T_INITIAL_DIGIT:
  case T_SUFFIX_NO:
  case T_REVISION_NO:
    return cmp_u64(a->number, b->number);
  case T_LETTER:
    return (a->val[0] > b->val[0]) - (a->val[0] < b->val[0]);
  case T_SUFFIX:
    return (a->suffix > b->suffix) - (a->suffix < b->suffix);
  default:
    return blob_sort(a->val, a->val_len, b->val, b->val_len);
  }
}

int pyoci_apk_version_cmp(const char *a, const char *b)
{
  struct cursor ca = {a, strlen(a)}, cb = {b, strlen(b)};
  struct token ta = {0}, tb = {0};
  for (token_first(&ta, &ca), token_first(&tb, &cb); ta.kind == tb.kind && ta.kind < T_END;
       token_next(&ta, &ca), token_next(&tb, &cb)) {
    int r = token_cmp(&ta, &tb);
    if (r != 0)
      return r;
  }
  if (ta.kind == tb.kind)
    return 0;
  if (ta.kind == T_SUFFIX && ta.suffix < S_NONE)
    return -1;
  if (tb.kind == T_SUFFIX && tb.suffix < S_NONE)
    return 1;
  return ta.kind > tb.kind ? -1 : 1;
}

int pyoci_apk_version_check(const char *v, pyoci_error_t **err)
{
  size_t len = strlen(v);
  if (len > PYOCI_VERSION_MAX)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid Alpine version '%.64s...': longer than %d bytes",
                                v, PYOCI_VERSION_MAX);
  struct cursor c = {v, len};
  struct token t = {0};
  for (token_first(&t, &c); t.kind < T_END; token_next(&t, &c))
    ;
  if (t.kind != T_END)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "invalid Alpine version '%s': bad syntax at offset %zu (expected "
                                "digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#})",
                                v, (size_t)(c.p - v));
  return 0;
}

const pyoci_verscheme_t pyoci_scheme_apk = {"apk", pyoci_apk_version_check, pyoci_apk_version_cmp};
