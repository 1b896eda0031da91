/* Go template lexer and parser.  The template is tokenised whole first
 * (text runs and the tokens inside each action), then a recursive-descent
 * parser builds the tree in gotemplate_int.h, checking variables and
 * function names the way Go does at parse time. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "cleanup.h"
#include "gotemplate_int.h"

typedef enum {
  TK_TEXT,
  TK_LEFT,
  TK_RIGHT,
  TK_FIELD,
  TK_DOT,
  TK_VAR,
  TK_IDENT,
  TK_STRING,
  TK_NUMBER,
  TK_LPAREN,
  TK_RPAREN,
  TK_PIPE,
  TK_DECLARE,
  TK_ASSIGN,
  TK_COMMA,
  TK_EOF,
} tk_type;

typedef struct {
  tk_type type;
  char *text; /* TK_TEXT, TK_STRING: decoded; others: source text */
  size_t len;
  int line, col;
  bool space_before;
  const char *src; /* where the token starts in the template */
} token;

typedef struct {
  const char *src;
  token *toks;
  size_t n, cap;
  /* parser state */
  size_t pos;
  char **vars; /* variables in scope */
  size_t nvars, capvars;
  int depth;
  pyoci_error_t **err;
  int err_line;
} gt_parser;

static int perr(gt_parser *p, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(gt_parser *p, int line, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return pyoci_error_set_code(p->err, PYOCI_E_INVALID, 0, "template: :%d: %s", line, msg);
}

static void line_col(const char *src, const char *at, int *line, int *col)
{
  int l = 1, c = 1;
  for (const char *s = src; s < at; s++) {
    if (*s == '\n')
      l++, c = 1;
    else
      c++;
  }
  *line = l;
  *col = c;
}

static token *push_tok(gt_parser *p, tk_type type, const char *start, const char *text, size_t len, bool space)
{
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->toks = xrealloc(p->toks, p->cap * sizeof(*p->toks));
  }
  token *t = &p->toks[p->n++];
  memset(t, 0, sizeof(*t));
  t->type = type;
  t->src = start;
  t->text = xstrndup(text ? text : "", len);
  t->len = len;
  t->space_before = space;
  line_col(p->src, start, &t->line, &t->col);
  return t;
}

static bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_(char c)
{
  return isalnum((unsigned char)c) || c == '_';
}

/* Decode a Go interpreted string literal body (between the quotes). */
static int unquote(gt_parser *p, const char *s, size_t len, int line, strbuf_t *out)
{
  for (size_t i = 0; i < len; i++) {
    if (s[i] != '\\') {
      strbuf_addch(out, s[i]);
      continue;
    }
    if (++i >= len)
      return perr(p, line, "unterminated quoted string");
    char c = s[i];
    switch (c) {
    case 'n': strbuf_addch(out, '\n'); break;
    case 't': strbuf_addch(out, '\t'); break;
    case 'r': strbuf_addch(out, '\r'); break;
    case 'a': strbuf_addch(out, '\a'); break;
    case 'b': strbuf_addch(out, '\b'); break;
    case 'f': strbuf_addch(out, '\f'); break;
    case 'v': strbuf_addch(out, '\v'); break;
    case '\\': case '"': case '\'': strbuf_addch(out, c); break;
    case 'x': case 'u': case 'U': {
      size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (i + n >= len)
        return perr(p, line, "invalid syntax in quoted string");
      char hex[9] = {0};
      memcpy(hex, s + i + 1, n);
      for (size_t k = 0; k < n; k++)
        if (!isxdigit((unsigned char)hex[k]))
          return perr(p, line, "invalid syntax in quoted string");
      unsigned long v = strtoul(hex, NULL, 16);
      i += n;
      if (c == 'x') {
        strbuf_addch(out, (char)v);
      } else if (v < 0x80) {
        strbuf_addch(out, (char)v);
      } else if (v < 0x800) {
        strbuf_addch(out, (char)(0xc0 | (v >> 6)));
        strbuf_addch(out, (char)(0x80 | (v & 0x3f)));
      } else if (v < 0x10000) {
        strbuf_addch(out, (char)(0xe0 | (v >> 12)));
        strbuf_addch(out, (char)(0x80 | ((v >> 6) & 0x3f)));
        strbuf_addch(out, (char)(0x80 | (v & 0x3f)));
      } else if (v <= 0x10ffff) {
        strbuf_addch(out, (char)(0xf0 | (v >> 18)));
        strbuf_addch(out, (char)(0x80 | ((v >> 12) & 0x3f)));
        strbuf_addch(out, (char)(0x80 | ((v >> 6) & 0x3f)));
        strbuf_addch(out, (char)(0x80 | (v & 0x3f)));
      } else {
        return perr(p, line, "invalid syntax in quoted string");
      }
      break;
    }
    default:
      return perr(p, line, "invalid syntax in quoted string");
    }
  }
  return 0;
}

