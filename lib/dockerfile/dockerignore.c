/* .dockerignore matching (moby/patternmatcher semantics).  Each pattern is
 * classified as patternmatcher does (exact, prefix "x**", suffix "**x", or
 * general); general patterns become a token list run by a small NFA, so a
 * match is linear in the path length whatever the pattern. */
#include "dockerignore.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/path.h"
#include "lib/util/strbuf.h"

enum { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };
enum { T_LIT, T_ANY1, T_STAR, T_DSTAR_SLASH, T_DSTAR_END, T_CLASS };

typedef struct {
  uint32_t lo, hi;
} range_t;

/* Units are code points, as in the Go regexp patternmatcher builds: '?'
 * matches one character, not one byte. */
typedef struct {
  int type;
  uint32_t c;       /* T_LIT */
  bool negated;     /* T_CLASS */
  range_t *ranges;  /* T_CLASS */
  size_t n_ranges;
} token_t;

typedef struct {
  char *cleaned;
  bool exclusion;
  int mtype;
  token_t *toks;
  size_t n_toks;
} pattern_t;

struct pyoci_ignore {
  pattern_t *p;
  size_t n;
  bool exclusions;
};

/* filepath.Match's syntax check: classes closed and well-formed, no
 * trailing backslash. */
static bool pattern_syntax_ok(const char *p)
{
  for (size_t i = 0; p[i]; i++) {
    if (p[i] == '\\') {
      if (p[++i] == '\0')
        return false;
    } else if (p[i] == '[') {
      i++;
      if (p[i] == '^')
        i++;
      int nrange = 0;
      for (;;) {
        if (p[i] == ']' && nrange > 0)
          break;
        for (int side = 0; side < 2; side++) {
          if (p[i] == '\0' || p[i] == '-' || p[i] == ']')
            return false;
          if (p[i] == '\\' && p[++i] == '\0')
            return false;
          i++;
          if (side == 0 && p[i] != '-')
            break;
          if (side == 0)
            i++;
        }
        nrange++;
      }
    }
  }
  return true;
}

