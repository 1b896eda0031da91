/* PEP 440 versions, parsed and ordered exactly as pypa/packaging's
 * packaging.version.Version:
 *
 *   [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * with the spellings PEP 440 normalises: case-insensitive, '.', '-' or '_'
 * (or nothing) between parts, alpha/beta/c/pre/preview, post/rev/r and the
 * implicit post release "1.0-1", missing numbers meaning 0, surrounding
 * whitespace.  The parser follows packaging's regular expression, taking
 * each optional part greedily, which is the parse the regex engine finds.
 * Numbers are kept as digit strings, so any length compares exactly (Python
 * ints are unbounded too).  Only ASCII is accepted: Python's case-insensitive
 * matching of a few non-ASCII letters (Kelvin sign, long s) is not copied. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"
#include "vercmp.h"

#define MAX_SEGS (PYOCI_VERSION_MAX / 2 + 1)

struct num {
  const char *p; /* digits with leading zeros stripped; len 0 means 0 */
  size_t len;
};

struct pep440 {
  struct num epoch;
  struct num release[MAX_SEGS];
  size_t n_release;
  int pre; /* -1 none, else 0 a, 1 b, 2 rc */
  struct num pre_n;
  bool has_post;
  struct num post_n;
  bool has_dev;
  struct num dev_n;
  bool has_local;
  struct {
    bool numeric;
    const char *p; /* numeric: leading zeros stripped */
    size_t len;
  } local[MAX_SEGS];
  size_t n_local;
};