/* Lex the inside of one action starting at *sp (just after "{{" and any
 * trim marker); leaves *sp after the closing "}}" and sets *trim_right. */
static int lex_action(gt_parser *p, const char **sp, bool *trim_right)
{
  const char *s = *sp;
  bool space = false;
  for (;;) {
    int line, col;
    if (*s == '\0') {
      line_col(p->src, s, &line, &col);
      return perr(p, line, "unclosed action");
    }
    if (is_space(*s)) {
      if (s[1] == '-' && s[2] == '}' && s[3] == '}') {
        push_tok(p, TK_RIGHT, s, "}}", 2, true);
        *trim_right = true;
        *sp = s + 4;
        return 0;
      }
      s++;
      space = true;
      continue;
    }
    if (s[0] == '}' && s[1] == '}') {
      push_tok(p, TK_RIGHT, s, "}}", 2, space);
      *trim_right = false;
      *sp = s + 2;
      return 0;
    }
    const char *start = s;
    line_col(p->src, s, &line, &col);
    if (*s == '.' && (is_alnum_(s[1]) && !isdigit((unsigned char)s[1]))) {
      s++;
      while (is_alnum_(*s))
        s++;
      push_tok(p, TK_FIELD, start, start + 1, (size_t)(s - start - 1), space);
    } else if (*s == '.' && !isdigit((unsigned char)s[1])) {
      s++;
      push_tok(p, TK_DOT, start, ".", 1, space);
    } else if (*s == '$') {
      s++;
      while (is_alnum_(*s))
        s++;
      push_tok(p, TK_VAR, start, start, (size_t)(s - start), space);
    } else if (*s == '"') {
      s++;
      while (*s && *s != '"' && *s != '\n') {
        if (*s == '\\' && s[1])
          s++;
        s++;
      }
      if (*s != '"')
        return perr(p, line, "unterminated quoted string");
      cleanup_strbuf strbuf_t sb = STRBUF_INIT;
      if (unquote(p, start + 1, (size_t)(s - start - 1), line, &sb) < 0)
        return -1;
      s++;
      push_tok(p, TK_STRING, start, strbuf_str(&sb), sb.len, space);
    } else if (*s == '`') {
      s++;
      while (*s && *s != '`')
        s++;
      if (*s != '`')
        return perr(p, line, "unterminated raw quoted string");
      push_tok(p, TK_STRING, start, start + 1, (size_t)(s - start - 1), space);
      s++;
    } else if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+' || *s == '.') &&
                                                isdigit((unsigned char)s[1]))) {
      s++;
      while (is_alnum_(*s) || *s == '.' ||
             ((*s == '-' || *s == '+') && (s[-1] == 'e' || s[-1] == 'E' || s[-1] == 'p' || s[-1] == 'P')))
        s++;
      push_tok(p, TK_NUMBER, start, start, (size_t)(s - start), space);
    } else if (isalpha((unsigned char)*s) || *s == '_') {
      while (is_alnum_(*s))
        s++;
      push_tok(p, TK_IDENT, start, start, (size_t)(s - start), space);
    } else if (*s == '(' || *s == ')' || *s == '|' || *s == ',' || *s == '=') {
      tk_type t = *s == '(' ? TK_LPAREN : *s == ')' ? TK_RPAREN : *s == '|' ? TK_PIPE : *s == ',' ? TK_COMMA : TK_ASSIGN;
      push_tok(p, t, start, start, 1, space);
      s++;
    } else if (s[0] == ':' && s[1] == '=') {
      push_tok(p, TK_DECLARE, start, start, 2, space);
      s += 2;
    } else {
      unsigned char c = (unsigned char)*s;
      if (c >= 0x20 && c < 0x7f)
        return perr(p, line, "bad character U+%04X '%c'", c, c);
      return perr(p, line, "bad character U+%04X", c);
    }
    space = false;
  }
}