/* One UTF-8 code point at s (invalid bytes become U+FFFD, one at a time). */
static uint32_t utf8_next(const char *s, size_t n, size_t *len)
{
  const unsigned char *u = (const unsigned char *)s;
  if (u[0] < 0x80 || n == 0) {
    *len = 1;
    return u[0];
  }
  size_t need = (u[0] & 0xE0) == 0xC0 ? 2 : (u[0] & 0xF0) == 0xE0 ? 3 : (u[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (need == 0 || need > n) {
    *len = 1;
    return 0xFFFD;
  }
  uint32_t cp = u[0] & (0x7F >> need);
  for (size_t i = 1; i < need; i++) {
    if ((u[i] & 0xC0) != 0x80) {
      *len = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (u[i] & 0x3F);
  }
  *len = need;
  return cp;
}

static uint32_t cp_at(const char *p, size_t *i)
{
  size_t l = 0;
  /* a code point is at most 4 bytes: strlen here made a 1 MiB pattern
   * quadratic (issue 9 item 4) */
  uint32_t c = utf8_next(p + *i, strnlen(p + *i, 4), &l);
  *i += l;
  return c;
}

static void push_tok(pattern_t *pt, token_t t)
{
  size_t n = pt->n_toks;
  if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) { /* capacity 8, 16, 32, ... */
    pt->toks = xrealloc(pt->toks, (n ? 2 * n : 8) * sizeof(*pt->toks));
  }
  pt->toks[pt->n_toks++] = t;
}

/* Read a [...] class starting after '['; returns the index after ']'. */
static size_t compile_class(const char *p, size_t i, token_t *t)
{
  t->type = T_CLASS;
  if (p[i] == '^') {
    t->negated = true;
    i++;
  }
  while (p[i] && p[i] != ']') {
    if (p[i] == '\\' && p[i + 1])
      i++;
    uint32_t lo = cp_at(p, &i), hi = lo;
    if (p[i] == '-' && p[i + 1] && p[i + 1] != ']') {
      i++;
      if (p[i] == '\\' && p[i + 1])
        i++;
      hi = cp_at(p, &i);
    }
    range_t *v = xrealloc(t->ranges, (t->n_ranges + 1) * sizeof(*v));
    v[t->n_ranges++] = (range_t){lo, hi};
    t->ranges = v;
  }
  return p[i] == ']' ? i + 1 : i;
}

static bool class_has(const token_t *t, uint32_t c)
{
  bool in = false;
  for (size_t k = 0; k < t->n_ranges && !in; k++)
    in = c >= t->ranges[k].lo && c <= t->ranges[k].hi;
  return in != t->negated;
}

/* patternmatcher's compile(): the match type and, for general patterns, the
 * tokens of the regular expression it would build. */
static void compile(pattern_t *pt)
{
  const char *p = pt->cleaned;
  int type = M_EXACT;
  size_t i = 0;
  for (int iter = 0; p[i]; iter++) {
    uint32_t ch = cp_at(p, &i);
    if (ch == '*') {
      if (p[i] == '*') {
        i++;
        if (p[i] == '/')
          i++;
        if (p[i] == '\0') {
          if (type == M_EXACT) {
            type = M_PREFIX;
          } else {
            push_tok(pt, (token_t){.type = T_DSTAR_END});
            type = M_REGEXP;
          }
        } else {
          push_tok(pt, (token_t){.type = T_DSTAR_SLASH});
          type = M_REGEXP;
        }
        if (iter == 0)
          type = M_SUFFIX;
      } else {
        push_tok(pt, (token_t){.type = T_STAR});
        type = M_REGEXP;
      }
    } else if (ch == '?') {
      push_tok(pt, (token_t){.type = T_ANY1});
      type = M_REGEXP;
    } else if (ch == '\\') {
      if (p[i]) {
        push_tok(pt, (token_t){.type = T_LIT, .c = cp_at(p, &i)});
        type = M_REGEXP;
      } else {
        push_tok(pt, (token_t){.type = T_LIT, .c = '\\'});
      }
    } else if (ch == '[') {
      token_t t = {0};
      i = compile_class(p, i, &t);
      push_tok(pt, t);
      type = M_REGEXP;
    } else {
      push_tok(pt, (token_t){.type = T_LIT, .c = ch});
    }
  }
  pt->mtype = type;
}

/* NFA over the tokens: state 2*i = before token i, 2*i+1 = inside the
 * optional "any run ending in a slash" of a T_DSTAR_SLASH token i. */
static bool nfa_match(const pattern_t *pt, const char *s, size_t n)
{
  size_t T = pt->n_toks, ns = 2 * (T + 1);
  bool stack_a[64], stack_b[64];
  bool *cur = ns <= 64 ? stack_a : xcalloc(ns, 1);
  bool *nxt = ns <= 64 ? stack_b : xcalloc(ns, 1);
  memset(cur, 0, ns);
  cur[0] = true;
  for (size_t pos = 0;;) {
    /* epsilon closure: optional tokens may be skipped */
    for (size_t i = 0; i < T; i++) {
      int ty = pt->toks[i].type;
      if (cur[2 * i] && (ty == T_STAR || ty == T_DSTAR_SLASH || ty == T_DSTAR_END))
        cur[2 * (i + 1)] = true;
    }
    if (pos == n)
      break;
    size_t clen = 0;
    uint32_t c = utf8_next(s + pos, n - pos, &clen);
    pos += clen;
    memset(nxt, 0, ns);
    bool any = false;
    for (size_t i = 0; i < T; i++) {
      const token_t *t = &pt->toks[i];
      if (cur[2 * i]) {
        switch (t->type) {
        case T_LIT:
          if (c == t->c)
            nxt[2 * (i + 1)] = any = true;
          break;
        case T_ANY1:
          if (c != '/')
            nxt[2 * (i + 1)] = any = true;
          break;
        case T_CLASS:
          if (class_has(t, c))
            nxt[2 * (i + 1)] = any = true;
          break;
        case T_STAR:
          if (c != '/')
            nxt[2 * i] = any = true;
          break;
        case T_DSTAR_END:
          nxt[2 * i] = any = true;
          break;
        case T_DSTAR_SLASH:
          nxt[2 * i + 1] = any = true;
          if (c == '/')
            nxt[2 * (i + 1)] = true;
          break;
        }
      }
      if (cur[2 * i + 1]) {
        nxt[2 * i + 1] = any = true;
        if (c == '/')
          nxt[2 * (i + 1)] = true;
      }
    }
    if (nxt[2 * T])
      any = true;
    bool *tmp = cur;
    cur = nxt;
    nxt = tmp;
    if (!any)
      break;
  }
  bool ok = cur[2 * T]; /* false as well when the run died before the end */
  if (ns > 64) {
    free(cur);
    free(nxt);
  }
  return ok;
}

static bool pattern_match(const pattern_t *pt, const char *path, size_t n)
{
  const char *c = pt->cleaned;
  size_t cl = strlen(c);
  switch (pt->mtype) {
  case M_EXACT:
    return n == cl && memcmp(path, c, n) == 0;
  case M_PREFIX:
    return n >= cl - 2 && memcmp(path, c, cl - 2) == 0;
  case M_SUFFIX: {
    const char *suf = c + 2;
    size_t sl = cl - 2;
    if (n >= sl && memcmp(path + n - sl, suf, sl) == 0)
      return true;
    /* "**" + "/foo" also matches "foo" */
    return sl > 0 && suf[0] == '/' && n == sl - 1 && memcmp(path, suf + 1, n) == 0;
  }
  default:
    return nfa_match(pt, path, n);
  }
}

static void pattern_release(pattern_t *pt)
{
  free(pt->cleaned);
  for (size_t i = 0; i < pt->n_toks; i++)
    free(pt->toks[i].ranges);
  free(pt->toks);
}

void pyoci_ignore_free(pyoci_ignore_t *ig)
{
  if (ig == NULL)
    return;
  for (size_t i = 0; i < ig->n; i++)
    pattern_release(&ig->p[i]);
  free(ig->p);
  free(ig);
}

static char *trim(const char *s, size_t len)
{
  while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\v' || *s == '\f')) {
    s++;
    len--;
  }
  while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n' ||
                 s[len - 1] == '\v' || s[len - 1] == '\f'))
    len--;
  char *r = xstrndup(s, len);
  return r;
}

