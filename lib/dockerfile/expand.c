/* Dockerfile variable expansion: a byte-level port of the semantics of
 * BuildKit's shell lexer (frontend/dockerfile/shell/lex.go).  Special
 * characters are all ASCII, so working on bytes is safe for UTF-8 input;
 * variable names are ASCII letters, digits and '_'. */
#include "expand.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

/* ---- environment ------------------------------------------------------ */

/* Up to this many entries a lookup scans kv; past it, e->index (key ->
 * position in kv) answers: a Dockerfile with N ENVs sets N variables, and a
 * scan per set made that N^2 (issue 9 item 4). */
#define ENV_LINEAR_MAX 8

static bool key_is(const char *kv, const char *key, size_t klen)
{
  return strncmp(kv, key, klen) == 0 && kv[klen] == '=';
}

static size_t key_len(const char *kv)
{
  return strcspn(kv, "=");
}

static void index_add(pyoci_env_t *e, size_t i)
{
  cleanup_free char *key = xstrndup(e->kv[i], key_len(e->kv[i]));
  pyoci_strmap_insert(&e->index, key, NULL)->val.num = i;
}

static void index_build(pyoci_env_t *e)
{
  pyoci_strmap_clear(&e->index, NULL);
  for (size_t i = 0; i < e->n; i++)
    index_add(e, i);
}

static ssize_t env_find(const pyoci_env_t *e, const char *key, size_t klen)
{
  if (e->n <= ENV_LINEAR_MAX) {
    for (size_t i = 0; i < e->n; i++)
      if (key_is(e->kv[i], key, klen))
        return (ssize_t)i;
    return -1;
  }
  cleanup_free char *copy = key[klen] == '\0' ? NULL : xstrndup(key, klen);
  const pyoci_strmap_slot_t *s = pyoci_strmap_find(&e->index, copy ? copy : key);
  return s ? (ssize_t)s->val.num : -1;
}

static void env_put(pyoci_env_t *e, const char *key, size_t klen, char *owned_kv)
{
  ssize_t i = env_find(e, key, klen);
  if (i >= 0) {
    free(e->kv[i]);
    e->kv[i] = owned_kv;
    return;
  }
  ALLOC_GROW(e->kv, e->n + 2, e->cap);
  e->kv[e->n++] = owned_kv;
  e->kv[e->n] = NULL;
  if (e->n == ENV_LINEAR_MAX + 1)
    index_build(e);
  else if (e->n > ENV_LINEAR_MAX)
    index_add(e, e->n - 1);
}

void pyoci_env_set(pyoci_env_t *e, const char *key, const char *value)
{
  char *kv = NULL;
  kv = xasprintf("%s=%s", key, value ? value : "");
  env_put(e, key, strlen(key), kv);
}

void pyoci_env_set_kv(pyoci_env_t *e, const char *kv)
{
  const char *eq = strchr(kv, '=');
  if (eq == NULL) {
    pyoci_env_set(e, kv, "");
    return;
  }
  char *copy = xstrdup(kv);
  env_put(e, kv, (size_t)(eq - kv), copy);
}

const char *pyoci_env_get(const pyoci_env_t *e, const char *key)
{
  if (e == NULL)
    return NULL;
  size_t klen = strlen(key);
  ssize_t i = env_find(e, key, klen);
  return i < 0 ? NULL : e->kv[i] + klen + 1;
}

void pyoci_env_unset(pyoci_env_t *e, const char *key)
{
  ssize_t i = env_find(e, key, strlen(key));
  if (i < 0)
    return;
  free(e->kv[i]);
  memmove(&e->kv[i], &e->kv[i + 1], (e->n - (size_t)i) * sizeof(char *)); /* includes the NULL */
  e->n--;
  /* later entries moved down; unset is rare (ARG scoping) */
  if (e->n > ENV_LINEAR_MAX)
    index_build(e);
  else
    pyoci_strmap_clear(&e->index, NULL);
}

