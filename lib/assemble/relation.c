/* Debian relation fields (Depends, Pre-Depends, Provides) as binary
 * Packages indexes write them (Debian Policy 7.1):
 *   group {"," group};  group = alt {"|" alt};
 *   alt = name [":" archqual] ["(" op version ")"]
 * Source-only syntax ("[amd64]", "<!nocheck>") is an error here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/vuln/vercmp.h"
#include "asm_int.h"

typedef struct {
  const char *s, *end, *what;
  pyoci_error_t **err;
} lex_t;

static void skip_ws(lex_t *l)
{
  while (l->s < l->end && (*l->s == ' ' || *l->s == '\t' || *l->s == '\n' || *l->s == '\r'))
    l->s++;
}

static int bad(lex_t *l, const char *why)
{
  size_t left = (size_t)(l->end - l->s);
  return pyoci_error_set_code(l->err, PYOCI_E_CORRUPT, 0, "%s: %s at '%.*s'", l->what, why, (int)(left > 40 ? 40 : left),
                              l->s);
}

static char *take(lex_t *l, bool (*ok)(char))
{
  const char *start = l->s;
  while (l->s < l->end && ok(*l->s))
    l->s++;
  if (l->s == start)
    return NULL;
  char *r = xstrndup(start, (size_t)(l->s - start));
  return r;
}

/* Policy 5.6.1: [a-z0-9][a-z0-9+.-]+ ; upper case tolerated in the wild. */
static bool name_char(char c)
{
  return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.' || c == '_';
}

static bool ver_char(char c)
{
  return isalnum((unsigned char)c) || strchr(".+-~:_", c) != NULL;
}

static int parse_op(lex_t *l, pyoci_relop_t *op)
{
  static const struct {
    const char *tok;
    pyoci_relop_t op;
  } ops[] = {{"<<", REL_LT}, {"<=", REL_LE}, {">=", REL_GE}, {">>", REL_GT}, {"=", REL_EQ}, {"<", REL_LE}, {">", REL_GE}};
  for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
    size_t n = strlen(ops[i].tok);
    if ((size_t)(l->end - l->s) >= n && memcmp(l->s, ops[i].tok, n) == 0) {
      l->s += n;
      *op = ops[i].op;
      return 0;
    }
  }
  return bad(l, "expected a relation operator");
}

static int parse_alt(lex_t *l, pyoci_rel_t *r)
{
  memset(r, 0, sizeof(*r));
  skip_ws(l);
  r->name = take(l, name_char);
  if (r->name == NULL)
    return bad(l, "expected a package name");
  if (l->s < l->end && *l->s == ':') {
    l->s++;
    r->arch = take(l, name_char);
    if (r->arch == NULL)
      return bad(l, "expected an architecture qualifier");
  }
  skip_ws(l);
  if (l->s < l->end && *l->s == '(') {
    l->s++;
    skip_ws(l);
    if (parse_op(l, &r->op) < 0)
      return -1;
    skip_ws(l);
    r->version = take(l, ver_char);
    if (r->version == NULL)
      return bad(l, "expected a version");
    if (pyoci_deb_version_check(r->version, l->err) < 0)
      return pyoci_error_prefix(l->err, "%s", l->what);
    skip_ws(l);
    if (l->s >= l->end || *l->s != ')')
      return bad(l, "expected ')'");
    l->s++;
    skip_ws(l);
  }
  if (l->s < l->end && (*l->s == '[' || *l->s == '<'))
    return bad(l, "architecture or profile restriction in a binary package relation");
  return 0;
}

static void free_group(pyoci_relgroup_t *g)
{
  for (size_t i = 0; i < g->n; i++) {
    free(g->alts[i].name);
    free(g->alts[i].arch);
    free(g->alts[i].version);
  }
  free(g->alts);
}

static int parse_group(lex_t *l, pyoci_relgroup_t *g)
{
  memset(g, 0, sizeof(*g));
  for (;;) {
    if (g->n >= 64)
      return bad(l, "more than 64 alternatives");
    pyoci_rel_t *na = xrealloc(g->alts, (g->n + 1) * sizeof(*na));
    g->alts = na;
    g->n++;
    if (parse_alt(l, &g->alts[g->n - 1]) < 0)
      return -1;
    if (l->s < l->end && *l->s == '|') {
      l->s++;
      continue;
    }
    return 0;
  }
}

int pyoci_rels_parse(const char *s, size_t len, const char *what, pyoci_rels_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (len > ASM_MAX_RELATION)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: relation field longer than %u bytes", what,
                                ASM_MAX_RELATION);
  lex_t l = {s, s + len, what, err};
  skip_ws(&l);
  if (l.s == l.end)
    return 0;
  for (;;) {
    pyoci_relgroup_t *ng = xrealloc(out->groups, (out->n + 1) * sizeof(*ng));
    out->groups = ng;
    out->n++;
    if (parse_group(&l, &out->groups[out->n - 1]) < 0) {
      pyoci_rels_free(out);
      return -1;
    }
    skip_ws(&l);
    if (l.s == l.end)
      return 0;
    if (*l.s != ',') {
      bad(&l, "expected ',' or '|'");
      pyoci_rels_free(out);
      return -1;
    }
    l.s++;
  }
}

void pyoci_rels_free(pyoci_rels_t *r)
{
  for (size_t i = 0; i < r->n; i++)
    free_group(&r->groups[i]);
  free(r->groups);
  memset(r, 0, sizeof(*r));
}

bool pyoci_rel_version_ok(pyoci_relop_t op, const char *want, const char *version)
{
  if (op == REL_ANY)
    return true;
  if (version == NULL)
    return false; /* an unversioned Provides never satisfies a versioned relation */
  int c = pyoci_deb_version_cmp(version, want);
  switch (op) {
  case REL_LT:
    return c < 0;
  case REL_LE:
    return c <= 0;
  case REL_EQ:
    return c == 0;
  case REL_GE:
    return c >= 0;
  case REL_GT:
    return c > 0;
  default:
    return true;
  }
}

void pyoci_rel_format(const pyoci_rel_t *r, strbuf_t *sb)
{
  static const char *const names[] = {"", "<<", "<=", "=", ">=", ">>"};
  strbuf_addstr(sb, r->name);
  if (r->arch)
    strbuf_addf(sb, ":%s", r->arch);
  if (r->op != REL_ANY)
    strbuf_addf(sb, " (%s %s)", names[r->op], r->version);
}