/* patternmatcher.New for one pattern. */
static int add_pattern(pyoci_ignore_t *ig, const char *raw, const char *name, int line, pyoci_error_t **err)
{
  cleanup_free char *p = trim(raw, strlen(raw));
  if (*p == '\0')
    return 0;
  if (ig->n >= PYOCI_IGNORE_MAX_PATTERNS)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: too many patterns (limit %u)", name, line,
                                PYOCI_IGNORE_MAX_PATTERNS);
  pattern_t pt = {0};
  cleanup_free char *cleaned = pyoci_path_normalize(p, PYOCI_PATH_GO);
  const char *body = cleaned;
  if (body[0] == '!') {
    if (body[1] == '\0')
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: illegal exclusion pattern: \"!\"", name, line);
    pt.exclusion = true;
    ig->exclusions = true;
    body++;
  }
  if (!pattern_syntax_ok(body))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: syntax error in pattern: %s", name, line, p);
  pt.cleaned = xstrdup(body);
  compile(&pt);
  pattern_t *v = xrealloc(ig->p, (ig->n + 1) * sizeof(*v));
  v[ig->n++] = pt;
  ig->p = v;
  return 0;
}

static pyoci_ignore_t *ignore_alloc(void)
{
  pyoci_ignore_t *ig = xcalloc(1, sizeof(*ig));
  return ig;
}

pyoci_ignore_t *pyoci_ignore_new(const char *const *patterns, size_t n, pyoci_error_t **err)
{
  pyoci_ignore_t *ig = ignore_alloc();
  for (size_t i = 0; i < n; i++)
    if (add_pattern(ig, patterns[i], "patterns", (int)i + 1, err) < 0) {
      pyoci_ignore_free(ig);
      return NULL;
    }
  return ig;
}

/* ignorefile.ReadAll: comments, trimming, then '/'-relative cleaning. */
pyoci_ignore_t *pyoci_ignore_parse(const char *buf, size_t len, const char *name, pyoci_error_t **err)
{
  if (len > PYOCI_IGNORE_MAX_SIZE) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: %zu bytes is over the .dockerignore limit of %u bytes", name,
                         len, PYOCI_IGNORE_MAX_SIZE);
    return NULL;
  }
  if (memchr(buf, '\0', len) != NULL) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: NUL byte in ignore file", name);
    return NULL;
  }
  pyoci_ignore_t *ig = ignore_alloc();
  size_t pos = 0;
  if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;
  for (int line = 1; pos < len; line++) {
    const char *l = buf + pos;
    const char *nl = memchr(l, '\n', len - pos);
    size_t ll = nl ? (size_t)(nl - l) : len - pos;
    pos += ll + (nl ? 1 : 0);
    if (ll && l[0] == '#')
      continue;
    cleanup_free char *pat = trim(l, ll);
    if (*pat == '\0')
      continue;
    bool invert = pat[0] == '!';
    cleanup_free char *body = invert ? trim(pat + 1, strlen(pat + 1)) : xstrdup(pat);
    strbuf_t sb = STRBUF_INIT;
    if (invert)
      strbuf_addch(&sb, '!');
    if (*body) {
      cleanup_free char *c = pyoci_path_normalize(body, PYOCI_PATH_GO);
      strbuf_addstr(&sb, c[0] == '/' && c[1] ? c + 1 : c);
    }
    cleanup_free char *final = strbuf_detach(&sb);
    if (add_pattern(ig, final, name, line, err) < 0) {
      pyoci_ignore_free(ig);
      return NULL;
    }
  }
  return ig;
}