static int lex(gt_parser *p)
{
  const char *s = p->src;
  bool trim_next = false;
  for (;;) {
    const char *open = strstr(s, "{{");
    const char *end = open ? open : s + strlen(s);
    bool trim_left = open && open[2] == '-' && is_space(open[3]);
    const char *ts = s, *te = end;
    if (trim_next)
      while (ts < te && is_space(*ts))
        ts++;
    if (trim_left)
      while (te > ts && is_space(te[-1]))
        te--;
    if (te > ts)
      push_tok(p, TK_TEXT, ts, ts, (size_t)(te - ts), false);
    if (open == NULL)
      break;
    const char *a = open + 2 + (trim_left ? 2 : 0);
    /* Comment action: {{/ *...* /}} with optional trim markers. */
    if (a[0] == '/' && a[1] == '*') {
      const char *close = strstr(a + 2, "*/");
      int line, col;
      line_col(p->src, open, &line, &col);
      if (close == NULL)
        return perr(p, line, "unclosed comment");
      const char *r = close + 2;
      if (r[0] == ' ' && r[1] == '-' && r[2] == '}' && r[3] == '}') {
        trim_next = true;
        s = r + 4;
      } else if (r[0] == '}' && r[1] == '}') {
        trim_next = false;
        s = r + 2;
      } else {
        return perr(p, line, "comment ends before closing delimiter");
      }
      continue;
    }
    push_tok(p, TK_LEFT, open, "{{", 2, false);
    s = a;
    if (lex_action(p, &s, &trim_next) < 0)
      return -1;
  }
  push_tok(p, TK_EOF, s + strlen(s), "", 0, false);
  return 0;
}

/* ---- parser ---- */

static token *peek(gt_parser *p)
{
  return &p->toks[p->pos];
}
static token *next(gt_parser *p)
{
  token *t = &p->toks[p->pos];
  if (t->type != TK_EOF)
    p->pos++;
  return t;
}

static void var_push(gt_parser *p, const char *name)
{
  if (p->nvars == p->capvars) {
    p->capvars = p->capvars ? p->capvars * 2 : 16;
    p->vars = xrealloc(p->vars, p->capvars * sizeof(*p->vars));
  }
  p->vars[p->nvars++] = (char *)name;
}
static bool var_known(gt_parser *p, const char *name)
{
  for (size_t i = p->nvars; i > 0; i--)
    if (strcmp(p->vars[i - 1], name) == 0)
      return true;
  return false;
}


static void free_pipe(gt_pipe *pp);
static void free_arg(gt_arg *a)
{
  if (a == NULL)
    return;
  free(a->s);
  for (size_t i = 0; i < a->nfields; i++)
    free(a->fields[i]);
  free(a->fields);
  free_pipe(a->pipe);
  free(a);
}
static void free_pipe(gt_pipe *pp)
{
  if (pp == NULL)
    return;
  free(pp->decl[0]);
  free(pp->decl[1]);
  for (size_t i = 0; i < pp->ncmds; i++) {
    gt_cmd *c = pp->cmds[i];
    for (size_t k = 0; k < c->nargs; k++)
      free_arg(c->args[k]);
    free(c->args);
    free(c->src);
    free(c);
  }
  free(pp->cmds);
  free(pp);
}
static void free_node(gt_node *n)
{
  if (n == NULL)
    return;
  free(n->text);
  for (size_t i = 0; i < n->nkids; i++)
    free_node(n->kids[i]);
  free(n->kids);
  free_pipe(n->pipe);
  free_node(n->list);
  free_node(n->elselist);
  free(n);
}

static const char *tok_desc(const token *t, char *buf, size_t len)
{
  switch (t->type) {
  case TK_EOF: return "EOF";
  case TK_RIGHT: return "\"}}\"";
  case TK_TEXT: return "text";
  default:
    snprintf(buf, len, "\"%s\"", t->text);
    return buf;
  }
}

static gt_pipe *parse_pipe(gt_parser *p, const char *context, bool in_range, bool in_paren);

/* Fields directly after a term (no space): $x.A.B, (pipe).A */
static void parse_field_chain(gt_parser *p, gt_arg *a)
{
  while (peek(p)->type == TK_FIELD && !peek(p)->space_before) {
    a->fields = xreallocarray(a->fields, a->nfields + 1, sizeof(char *));
    a->fields[a->nfields++] = xstrdup(next(p)->text);
  }
}