void pyoci_env_release(pyoci_env_t *e)
{
  for (size_t i = 0; i < e->n; i++)
    free(e->kv[i]);
  free(e->kv);
  pyoci_strmap_clear(&e->index, NULL);
  e->kv = NULL;
  e->n = e->cap = 0;
}

void pyoci_env_copy(pyoci_env_t *dst, const pyoci_env_t *src)
{
  pyoci_env_release(dst);
  pyoci_env_merge(dst, src);
}

void pyoci_env_merge(pyoci_env_t *dst, const pyoci_env_t *src)
{
  for (size_t i = 0; src != NULL && i < src->n; i++)
    pyoci_env_set_kv(dst, src->kv[i]);
}

/* ---- lexer ------------------------------------------------------------ */

#define LEX_EOF (-1)
#define LEX_MAX_DEPTH 64

typedef struct {
  const char *s;
  size_t pos, len;
  const pyoci_lex_opts_t *o;
  const pyoci_env_t *env;
  bool raw_escapes;
  int depth;
  char *errmsg; /* first failure, without the "failed to process" wrapper */
} lexer_t;

/* Words being split at unquoted whitespace, as BuildKit's wordsStruct. */
typedef struct {
  strbuf_t word;
  char **v;
  size_t n, cap;
  bool in_word;
} words_t;

static int lx_fail(lexer_t *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int lx_fail(lexer_t *lx, const char *fmt, ...)
{
  if (lx->errmsg == NULL) {
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&lx->errmsg, fmt, ap) < 0)
      lx->errmsg = NULL;
    va_end(ap);
  }
  return -1;
}

static int peek(const lexer_t *lx)
{
  return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : LEX_EOF;
}

static int next(lexer_t *lx)
{
  return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos++] : LEX_EOF;
}