pyoci_ignore_t *pyoci_ignore_load(const char *context_dir, const char *dockerfile_path, char **used_path,
                                  pyoci_error_t **err)
{
  if (used_path)
    *used_path = NULL;
  cleanup_free char *beside = NULL;
  if (dockerfile_path)
    beside = xasprintf("%s.dockerignore", dockerfile_path);
  cleanup_free char *in_ctx = pyoci_path_join(context_dir, ".dockerignore");
  const char *candidates[] = {beside, in_ctx};
  for (size_t i = 0; i < 2; i++) {
    if (candidates[i] == NULL)
      continue;
    cleanup_free char *buf = NULL;
    size_t len = 0;
    cleanup_error pyoci_error_t *e = NULL;
    if (pyoci_read_file(candidates[i], PYOCI_IGNORE_MAX_SIZE, &buf, &len, &e) < 0) {
      if (e->errno_value == ENOENT)
        continue;
      pyoci_error_propagate(err, &e);
      return NULL;
    }
    pyoci_ignore_t *ig = pyoci_ignore_parse(buf, len, candidates[i], err);
    if (ig && used_path)
      *used_path = xstrdup(candidates[i]);
    return ig;
  }
  return ignore_alloc();
}

bool pyoci_ignore_match(const pyoci_ignore_t *ig, const char *relpath, bool is_dir)
{
  (void)is_dir;
  if (ig == NULL || ig->n == 0)
    return false;
  cleanup_free char *clean = pyoci_path_normalize(relpath, PYOCI_PATH_GO);
  const char *file = clean;
  while (*file == '/')
    file++;
  if (*file == '\0' || strcmp(file, ".") == 0)
    return false; /* the context root itself is never excluded */
  size_t n = strlen(file);
  const char *last_slash = strrchr(file, '/');
  size_t parent_len = last_slash ? (size_t)(last_slash - file) : 0;
  bool matched = false;
  for (size_t i = 0; i < ig->n; i++) {
    const pattern_t *pt = &ig->p[i];
    /* inclusions only matter while not matched, exclusions while matched */
    if (pt->exclusion != matched)
      continue;
    bool m = pattern_match(pt, file, n);
    /* then each parent directory, shortest first */
    for (size_t k = 0; !m && k < parent_len; k++)
      if (file[k] == '/')
        m = pattern_match(pt, file, k);
    if (!m && parent_len > 0)
      m = pattern_match(pt, file, parent_len);
    if (m)
      matched = !pt->exclusion;
  }
  return matched;
}

bool pyoci_ignore_dir_may_reinclude(const pyoci_ignore_t *ig, const char *reldir)
{
  if (ig == NULL || !ig->exclusions)
    return false;
  cleanup_free char *clean = pyoci_path_normalize(reldir, PYOCI_PATH_GO);
  const char *d = clean;
  while (*d == '/')
    d++;
  size_t dl = strlen(d);
  for (size_t i = 0; i < ig->n; i++) {
    const pattern_t *pt = &ig->p[i];
    if (!pt->exclusion)
      continue;
    /* patternWithoutTrailingGlob */
    size_t l = strlen(pt->cleaned);
    if (l >= 3 && strcmp(pt->cleaned + l - 3, "/**") == 0)
      l -= 3;
    else if (l >= 2 && strcmp(pt->cleaned + l - 2, "/*") == 0)
      l -= 2;
    if (strcspn(pt->cleaned, "*?[\\") < l)
      return true; /* wildcards: anything could be re-included */
    /* pattern + "/" starts with dir + "/" */
    if (l + 1 >= dl + 1 && memcmp(pt->cleaned, d, dl) == 0 && (l == dl || pt->cleaned[dl] == '/'))
      return true;
  }
  return false;
}

size_t pyoci_ignore_count(const pyoci_ignore_t *ig)
{
  return ig ? ig->n : 0;
}

const char *pyoci_ignore_pattern(const pyoci_ignore_t *ig, size_t i, bool *exclusion)
{
  if (ig == NULL || i >= ig->n)
    return NULL;
  if (exclusion)
    *exclusion = ig->p[i].exclusion;
  return ig->p[i].cleaned;
}