static gt_arg *parse_operand(gt_parser *p)
{
  token *t = peek(p);
  gt_arg *a = xcalloc(1, sizeof(*a));
  char buf[128];
  switch (t->type) {
  case TK_FIELD:
    a->type = A_FIELD;
    a->fields = xcalloc(1, sizeof(char *));
    a->fields[a->nfields++] = xstrdup(next(p)->text);
    parse_field_chain(p, a);
    return a;
  case TK_DOT:
    next(p);
    a->type = A_DOT;
    if (peek(p)->type == TK_FIELD && !peek(p)->space_before) {
      free(a);
      perr(p, t->line, "unexpected . after term \".\"");
      return NULL;
    }
    return a;
  case TK_VAR:
    next(p);
    if (!var_known(p, t->text)) {
      free(a);
      perr(p, t->line, "undefined variable \"%s\"", t->text);
      return NULL;
    }
    a->type = A_VAR;
    a->s = xstrdup(t->text);
    parse_field_chain(p, a);
    return a;
  case TK_STRING:
    next(p);
    a->type = A_STRING;
    a->s = xmalloc(t->len + 1);
    memcpy(a->s, t->text, t->len + 1);
    a->slen = t->len;
    return a;
  case TK_NUMBER: {
    next(p);
    char *end;
    errno = 0;
    long long v = strtoll(t->text, &end, 0);
    if (*end == '\0' && errno == 0) {
      a->type = A_INT;
      a->i = v;
      return a;
    }
    errno = 0;
    double d = strtod(t->text, &end);
    if (*end == '\0' && errno == 0 && strpbrk(t->text, "xX") == NULL) {
      a->type = A_FLOAT;
      a->d = d;
      return a;
    }
    free(a);
    perr(p, t->line, "bad number syntax: \"%s\"", t->text);
    return NULL;
  }
  case TK_IDENT:
    next(p);
    if (strcmp(t->text, "true") == 0 || strcmp(t->text, "false") == 0) {
      a->type = A_BOOL;
      a->b = t->text[0] == 't';
      return a;
    }
    if (strcmp(t->text, "nil") == 0) {
      a->type = A_NIL;
      return a;
    }
    if (!pyoci_gt_func_exists(t->text)) {
      free(a);
      perr(p, t->line, "function \"%s\" not defined", t->text);
      return NULL;
    }
    a->type = A_FUNC;
    a->s = xstrdup(t->text);
    return a;
  case TK_LPAREN:
    next(p);
    if (++p->depth > PYOCI_GT_MAX_DEPTH) {
      free(a);
      perr(p, t->line, "nesting too deep");
      return NULL;
    }
    a->type = A_PIPE;
    a->pipe = parse_pipe(p, "parenthesized pipeline", false, true);
    p->depth--;
    if (a->pipe == NULL) {
      free(a);
      return NULL;
    }
    if (peek(p)->type != TK_RPAREN) {
      free_arg(a);
      perr(p, t->line, "unclosed left paren");
      return NULL;
    }
    next(p);
    parse_field_chain(p, a);
    return a;
  default:
    free(a);
    perr(p, t->line, "unexpected %s in operand", tok_desc(t, buf, sizeof(buf)));
    return NULL;
  }
}

static gt_cmd *parse_cmd(gt_parser *p, bool in_paren)
{
  gt_cmd *c = xcalloc(1, sizeof(*c));
  token *first = peek(p);
  c->line = first->line;
  c->col = first->col;
  for (;;) {
    token *t = peek(p);
    if (t->type == TK_RIGHT || t->type == TK_PIPE || (t->type == TK_RPAREN && in_paren) || t->type == TK_EOF)
      break;
    if (t->type == TK_RPAREN) {
      perr(p, t->line, "unexpected right paren");
      goto fail;
    }
    if (c->nargs > 0 && !t->space_before && t->type != TK_LPAREN) {
      perr(p, t->line, "missing space?");
      goto fail;
    }
    gt_arg *a = parse_operand(p);
    if (a == NULL)
      goto fail;
    c->args = xreallocarray(c->args, c->nargs + 1, sizeof(*c->args));
    c->args[c->nargs++] = a;
  }
  if (c->nargs == 0) {
    perr(p, peek(p)->line, "missing value for command");
    goto fail;
  }
  {
    token *last = &p->toks[p->pos];
    const char *end = last->src;
    while (end > first->src && is_space(end[-1]))
      end--;
    c->src = xstrndup(first->src, (size_t)(end - first->src));
  }
  return c;
fail:
  for (size_t i = 0; i < c->nargs; i++)
    free_arg(c->args[i]);
  free(c->args);
  free(c);
  return NULL;
}

