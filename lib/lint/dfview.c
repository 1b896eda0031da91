/* STOPGAP line-level Dockerfile reader for the checks (see dfview.h): swap
 * it for the real parser once lib/build/dockerfile.h is on main. */
#include "dfview.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/cleanup.h"
#include "../util/strbuf.h"

struct lines {
  const char *text;
  size_t len, pos;
  int lineno; /* number of the line last returned */
};

/* Next line without its terminator ("\n" or "\r\n"); false at the end. */
static bool next_line(struct lines *l, const char **s, size_t *n)
{
  if (l->pos >= l->len)
    return false;
  const char *start = l->text + l->pos;
  const char *nl = memchr(start, '\n', l->len - l->pos);
  size_t n0 = nl ? (size_t)(nl - start) : l->len - l->pos;
  l->pos += n0 + (nl ? 1 : 0);
  if (n0 > 0 && start[n0 - 1] == '\r')
    n0--;
  *s = start;
  *n = n0;
  l->lineno++;
  return true;
}

static void trim(const char **s, size_t *n)
{
  while (*n > 0 && isspace((unsigned char)**s)) {
    (*s)++;
    (*n)--;
  }
  while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
    (*n)--;
}

static char **strv_push(char **v, size_t *n, char *s)
{
  v = realloc(v, (*n + 2) * sizeof(char *));
  if (v == NULL)
    abort();
  v[(*n)++] = s;
  v[*n] = NULL;
  return v;
}

static char **strv_empty(void)
{
  char **v = calloc(1, sizeof(char *));
  if (v == NULL)
    abort();
  return v;
}

/* "# escape=`" and friends, before anything else in the file. */
static bool parse_directive(const char *s, size_t n, char *escape)
{
  trim(&s, &n);
  if (n == 0 || s[0] != '#')
    return false;
  s++, n--;
  trim(&s, &n);
  const char *eq = memchr(s, '=', n);
  if (eq == NULL)
    return false;
  size_t kn = (size_t)(eq - s);
  for (size_t i = 0; i < kn; i++)
    if (!isalpha((unsigned char)s[i]))
      return false;
  const char *v = eq + 1;
  size_t vn = n - kn - 1;
  trim(&v, &vn);
  if (kn == 6 && strncasecmp(s, "escape", 6) == 0 && vn == 1 && (v[0] == '`' || v[0] == '\\'))
    *escape = v[0];
  return true;
}

/* Heredoc markers in args ("<<EOF", "<<-'END'"): read each body from the
 * following lines and append it to body.  Returns the number read. */
static int read_heredocs(const char *args, struct lines *l, strbuf_t *body)
{
  int count = 0;
  for (const char *p = args; (p = strstr(p, "<<")) != NULL && count < 16;) {
    p += 2;
    bool strip_tabs = *p == '-';
    if (strip_tabs)
      p++;
    char q = (*p == '"' || *p == '\'') ? *p++ : 0;
    const char *w = p;
    while (isalnum((unsigned char)*p) || *p == '_')
      p++;
    size_t wn = (size_t)(p - w);
    if (wn == 0 || isdigit((unsigned char)w[0]) || (q && *p != q))
      continue;
    count++;
    const char *s;
    size_t n;
    while (next_line(l, &s, &n)) {
      const char *t = s;
      size_t tn = n;
      while (strip_tabs && tn > 0 && *t == '\t')
        t++, tn--;
      if (tn == wn && memcmp(t, w, wn) == 0)
        break;
      strbuf_addch(body, '\n');
      strbuf_add(body, s, n);
    }
  }
  return count;
}

static void split_words(lint_instr_t *in)
{
  size_t n = 0;
  in->argv = strv_empty();
  for (const char *p = in->args; *p;) {
    while (*p && isspace((unsigned char)*p))
      p++;
    const char *w = p;
    while (*p && !isspace((unsigned char)*p))
      p++;
    if (p > w)
      in->argv = strv_push(in->argv, &n, strndup(w, (size_t)(p - w)));
  }
}

static void parse_json_form(lint_instr_t *in)
{
  json_error_t je;
  json_t *a = json_loads(in->args, JSON_REJECT_DUPLICATES, &je);
  bool all_strings = json_is_array(a);
  for (size_t i = 0; all_strings && i < json_array_size(a); i++)
    all_strings = json_is_string(json_array_get(a, i));
  if (all_strings) {
    size_t n = 0;
    in->json = true;
    in->argv = strv_empty();
    for (size_t i = 0; i < json_array_size(a); i++)
      in->argv = strv_push(in->argv, &n, strdup(json_string_value(json_array_get(a, i))));
  } else {
    split_words(in);
  }
  json_decref(a);
}