static const char *const pre_names[] = {"a", "b", "rc"};

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}
static bool is_alnum(char c)
{
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool is_sep(char c)
{
  return c == '.' || c == '-' || c == '_';
}
/* Python's str.isspace() restricted to ASCII. */
static bool is_pyspace(char c)
{
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}
static char lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive prefix match of word at s. */
static bool word_at(const char *s, const char *word)
{
  for (; *word; word++, s++)
    if (lower(*s) != *word)
      return false;
  return true;
}

/* Digits at *s, consumed; false when none. */
static bool take_num(const char **s, struct num *n)
{
  const char *p = *s;
  if (!is_digit(*p))
    return false;
  while (*p == '0')
    p++;
  n->p = p;
  while (is_digit(*p))
    p++;
  n->len = (size_t)(p - n->p);
  *s = p;
  return true;
}

/* Optional separator, a label from `labels` (longest spelling first where one
 * is a prefix of another), optional separator, optional number.  Returns the
 * label index or -1 (nothing consumed). */
static int take_labelled(const char **s, const char *const *labels, struct num *n)
{
  const char *p = *s;
  if (is_sep(*p))
    p++;
  for (int i = 0; labels[i] != NULL; i++) {
    if (!word_at(p, labels[i]))
      continue;
    p += strlen(labels[i]);
    if (is_sep(*p))
      p++;
    n->len = 0;
    take_num(&p, n);
    *s = p;
    return i;
  }
  return -1;
}

/* Spellings in the regex's order of preference, mapped to a/b/rc. */
static const char *const pre_spellings[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc", NULL};
static const int pre_kind[] = {0, 0, 1, 1, 2, 2, 2, 2};
static const char *const post_spellings[] = {"post", "rev", "r", NULL};
static const char *const dev_spellings[] = {"dev", NULL};

static bool parse(const char *s, struct pep440 *v)
{
  memset(v, 0, sizeof(*v));
  v->pre = -1;
  if (strlen(s) > PYOCI_VERSION_MAX)
    return false;
  while (is_pyspace(*s))
    s++;
  if (*s == 'v' || *s == 'V')
    s++;
  /* Epoch: digits followed by '!'. */
  const char *p = s;
  struct num n;
  if (take_num(&p, &n) && *p == '!') {
    v->epoch = n;
    s = p + 1;
  }
  if (!take_num(&s, &v->release[v->n_release++]))
    return false;
  while (*s == '.' && is_digit(s[1])) {
    s++;
    take_num(&s, &v->release[v->n_release++]);
  }
  int k = take_labelled(&s, pre_spellings, &v->pre_n);
  if (k >= 0)
    v->pre = pre_kind[k];
  /* Post: "-N", else [sep](post|rev|r)[sep][N]. */
  if (*s == '-' && is_digit(s[1])) {
    s++;
    take_num(&s, &v->post_n);
    v->has_post = true;
  } else if (take_labelled(&s, post_spellings, &v->post_n) >= 0) {
    v->has_post = true;
  }
  if (take_labelled(&s, dev_spellings, &v->dev_n) >= 0)
    v->has_dev = true;
  if (*s == '+') {
    v->has_local = true;
    do {
      s++;
      const char *seg = s;
      while (is_alnum(*s))
        s++;
      if (s == seg)
        return false;
      bool numeric = true;
      for (const char *q = seg; q < s; q++)
        numeric = numeric && is_digit(*q);
      if (numeric)
        while (seg < s - 1 && *seg == '0')
          seg++;
      v->local[v->n_local].numeric = numeric;
      v->local[v->n_local].p = seg;
      v->local[v->n_local].len = (size_t)(s - seg);
      v->n_local++;
    } while (is_sep(*s) && is_alnum(s[1]));
  }
  while (is_pyspace(*s))
    s++;
  return *s == '\0';
}

int pyoci_numstr_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  while (alen > 0 && *a == '0')
    a++, alen--;
  while (blen > 0 && *b == '0')
    b++, blen--;
  if (alen != blen)
    return alen < blen ? -1 : 1;
  if (alen == 0)
    return 0; /* both zero; a may be NULL, which memcmp must not see */
  int r = memcmp(a, b, alen);
  return (r > 0) - (r < 0);
}

static int num_cmp(struct num a, struct num b)
{
  return pyoci_numstr_cmp(a.p, a.len, b.p, b.len);
}

static bool num_is_zero(struct num a)
{
  return a.len == 0;
}

/* Rank for the pre-release slot of packaging's _cmpkey: -inf for a dev-only
 * release (1.0.dev0 < 1.0a0), the letter for a pre-release, +inf for none. */
static int pre_slot(const struct pep440 *v)
{
  if (v->pre < 0 && !v->has_post && v->has_dev)
    return -1;
  if (v->pre < 0)
    return 3;
  return v->pre;
}

static int cmp_parsed(const struct pep440 *a, const struct pep440 *b)
{
  int r = num_cmp(a->epoch, b->epoch);
  if (r)
    return r;
  /* Release, trailing zeros ignored: a missing segment counts as 0. */
  size_t na = a->n_release, nb = b->n_release;
  for (size_t i = 0; i < na || i < nb; i++) {
    struct num za = {"", 0};
    r = num_cmp(i < na ? a->release[i] : za, i < nb ? b->release[i] : za);
    if (r)
      return r;
  }
  int pa = pre_slot(a), pb = pre_slot(b);
  if (pa != pb)
    return pa < pb ? -1 : 1;
  if (a->pre >= 0 && (r = num_cmp(a->pre_n, b->pre_n)) != 0)
    return r;
  if (a->has_post != b->has_post)
    return a->has_post ? 1 : -1;
  if (a->has_post && (r = num_cmp(a->post_n, b->post_n)) != 0)
    return r;
  if (a->has_dev != b->has_dev)
    return a->has_dev ? -1 : 1;
  if (a->has_dev && (r = num_cmp(a->dev_n, b->dev_n)) != 0)
    return r;
  if (a->has_local != b->has_local)
    return a->has_local ? 1 : -1;
  for (size_t i = 0; i < a->n_local && i < b->n_local; i++) {
    const __typeof__(a->local[0]) *x = &a->local[i], *y = &b->local[i];
    if (x->numeric != y->numeric)
      return x->numeric ? 1 : -1; /* numbers sort after words */
    if (x->numeric) {
      r = pyoci_numstr_cmp(x->p, x->len, y->p, y->len);
    } else {
      size_t n = x->len < y->len ? x->len : y->len;
      r = 0;
      for (size_t j = 0; j < n && r == 0; j++)
        r = (unsigned char)lower(x->p[j]) - (unsigned char)lower(y->p[j]);
      if (r == 0)
        r = (x->len > y->len) - (x->len < y->len);
    }
    if (r)
      return r > 0 ? 1 : -1;
  }
  return (a->n_local > b->n_local) - (a->n_local < b->n_local);
}

int pyoci_pep440_check(const char *v, pyoci_error_t **err)
{
  struct pep440 *p = xmalloc(sizeof(*p));
  bool ok = parse(v, p);
  free(p);
  if (!ok)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid PEP 440 version '%.*s'", PYOCI_VERSION_MAX, v);
  return 0;
}

int pyoci_pep440_cmp(const char *a, const char *b)
{
  struct pep440 *pa = xmalloc(sizeof(*pa)), *pb = xmalloc(sizeof(*pb));
  bool va = parse(a, pa), vb = parse(b, pb);
  int r;
  /* Invalid strings sort before valid ones, bytewise among themselves: a
   * total order so that sorting never misbehaves. */
  if (!va || !vb)
    r = (!va && !vb) ? strcmp(a, b) : (va ? 1 : -1);
  else
    r = cmp_parsed(pa, pb);
  free(pa);
  free(pb);
  return (r > 0) - (r < 0);
}

static void add_num(strbuf_t *sb, struct num n)
{
  if (n.len == 0)
    strbuf_addch(sb, '0');
  else
    strbuf_add(sb, n.p, n.len);
}

char *pyoci_pep440_normalize(const char *v, pyoci_error_t **err)
{
  struct pep440 *p = xmalloc(sizeof(*p));
  if (p == NULL || !parse(v, p)) {
    free(p);
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "invalid PEP 440 version '%.*s'", PYOCI_VERSION_MAX, v);
    return NULL;
  }
  strbuf_t sb = STRBUF_INIT;
  if (!num_is_zero(p->epoch)) {
    add_num(&sb, p->epoch);
    strbuf_addch(&sb, '!');
  }
  for (size_t i = 0; i < p->n_release; i++) {
    if (i)
      strbuf_addch(&sb, '.');
    add_num(&sb, p->release[i]);
  }
  if (p->pre >= 0) {
    strbuf_addstr(&sb, pre_names[p->pre]);
    add_num(&sb, p->pre_n);
  }
  if (p->has_post) {
    strbuf_addstr(&sb, ".post");
    add_num(&sb, p->post_n);
  }
  if (p->has_dev) {
    strbuf_addstr(&sb, ".dev");
    add_num(&sb, p->dev_n);
  }
  for (size_t i = 0; i < p->n_local; i++) {
    strbuf_addch(&sb, i ? '.' : '+');
    for (size_t j = 0; j < p->local[i].len; j++)
      strbuf_addch(&sb, lower(p->local[i].p[j]));
  }
  free(p);
  return strbuf_detach(&sb);
}

char *pyoci_pep503_normalize(const char *name)
{
  strbuf_t sb = STRBUF_INIT;
  for (const char *s = name; *s;) {
    if (is_sep(*s)) {
      while (is_sep(*s))
        s++;
      strbuf_addch(&sb, '-');
      continue;
    }
    strbuf_addch(&sb, lower(*s));
    s++;
  }
  return strbuf_detach(&sb);
}

const pyoci_verscheme_t pyoci_scheme_pep440 = {"pep440", pyoci_pep440_check, pyoci_pep440_cmp};