static gt_pipe *parse_pipe(gt_parser *p, const char *context, bool in_range, bool in_paren)
{
  gt_pipe *pp = xcalloc(1, sizeof(*pp));
  int line = peek(p)->line;
  /* Declarations: $x := ..., $x = ..., and in range $i, $e := ... */
  if (peek(p)->type == TK_VAR) {
    token *v1 = peek(p), *n1 = &p->toks[p->pos + 1];
    if (n1->type == TK_DECLARE || n1->type == TK_ASSIGN) {
      pp->decl[0] = xstrdup(v1->text);
      pp->ndecl = 1;
      pp->assign = n1->type == TK_ASSIGN;
      p->pos += 2;
    } else if (n1->type == TK_COMMA && in_range && n1[1].type == TK_VAR && n1[2].type == TK_DECLARE) {
      pp->decl[0] = xstrdup(v1->text);
      pp->decl[1] = xstrdup(n1[1].text);
      pp->ndecl = 2;
      p->pos += 4;
    } else if (n1->type == TK_COMMA) {
      perr(p, line, "too many declarations in %s", context);
      free_pipe(pp);
      return NULL;
    }
    if (pp->assign && !var_known(p, pp->decl[0])) {
      perr(p, line, "undefined variable \"%s\"", pp->decl[0]);
      free_pipe(pp);
      return NULL;
    }
  }
  for (;;) {
    bool empty = peek(p)->type == TK_RIGHT || peek(p)->type == TK_RPAREN;
    gt_cmd *c = parse_cmd(p, in_paren);
    if (c == NULL) {
      if (pp->ncmds == 0 && empty) {
        if (p->err != NULL)
          pyoci_error_release(p->err);
        perr(p, line, "missing value for %s", context);
      }
      free_pipe(pp);
      return NULL;
    }
    pp->cmds = xreallocarray(pp->cmds, pp->ncmds + 1, sizeof(*pp->cmds));
    pp->cmds[pp->ncmds++] = c;
    if (peek(p)->type != TK_PIPE)
      break;
    next(p);
  }
  /* Declared variables are visible after the declaration. */
  for (int i = 0; i < pp->ndecl; i++)
    if (!pp->assign)
      var_push(p, pp->decl[i]);
  return pp;
}

static int expect_right(gt_parser *p)
{
  token *t = peek(p);
  char buf[128];
  if (t->type != TK_RIGHT)
    return perr(p, t->line, "unexpected %s in command", tok_desc(t, buf, sizeof(buf)));
  next(p);
  return 0;
}

/* What ended a list: 0 = EOF, 1 = {{end}}, 2 = {{else}} (the tokens after
 * "else" are left for the caller: "}}" or "if ...}}"). */
static gt_node *parse_list(gt_parser *p, int *ended_by);

static gt_node *new_node(gt_node_type type, int line)
{
  gt_node *n = xcalloc(1, sizeof(*n));
  n->type = type;
  n->line = line;
  return n;
}

/* {{if|with|range PIPE}} LIST [{{else}} LIST | {{else if ...}}] {{end}};
 * the keyword has been consumed. */
static gt_node *parse_control(gt_parser *p, gt_node_type type, const char *kw, int line)
{
  if (++p->depth > PYOCI_GT_MAX_DEPTH) {
    perr(p, line, "nesting too deep");
    return NULL;
  }
  size_t mark = p->nvars;
  gt_node *n = new_node(type, line);
  int ended;
  n->pipe = parse_pipe(p, kw, type == N_RANGE, false);
  if (n->pipe == NULL || expect_right(p) < 0)
    goto fail;
  size_t body_mark = p->nvars;
  n->list = parse_list(p, &ended);
  p->nvars = body_mark;
  if (n->list == NULL)
    goto fail;
  if (ended == 0) {
    perr(p, peek(p)->line, "unexpected EOF");
    goto fail;
  }
  if (ended == 2) {
    token *t = peek(p);
    if (t->type == TK_IDENT && (strcmp(t->text, "if") == 0 || strcmp(t->text, "with") == 0) &&
        (type == N_IF || type == N_WITH)) {
      /* {{else if X}} = {{else}}{{if X}}...{{end}}{{end}} sharing one end */
      next(p);
      gt_node *inner = parse_control(p, t->text[0] == 'i' ? N_IF : N_WITH, t->text, t->line);
      if (inner == NULL)
        goto fail;
      n->elselist = new_node(N_LIST, t->line);
      n->elselist->kids = xcalloc(1, sizeof(gt_node *));
      n->elselist->kids[0] = inner;
      n->elselist->nkids = 1;
      p->depth--;
      p->nvars = mark;
      return n;
    }
    if (expect_right(p) < 0)
      goto fail;
    n->elselist = parse_list(p, &ended);
    p->nvars = body_mark;
    if (n->elselist == NULL)
      goto fail;
    if (ended != 1) {
      perr(p, peek(p)->line, ended == 0 ? "unexpected EOF" : "expected end; found {{else}}");
      goto fail;
    }
  }
  p->depth--;
  p->nvars = mark;
  return n;
fail:
  free_node(n);
  return NULL;
}