/* Build one instruction from its joined logical line. */
static void make_instr(lint_instr_t *in, const char *s, size_t n, struct lines *l)
{
  const char *p = s, *end = s + n;
  while (p < end && !isspace((unsigned char)*p))
    p++;
  in->cmd = strndup(s, (size_t)(p - s));
  for (char *c = in->cmd; *c; c++)
    *c = (char)toupper((unsigned char)*c);
  size_t nf = 0;
  in->flags = strv_empty();
  for (;;) {
    while (p < end && isspace((unsigned char)*p))
      p++;
    if (end - p < 3 || p[0] != '-' || p[1] != '-' || isspace((unsigned char)p[2]))
      break;
    const char *f = p;
    while (p < end && !isspace((unsigned char)*p))
      p++;
    in->flags = strv_push(in->flags, &nf, strndup(f, (size_t)(p - f)));
  }
  cleanup_strbuf strbuf_t args = STRBUF_INIT;
  const char *a = p;
  size_t an = (size_t)(end - p);
  trim(&a, &an);
  strbuf_add(&args, a, an);
  if (strcmp(in->cmd, "RUN") == 0 || strcmp(in->cmd, "COPY") == 0 || strcmp(in->cmd, "ADD") == 0) {
    cleanup_free char *head = strdup(strbuf_str(&args));
    read_heredocs(head, l, &args);
  }
  in->args = strbuf_detach(&args);
  in->end_line = l->lineno;
  if (in->args[0] == '[')
    parse_json_form(in);
  else
    split_words(in);
}

static bool is_comment(const char *s, size_t n)
{
  trim(&s, &n);
  return n > 0 && s[0] == '#';
}

/* True (and strips it) when the line ends in the escape character. */
static bool continues(const char *s, size_t *n, char escape)
{
  size_t k = *n;
  while (k > 0 && isspace((unsigned char)s[k - 1]))
    k--;
  if (k > 0 && s[k - 1] == escape) {
    *n = k - 1;
    return true;
  }
  return false;
}

int lint_view_parse(const char *name, const char *text, size_t len, lint_view_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  out->escape = '\\';
  if (len > LINT_MAX_DOCKERFILE)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "read '%s': %zu bytes is over the Dockerfile limit of %u",
                                name, len, LINT_MAX_DOCKERFILE);
  const char *nul = memchr(text, '\0', len);
  if (nul != NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "parse '%s': NUL byte at offset %zu: not a Dockerfile",
                                name, (size_t)(nul - text));
  struct lines l = {.text = text, .len = len};
  const char *s;
  size_t n;
  bool directives = true;
  size_t cap = 0;
  while (next_line(&l, &s, &n)) {
    if (directives && parse_directive(s, n, &out->escape))
      continue;
    directives = false;
    const char *t = s;
    size_t tn = n;
    trim(&t, &tn);
    if (tn == 0 || t[0] == '#')
      continue;
    if (out->n >= LINT_MAX_INSTRUCTIONS) {
      lint_view_release(out);
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "parse '%s': more than %d instructions", name,
                                  LINT_MAX_INSTRUCTIONS);
    }
    int first = l.lineno;
    cleanup_strbuf strbuf_t logical = STRBUF_INIT;
    size_t cn = tn;
    bool more = continues(t, &cn, out->escape);
    strbuf_add(&logical, t, cn);
    while (more && next_line(&l, &s, &n)) {
      /* BuildKit skips comment and blank lines inside a continuation. */
      const char *bt = s;
      size_t bn = n;
      trim(&bt, &bn);
      if (bn == 0 || is_comment(s, n))
        continue;
      cn = n;
      more = continues(s, &cn, out->escape);
      strbuf_add(&logical, s, cn);
    }
    if (out->n == cap) {
      cap = cap ? cap * 2 : 32;
      out->v = realloc(out->v, cap * sizeof(*out->v));
      if (out->v == NULL)
        abort();
    }
    lint_instr_t *in = &out->v[out->n++];
    memset(in, 0, sizeof(*in));
    in->line = first;
    const char *ls = strbuf_str(&logical);
    size_t ln = logical.len;
    trim(&ls, &ln);
    make_instr(in, ls, ln, &l);
  }
  return 0;
}

static void strv_free(char **v)
{
  for (char **p = v; p && *p; p++)
    free(*p);
  free(v);
}

void lint_view_release(lint_view_t *v)
{
  for (size_t i = 0; i < v->n; i++) {
    free(v->v[i].cmd);
    free(v->v[i].args);
    strv_free(v->v[i].flags);
    strv_free(v->v[i].argv);
  }
  free(v->v);
  v->v = NULL;
  v->n = 0;
}

const char *lint_instr_flag(const lint_instr_t *in, const char *name)
{
  size_t nl = strlen(name);
  for (char **f = in->flags; f && *f; f++) {
    const char *p = *f + 2;
    if (strncasecmp(p, name, nl) == 0 && (p[nl] == '=' || p[nl] == '\0'))
      return p[nl] == '=' ? p + nl + 1 : "";
  }
  return NULL;
}