static bool is_space(int c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_alnum(int c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void words_push(words_t *w)
{
  if (w->n + 2 > w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 8;
    char **v = xrealloc(w->v, cap * sizeof(*v));
    w->v = v;
    w->cap = cap;
  }
  w->v[w->n++] = strbuf_detach(&w->word);
  w->v[w->n] = NULL;
  w->in_word = false;
}

static void words_raw_char(words_t *w, int c)
{
  if (w == NULL)
    return;
  strbuf_addch(&w->word, (char)c);
  w->in_word = true;
}

static void words_char(words_t *w, int c)
{
  if (w == NULL)
    return;
  if (is_space(c)) {
    if (w->in_word && w->word.len != 0)
      words_push(w);
  } else {
    words_raw_char(w, c);
  }
}

static void words_raw_string(words_t *w, const char *s, size_t len)
{
  if (w == NULL)
    return;
  strbuf_add(&w->word, s, len);
  w->in_word = true;
}

static void words_string(words_t *w, const char *s, size_t len)
{
  for (size_t i = 0; w != NULL && i < len; i++)
    words_char(w, (unsigned char)s[i]);
}

static void words_release(words_t *w)
{
  strbuf_release(&w->word);
  for (size_t i = 0; i < w->n; i++)
    free(w->v[i]);
  free(w->v);
  memset(w, 0, sizeof(*w));
}

static int check_size(lexer_t *lx, const strbuf_t *sb)
{
  if (sb->len > PYOCI_EXPAND_MAX)
    return lx_fail(lx, "expansion result exceeds %u bytes", PYOCI_EXPAND_MAX);
  return 0;
}

static int process_stop_on(lexer_t *lx, int stop, bool raw_escapes, strbuf_t *out, words_t *words);
static int process_dollar(lexer_t *lx, strbuf_t *out);

static int process_single_quote(lexer_t *lx, strbuf_t *out)
{
  int ch = next(lx);
  if (lx->o->raw_quotes)
    strbuf_addch(out, (char)ch);
  for (;;) {
    ch = next(lx);
    if (ch == LEX_EOF)
      return lx_fail(lx, "unexpected end of statement while looking for matching single-quote");
    if (ch == '\'') {
      if (lx->o->raw_quotes)
        strbuf_addch(out, (char)ch);
      return 0;
    }
    strbuf_addch(out, (char)ch);
  }
}

static int process_double_quote(lexer_t *lx, strbuf_t *out)
{
  int ch = next(lx);
  if (lx->o->raw_quotes)
    strbuf_addch(out, (char)ch);
  for (;;) {
    int c = peek(lx);
    if (c == LEX_EOF)
      return lx_fail(lx, "unexpected end of statement while looking for matching double-quote");
    if (c == '"') {
      next(lx);
      if (lx->o->raw_quotes)
        strbuf_addch(out, '"');
      return 0;
    }
    if (c == '$') {
      if (process_dollar(lx, out) < 0)
        return -1;
      if (check_size(lx, out) < 0)
        return -1;
      continue;
    }
    ch = next(lx);
    if (ch == lx->o->escape) {
      if (lx->raw_escapes)
        strbuf_addch(out, (char)ch);
      int p = peek(lx);
      if (p == LEX_EOF)
        continue; /* a trailing escape is dropped */
      /* only ", $ and the escape itself can be escaped; others stay literal */
      if (p == '"' || p == '$' || p == lx->o->escape)
        ch = next(lx);
    }
    strbuf_addch(out, (char)ch);
  }
}

/* $name: digits as a whole, one special parameter, or [A-Za-z0-9_]+. */
static void process_name(lexer_t *lx, strbuf_t *name)
{
  while (peek(lx) != LEX_EOF) {
    int ch = peek(lx);
    if (name->len == 0 && ch >= '0' && ch <= '9') {
      while (peek(lx) >= '0' && peek(lx) <= '9')
        strbuf_addch(name, (char)next(lx));
      return;
    }
    if (name->len == 0 && strchr("@*#?-$!0", ch) != NULL) {
      strbuf_addch(name, (char)next(lx));
      return;
    }
    if (!is_alnum(ch) && ch != '_')
      return;
    strbuf_addch(name, (char)next(lx));
  }
}

/* ---- shell patterns for ${v#p} ${v%p} ${v/p/r} ------------------------- */

typedef struct {
  char *lit; /* literal byte per position, or 0 for a wildcard */
  char *kind; /* 'l' literal, '?' one byte, '*' any run */
  size_t n;
} pattern_t;

static void pattern_release(pattern_t *p)
{
  free(p->lit);
  free(p->kind);
}

static int pattern_compile(lexer_t *lx, const char *src, pattern_t *p)
{
  size_t len = strlen(src);
  p->lit = xcalloc(len + 1, 1);
  p->kind = xcalloc(len + 1, 1);
  p->n = 0;
  for (size_t i = 0; i < len; i++) {
    char c = src[i];
    if (c == '*' || c == '?') {
      p->kind[p->n++] = c;
      continue;
    }
    if (c == '\\') {
      /* "\}" and "\/" belong to the ${...} syntax, not the pattern */
      if (i + 1 < len && (src[i + 1] == '}' || src[i + 1] == '/'))
        continue;
      if (i + 1 >= len || (src[i + 1] != '*' && src[i + 1] != '?' && src[i + 1] != '\\'))
        return lx_fail(lx, "invalid pattern (%s) in substitution: invalid escape '\\%c'", src,
                       i + 1 < len ? src[i + 1] : ' ');
      c = src[++i];
    }
    p->kind[p->n] = 'l';
    p->lit[p->n++] = c;
  }
  return 0;
}

/* Whole-string match of s[0..n) against the pattern, O(n*m) with the
 * classic single backtrack point. */
static bool pattern_match(const pattern_t *p, const char *s, size_t n)
{
  size_t pi = 0, si = 0, star_p = (size_t)-1, star_s = 0;
  while (si < n) {
    if (pi < p->n && p->kind[pi] == '*') {
      star_p = pi++;
      star_s = si;
    } else if (pi < p->n && (p->kind[pi] == '?' || p->lit[pi] == s[si])) {
      pi++;
      si++;
    } else if (star_p != (size_t)-1) {
      pi = star_p + 1;
      si = ++star_s;
    } else {
      return false;
    }
  }
  while (pi < p->n && p->kind[pi] == '*')
    pi++;
  return pi == p->n;
}

static int trim_pattern(lexer_t *lx, const char *pat, const char *value, bool suffix, bool longest, strbuf_t *out)
{
  pattern_t p;
  if (pattern_compile(lx, pat, &p) < 0) {
    pattern_release(&p);
    return -1;
  }
  size_t n = strlen(value);
  for (size_t k = 0; k <= n; k++) {
    size_t l = longest ? n - k : k;
    const char *part = suffix ? value + n - l : value;
    if (pattern_match(&p, part, l)) {
      if (suffix)
        strbuf_add(out, value, n - l);
      else
        strbuf_addstr(out, value + l);
      pattern_release(&p);
      return 0;
    }
  }
  strbuf_addstr(out, value);
  pattern_release(&p);
  return 0;
}

/* ${v/pat/repl}: leftmost, longest match; // replaces every match. */
static int replace_pattern(lexer_t *lx, const char *pat, const char *repl, const char *value, bool all,
                           strbuf_t *out)
{
  pattern_t p;
  if (pattern_compile(lx, pat, &p) < 0) {
    pattern_release(&p);
    return -1;
  }
  size_t n = strlen(value), pos = 0;
  bool done = false;
  while (pos <= n) {
    size_t end = (size_t)-1;
    if (!done)
      for (size_t j = n + 1; j-- > pos;)
        if (pattern_match(&p, value + pos, j - pos)) {
          end = j;
          break;
        }
    if (end == (size_t)-1) {
      if (pos < n)
        strbuf_addch(out, value[pos]);
      pos++;
      continue;
    }
    strbuf_addstr(out, repl);
    if (!all)
      done = true;
    if (end == pos) {
      if (pos < n)
        strbuf_addch(out, value[pos]);
      pos++;
    } else {
      pos = end;
      if (pos == n)
        break; /* no empty match right after a match */
    }
  }
  pattern_release(&p);
  return 0;
}

/* ---- $ ----------------------------------------------------------------- */

static int braced_word(lexer_t *lx, int stop, bool raw, char **out)
{
  cleanup_strbuf strbuf_t w = STRBUF_INIT;
  if (process_stop_on(lx, stop, raw, &w, NULL) < 0) {
    if (peek(lx) == LEX_EOF) {
      free(lx->errmsg);
      lx->errmsg = NULL;
      return lx_fail(lx, stop == '/' ? "syntax error: missing '/' in ${}" : "syntax error: missing '}'");
    }
    return -1;
  }
  *out = strbuf_detach(&w);
  return 0;
}

static int process_dollar_braced(lexer_t *lx, strbuf_t *out)
{
  next(lx); /* '{' */
  int c = peek(lx);
  if (c == LEX_EOF)
    return lx_fail(lx, "syntax error: missing '}'");
  if (c == '{' || c == '}' || c == ':')
    return lx_fail(lx, "syntax error: bad substitution");
  cleanup_strbuf strbuf_t name = STRBUF_INIT;
  process_name(lx, &name);
  const char *value = pyoci_env_get(lx->env, strbuf_str(&name));
  int ch = next(lx);
  char chs[3] = {(char)ch, 0, 0};
  bool null_is_unset = false;
  switch (ch) {
  case '}':
    if (value == NULL && lx->o->skip_unset)
      strbuf_addf(out, "${%s}", strbuf_str(&name));
    else
      strbuf_addstr(out, value ? value : "");
    return 0;
  case LEX_EOF:
    return lx_fail(lx, "syntax error: missing '}'");
  case '/': {
    bool all = peek(lx) == '/';
    if (all)
      next(lx);
    cleanup_free char *pat = NULL;
    cleanup_free char *repl = NULL;
    if (braced_word(lx, '/', true, &pat) < 0 || braced_word(lx, '}', true, &repl) < 0)
      return -1;
    if (value == NULL && lx->o->skip_unset) {
      strbuf_addf(out, "${%s/%s/%s}", strbuf_str(&name), pat, repl);
      return 0;
    }
    return replace_pattern(lx, pat, repl, value ? value : "", all, out);
  }
  case ':':
    null_is_unset = true;
    ch = next(lx);
    chs[1] = ch == LEX_EOF ? 0 : (char)ch;
    break;
  case '+':
  case '-':
  case '?':
  case '#':
  case '%':
    break;
  default:
    return lx_fail(lx, "unsupported modifier (%s) in substitution", chs);
  }
  cleanup_free char *word = NULL;
  if (braced_word(lx, '}', ch == '#' || ch == '%', &word) < 0)
    return -1;
  if (value == NULL && lx->o->skip_unset) {
    strbuf_addf(out, "${%s%s%s}", strbuf_str(&name), chs, word);
    return 0;
  }
  bool empty = value == NULL || (null_is_unset && value[0] == '\0');
  switch (ch) {
  case '-':
    strbuf_addstr(out, empty ? word : value);
    return 0;
  case '+':
    strbuf_addstr(out, empty ? "" : word);
    return 0;
  case '?':
    if (value == NULL)
      return lx_fail(lx, "%s: %s", strbuf_str(&name), word[0] ? word : "is not allowed to be unset");
    if (empty)
      return lx_fail(lx, "%s: %s", strbuf_str(&name), word[0] ? word : "is not allowed to be empty");
    strbuf_addstr(out, value);
    return 0;
  case '#':
  case '%': {
    /* #/% strip the shortest match, ##/%% the longest */
    bool longest = word[0] == (char)ch;
    return trim_pattern(lx, word + (longest ? 1 : 0), value ? value : "", ch == '%', longest, out);
  }
  default:
    return lx_fail(lx, "unsupported modifier (%s) in substitution", chs);
  }
}

static int process_dollar(lexer_t *lx, strbuf_t *out)
{
  if (++lx->depth > LEX_MAX_DEPTH) {
    lx->depth--;
    return lx_fail(lx, "substitutions nested too deeply");
  }
  int ret = 0;
  next(lx); /* '$' */
  if (peek(lx) == '{') {
    ret = process_dollar_braced(lx, out);
  } else {
    cleanup_strbuf strbuf_t name = STRBUF_INIT;
    process_name(lx, &name);
    if (name.len == 0) {
      strbuf_addch(out, '$');
    } else {
      const char *value = pyoci_env_get(lx->env, name.buf);
      if (value == NULL && lx->o->skip_unset)
        strbuf_addf(out, "$%s", name.buf);
      else
        strbuf_addstr(out, value ? value : "");
    }
  }
  lx->depth--;
  return ret;
}

static int process_stop_on(lexer_t *lx, int stop, bool raw_escapes, strbuf_t *out, words_t *words)
{
  bool saved_raw = lx->raw_escapes;
  lx->raw_escapes = raw_escapes;
  int ret = -1;
  while (peek(lx) != LEX_EOF) {
    int ch = peek(lx);
    if (stop != LEX_EOF && ch == stop) {
      next(lx);
      ret = 0;
      goto out;
    }
    bool quote = !lx->o->skip_process_quotes && (ch == '\'' || ch == '"');
    if (ch == '$' || quote) {
      cleanup_strbuf strbuf_t tmp = STRBUF_INIT;
      int r = ch == '$' ? process_dollar(lx, &tmp)
                        : ch == '\'' ? process_single_quote(lx, &tmp) : process_double_quote(lx, &tmp);
      if (r < 0)
        goto out;
      strbuf_add(out, tmp.buf ? tmp.buf : "", tmp.len);
      if (ch == '$')
        words_string(words, strbuf_str(&tmp), tmp.len);
      else
        words_raw_string(words, strbuf_str(&tmp), tmp.len);
    } else {
      ch = next(lx);
      if (ch == lx->o->escape) {
        if (lx->raw_escapes) {
          words_raw_char(words, ch);
          strbuf_addch(out, (char)ch);
        }
        ch = next(lx);
        if (ch == LEX_EOF)
          break; /* a trailing escape is dropped */
        words_raw_char(words, ch);
      } else {
        words_char(words, ch);
      }
      strbuf_addch(out, (char)ch);
    }
    if (check_size(lx, out) < 0)
      goto out;
  }
  if (stop != LEX_EOF) {
    lx_fail(lx, "unexpected end of statement while looking for matching %c", stop);
    goto out;
  }
  ret = 0;
out:
  lx->raw_escapes = saved_raw;
  return ret;
}

/* A short, single-line rendering of the input for error messages. */
static char *excerpt(const char *s)
{
  strbuf_t sb = STRBUF_INIT;
  size_t i;
  for (i = 0; s[i] && i < 120; i++) {
    if (s[i] == '\n')
      strbuf_addstr(&sb, "\\n");
    else if ((unsigned char)s[i] < 0x20)
      strbuf_addch(&sb, '?');
    else
      strbuf_addch(&sb, s[i]);
  }
  if (s[i])
    strbuf_addstr(&sb, "...");
  return strbuf_detach(&sb);
}

int pyoci_lex(const char *word, const pyoci_lex_opts_t *opts, const pyoci_env_t *env, char **result,
              char ***words, size_t *n_words, pyoci_error_t **err)
{
  pyoci_lex_opts_t def = {.escape = '\\'};
  lexer_t lx = {.s = word, .len = strlen(word), .o = opts ? opts : &def, .env = env};
  lx.raw_escapes = lx.o->raw_escapes;
  cleanup_strbuf strbuf_t out = STRBUF_INIT;
  words_t w = {.word = STRBUF_INIT};
  if (process_stop_on(&lx, LEX_EOF, lx.raw_escapes, &out, words ? &w : NULL) < 0) {
    cleanup_free char *ex = excerpt(word);
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "failed to process \"%s\": %s", ex,
                         lx.errmsg ? lx.errmsg : "out of memory");
    free(lx.errmsg);
    words_release(&w);
    return -1;
  }
  if (words != NULL) {
    if (w.word.len > 0)
      words_push(&w);
    if (w.v == NULL) {
      w.v = xcalloc(1, sizeof(char *));
    }
    *words = w.v;
    if (n_words)
      *n_words = w.n;
    w.v = NULL;
    w.n = 0;
  }
  words_release(&w);
  if (result != NULL)
    *result = strbuf_detach(&out);
  return 0;
}

char *pyoci_expand_word(const char *word, char escape, const pyoci_env_t *env, pyoci_error_t **err)
{
  pyoci_lex_opts_t o = {.escape = escape ? escape : '\\'};
  char *res = NULL;
  if (pyoci_lex(word, &o, env, &res, NULL, NULL, err) < 0)
    return NULL;
  return res;
}

int pyoci_expand_words(const char *word, char escape, const pyoci_env_t *env, char ***words, size_t *n,
                       pyoci_error_t **err)
{
  pyoci_lex_opts_t o = {.escape = escape ? escape : '\\'};
  return pyoci_lex(word, &o, env, NULL, words, n, err);
}

char *pyoci_expand_heredoc(const char *body, const pyoci_env_t *env, pyoci_error_t **err)
{
  pyoci_lex_opts_t o = {.escape = '\\', .skip_process_quotes = true};
  char *res = NULL;
  if (pyoci_lex(body, &o, env, &res, NULL, NULL, err) < 0)
    return NULL;
  return res;
}