static gt_node *parse_action(gt_parser *p)
{
  token *t = peek(p);
  int line = t->line;
  if (t->type == TK_IDENT) {
    const char *k = t->text;
    if (strcmp(k, "if") == 0 || strcmp(k, "range") == 0 || strcmp(k, "with") == 0) {
      next(p);
      return parse_control(p, k[0] == 'i' ? N_IF : k[0] == 'r' ? N_RANGE : N_WITH, k, line);
    }
    if (strcmp(k, "define") == 0 || strcmp(k, "template") == 0 || strcmp(k, "block") == 0 ||
        strcmp(k, "break") == 0 || strcmp(k, "continue") == 0) {
      perr(p, line, "{{%s}} is not supported", k);
      return NULL;
    }
  }
  gt_node *n = new_node(N_ACTION, line);
  n->pipe = parse_pipe(p, "command", false, false);
  if (n->pipe == NULL || expect_right(p) < 0) {
    free_node(n);
    return NULL;
  }
  return n;
}

static gt_node *parse_list(gt_parser *p, int *ended_by)
{
  gt_node *list = new_node(N_LIST, peek(p)->line);
  *ended_by = 0;
  for (;;) {
    token *t = next(p);
    gt_node *kid = NULL;
    if (t->type == TK_EOF)
      return list;
    if (t->type == TK_TEXT) {
      kid = new_node(N_TEXT, t->line);
      kid->text = xmalloc(t->len + 1);
      memcpy(kid->text, t->text, t->len + 1);
      kid->len = t->len;
    } else if (t->type == TK_LEFT) {
      token *k = peek(p);
      if (k->type == TK_IDENT && strcmp(k->text, "end") == 0) {
        next(p);
        if (expect_right(p) < 0)
          goto fail;
        *ended_by = 1;
        return list;
      }
      if (k->type == TK_IDENT && strcmp(k->text, "else") == 0) {
        next(p);
        *ended_by = 2;
        return list;
      }
      kid = parse_action(p);
      if (kid == NULL)
        goto fail;
    } else {
      char buf[128];
      perr(p, t->line, "unexpected %s", tok_desc(t, buf, sizeof(buf)));
      goto fail;
    }
    list->kids = xreallocarray(list->kids, list->nkids + 1, sizeof(gt_node *));
    list->kids[list->nkids++] = kid;
  }
fail:
  free_node(list);
  return NULL;
}

int pyoci_gotemplate_parse(const char *text, unsigned flags, pyoci_gotemplate_t **out, pyoci_error_t **err)
{
  if (strlen(text) > PYOCI_GT_MAX_TEXT)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "template: :1: template longer than %u bytes",
                                PYOCI_GT_MAX_TEXT);
  gt_parser p = {.src = text, .err = err};
  int rc = -1;
  gt_node *root = NULL;
  if (lex(&p) < 0)
    goto out;
  var_push(&p, "$");
  int ended;
  root = parse_list(&p, &ended);
  if (root == NULL)
    goto out;
  if (ended != 0) {
    perr(&p, p.toks[p.pos > 0 ? p.pos - 1 : 0].line, ended == 1 ? "unexpected {{end}}" : "unexpected {{else}}");
    free_node(root);
    goto out;
  }
  pyoci_gotemplate_t *t = xcalloc(1, sizeof(*t));
  t->root = root;
  t->flags = flags;
  *out = t;
  rc = 0;
out:
  for (size_t i = 0; i < p.n; i++)
    free(p.toks[i].text);
  free(p.toks);
  free(p.vars);
  return rc;
}

void pyoci_gotemplate_free(pyoci_gotemplate_t *t)
{
  if (t == NULL)
    return;
  free_node(t->root);
  free(t);
}
