/* Dockerfile lines → logical instructions, as BuildKit's parser.Parse does:
 * BOM, parser directives, comments, line continuations (also across blank
 * and comment lines, which produce a warning), heredoc bodies after the
 * instruction line.  Typing each instruction is instruction.c's job. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "df_int.h"
#include "expand.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"

typedef struct {
  const char *buf;
  size_t len, pos;
} scanner_t;

/* Next physical line with its newline; false at the end. */
static bool scan_line(scanner_t *s, const char **line, size_t *len)
{
  if (s->pos >= s->len)
    return false;
  const char *p = s->buf + s->pos;
  const char *nl = memchr(p, '\n', s->len - s->pos);
  size_t l = nl ? (size_t)(nl - p) + 1 : s->len - s->pos;
  *line = p;
  *len = l;
  s->pos += l;
  return true;
}

/* trimNewline (and, when strip, the leading whitespace) into a new string */
static char *process_line(const char *line, size_t len, bool strip_left)
{
  while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
    len--;
  if (strip_left)
    while (len && is_ws((unsigned char)*line)) {
      line++;
      len--;
    }
  char *r = xstrndup(line, len);
  return r;
}

static bool is_comment(const char *line, size_t len)
{
  while (len && is_ws((unsigned char)*line)) {
    line++;
    len--;
  }
  return len && *line == '#';
}

static bool is_blank(const char *s)
{
  while (*s && is_ws((unsigned char)*s))
    s++;
  return *s == '\0';
}

typedef struct {
  bool done;
  bool seen_escape, seen_syntax, seen_check;
} directives_t;

/* "# key=value" at the very top: escape, syntax, check.  Anything else ends
 * the directive section.  line has its leading whitespace already removed. */
static int parse_directive(directives_t *d, pyoci_dockerfile_t *df, const char *line, const df_ctx_t *c)
{
  if (d->done)
    return 0;
  if (*line != '#') {
    d->done = true;
    return 0;
  }
  const char *p = line + 1;
  while (is_ws((unsigned char)*p))
    p++;
  const char *k = p;
  if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
    d->done = true;
    return 0;
  }
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
    p++;
  size_t klen = (size_t)(p - k);
  while (is_ws((unsigned char)*p))
    p++;
  if (*p != '=') {
    d->done = true;
    return 0;
  }
  p++;
  while (is_ws((unsigned char)*p))
    p++;
  size_t vlen = strlen(p);
  while (vlen && is_ws((unsigned char)p[vlen - 1]))
    vlen--;
  if (vlen == 0) {
    d->done = true;
    return 0;
  }
  bool *seen;
  char **slot = NULL;
  if (klen == 6 && strncasecmp(k, "escape", 6) == 0)
    seen = &d->seen_escape;
  else if (klen == 6 && strncasecmp(k, "syntax", 6) == 0)
    seen = &d->seen_syntax, slot = &df->syntax;
  else if (klen == 5 && strncasecmp(k, "check", 5) == 0)
    seen = &d->seen_check, slot = &df->check;
  else {
    d->done = true;
    return 0;
  }
  if (*seen)
    return pyoci_df_fail(c, "only one %.*s parser directive can be used", (int)klen, k);
  *seen = true;
  if (slot) {
    *slot = xstrndup(p, vlen);
    return 0;
  }
  if (vlen != 1 || (*p != '\\' && *p != '`'))
    return pyoci_df_fail(c, "invalid escape token '%.*s' does not match ` or \\", (int)vlen, p);
  df->escape = *p;
  return 0;
}

/* The continuation rule: the escape character last on the line (spaces and
 * tabs may follow) and not itself escaped.  Strips it in place. */
static bool trim_continuation(char *line, char escape)
{
  size_t n = strlen(line);
  while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
    n--;
  if (n == 0 || line[n - 1] != escape)
    return false;
  if (n >= 2 && line[n - 2] == escape)
    return false;
  line[n - 1] = '\0';
  return true;
}

static void add_warning(pyoci_dockerfile_t *df, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_warning(pyoci_dockerfile_t *df, int line, const char *fmt, ...)
{
  pyoci_df_warning_t *w = xrealloc(df->warnings, (df->n_warnings + 1) * sizeof(*w));
  df->warnings = w;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&w[df->n_warnings].msg, fmt, ap) < 0)
    pyoci_die_oom(0);
  va_end(ap);
  w[df->n_warnings++].line = line;
}

char *pyoci_df_chomp(const char *s)
{
  strbuf_t sb = STRBUF_INIT;
  bool bol = true;
  for (; *s; s++) {
    if (bol && *s == '\t')
      continue;
    bol = *s == '\n';
    strbuf_addch(&sb, *s);
  }
  return strbuf_detach(&sb);
}

int pyoci_df_parse_heredoc_word(const char *word, pyoci_df_heredoc_t *h)
{
  memset(h, 0, sizeof(*h));
  const char *p = word;
  unsigned fd = 0;
  while (*p >= '0' && *p <= '9') {
    if (fd < 100000)
      fd = fd * 10 + (unsigned)(*p - '0');
    p++;
  }
  if (p[0] != '<' || p[1] != '<')
    return 0;
  p += 2;
  bool chomp = *p == '-';
  if (chomp)
    p++;
  if (*p == '\0' || strchr(p, '<') != NULL)
    return 0;
  /* the delimiter unquoted; quoting any part of it disables expansion */
  pyoci_lex_opts_t o = {.escape = '\\', .skip_unset = true};
  char **words = NULL, **raw = NULL;
  size_t n = 0, nraw = 0;
  cleanup_error pyoci_error_t *e = NULL;
  if (pyoci_lex(p, &o, NULL, NULL, &words, &n, &e) < 0)
    return 0;
  int ret = 0;
  if (n == 1) {
    o.raw_quotes = true;
    if (pyoci_lex(p, &o, NULL, NULL, &raw, &nraw, &e) == 0 && nraw == 1) {
      size_t q1 = 0, q2 = 0;
      for (const char *c = words[0]; *c; c++)
        q1 += *c == '\'' || *c == '"';
      for (const char *c = raw[0]; *c; c++)
        q2 += *c == '\'' || *c == '"';
      h->name = xstrdup(words[0]);
      h->expand = q1 == q2;
      h->chomp = chomp;
      h->fd = fd;
      ret = 1;
    }
  }
  pyoci_df_strv_free(words, n);
  pyoci_df_strv_free(raw, nraw);
  return ret;
}

/* heredocsFromLine: every word of the line that reads as <<NAME. */
static int heredocs_from_line(const char *line, pyoci_df_heredoc_t **out, size_t *n, const df_ctx_t *c)
{
  pyoci_lex_opts_t o = {.escape = '\\', .raw_quotes = true, .raw_escapes = true, .skip_unset = true};
  char **words = NULL;
  size_t nw = 0;
  cleanup_error pyoci_error_t *e = NULL;
  if (pyoci_lex(line, &o, NULL, NULL, &words, &nw, &e) < 0)
    return 0; /* BuildKit ignores lexing errors here */
  int ret = 0;
  for (size_t i = 0; i < nw; i++) {
    pyoci_df_heredoc_t h;
    if (!pyoci_df_parse_heredoc_word(words[i], &h))
      continue;
    if (*n >= PYOCI_DF_MAX_HEREDOCS) {
      free(h.name);
      ret = pyoci_df_fail(c, "too many heredocs (limit %u)", PYOCI_DF_MAX_HEREDOCS);
      break;
    }
    pyoci_df_heredoc_t *v = xrealloc(*out, (*n + 1) * sizeof(*v));
    v[(*n)++] = h;
    *out = v;
  }
  pyoci_df_strv_free(words, nw);
  return ret;
}

/* Read the bodies of the heredocs named on the instruction line. */
static int read_heredoc_bodies(scanner_t *s, int *cur, pyoci_df_heredoc_t *h, size_t n, const df_ctx_t *c)
{
  for (size_t i = 0; i < n; i++) {
    strbuf_t body = STRBUF_INIT;
    bool terminated = false;
    const char *l;
    size_t len;
    size_t nlen = strlen(h[i].name);
    while (scan_line(s, &l, &len)) {
      (*cur)++;
      size_t tl = len;
      while (tl && (l[tl - 1] == '\n' || l[tl - 1] == '\r'))
        tl--;
      const char *t = l;
      if (h[i].chomp)
        while (tl && *t == '\t') {
          t++;
          tl--;
        }
      if (tl == nlen && memcmp(t, h[i].name, nlen) == 0) {
        terminated = true;
        break;
      }
      strbuf_add(&body, l, len);
    }
    h[i].content = strbuf_detach(&body);
    h[i].data = pyoci_xcheck(h[i].chomp ? pyoci_df_chomp(h[i].content) : xstrdup(h[i].content));
    if (!terminated)
      return pyoci_df_fail(c, "unterminated heredoc");
  }
  return 0;
}

static int add_instr(pyoci_dockerfile_t *df, pyoci_df_instr_t *in, const df_ctx_t *c)
{
  if (df->n_instrs >= PYOCI_DF_MAX_INSTRUCTIONS) {
    pyoci_df_instr_free(in);
    return pyoci_df_fail(c, "too many instructions (limit %u)", PYOCI_DF_MAX_INSTRUCTIONS);
  }
  pyoci_df_instr_t *v = xrealloc(df->instrs, (df->n_instrs + 1) * sizeof(*v));
  v[df->n_instrs++] = *in;
  df->instrs = v;
  free(in);
  return 0;
}

/* Findings BuildKit's linter reports that need only the parsed text. */
static void instr_warnings(pyoci_dockerfile_t *df, const pyoci_df_instr_t *in)
{
  if (in->kind == PYOCI_DF_MAINTAINER)
    add_warning(df, in->line, "MAINTAINER instruction is deprecated in favor of using label");
  if ((in->kind == PYOCI_DF_ENV || in->kind == PYOCI_DF_LABEL) && in->n_kvs == 1 && in->kvs[0].legacy)
    add_warning(df, in->line,
                "\"%s key=value\" should be used instead of legacy \"%s key value\" format",
                pyoci_df_kind_name(in->kind), pyoci_df_kind_name(in->kind));
}

static int parse_lines(pyoci_dockerfile_t *df, const char *buf, size_t len, pyoci_error_t **err)
{
  scanner_t s = {buf, len, 0};
  directives_t d = {0};
  int cur = 0;
  const char *l;
  size_t llen;
  if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
    s.pos = 3;
  while (scan_line(&s, &l, &llen)) {
    df_ctx_t c = {df->name, cur + 1, err};
    cleanup_free char *first = process_line(l, llen, true);
    if (parse_directive(&d, df, first, &c) < 0)
      return -1;
    cur++;
    int start = cur;
    if (first[0] == '#') /* trimComments */
      first[0] = '\0';
    bool cont = trim_continuation(first, df->escape);
    if (!cont && first[0] == '\0')
      continue;
    d.done = true;
    strbuf_t line = STRBUF_INIT;
    strbuf_addstr(&line, first);
    bool empty_cont = false;
    while (cont && scan_line(&s, &l, &llen)) {
      cur++;
      if (is_comment(l, llen))
        continue;
      cleanup_free char *more = process_line(l, llen, false);
      if (is_blank(more)) {
        empty_cont = true;
        continue;
      }
      cont = trim_continuation(more, df->escape);
      strbuf_addstr(&line, more);
    }
    c.line = start;
    if (empty_cont)
      add_warning(df, start, "Empty continuation line found in: %.200s", strbuf_str(&line));
    pyoci_df_heredoc_t *hd = NULL;
    size_t nh = 0;
    int r = 0;
    if (pyoci_df_can_contain_heredoc(strbuf_str(&line))) {
      r = heredocs_from_line(strbuf_str(&line), &hd, &nh, &c);
      if (r == 0)
        r = read_heredoc_bodies(&s, &cur, hd, nh, &c);
    }
    pyoci_df_instr_t *in = NULL;
    if (r == 0) {
      in = pyoci_df_build_instr(&c, strbuf_str(&line), df->escape, cur, hd, nh);
      hd = NULL;
    }
    pyoci_df_heredocs_free(hd, nh);
    strbuf_release(&line);
    if (in == NULL)
      return -1;
    instr_warnings(df, in);
    if (add_instr(df, in, &c) < 0)
      return -1;
  }
  if (df->n_instrs == 0) {
    df_ctx_t c = {df->name, cur, err};
    return pyoci_df_fail(&c, "file with no instructions");
  }
  return 0;
}

pyoci_dockerfile_t *pyoci_dockerfile_parse(const char *buf, size_t len, const char *name, pyoci_error_t **err)
{
  if (name == NULL)
    name = "Dockerfile";
  if (len > PYOCI_DF_MAX_SIZE) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: %zu bytes is over the Dockerfile limit of %u bytes", name,
                         len, PYOCI_DF_MAX_SIZE);
    return NULL;
  }
  if (len == 0) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: the Dockerfile cannot be empty", name);
    return NULL;
  }
  /* NUL bytes and over-long lines are rejected up front */
  int lineno = 1;
  size_t linelen = 0;
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\0') {
      pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: NUL byte in Dockerfile", name, lineno);
      return NULL;
    }
    if (buf[i] == '\n') {
      lineno++;
      linelen = 0;
    } else if (++linelen >= PYOCI_DF_MAX_LINE) {
      pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: dockerfile line greater than max allowed size of %u",
                           name, lineno, PYOCI_DF_MAX_LINE - 1);
      return NULL;
    }
  }
  pyoci_dockerfile_t *df = xcalloc(1, sizeof(*df));
  df->name = xstrdup(name);
  df->escape = '\\';
  if (parse_lines(df, buf, len, err) < 0) {
    pyoci_dockerfile_free(df);
    return NULL;
  }
  return df;
}

pyoci_dockerfile_t *pyoci_dockerfile_load(const char *path, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, PYOCI_DF_MAX_SIZE, &buf, &len, err) < 0)
    return NULL;
  return pyoci_dockerfile_parse(buf, len, path, err);
}

void pyoci_dockerfile_free(pyoci_dockerfile_t *df)
{
  if (df == NULL)
    return;
  for (size_t i = 0; i < df->n_instrs; i++)
    pyoci_df_instr_clear(&df->instrs[i]);
  free(df->instrs);
  for (size_t i = 0; i < df->n_warnings; i++)
    free(df->warnings[i].msg);
  free(df->warnings);
  free(df->name);
  free(df->syntax);
  free(df->check);
  free(df);
}

pyoci_df_instr_t *pyoci_df_parse_trigger(const char *expr, const char *name, int lineno, pyoci_error_t **err)
{
  cleanup_error pyoci_error_t *e = NULL;
  pyoci_dockerfile_t *df = pyoci_dockerfile_parse(expr, strlen(expr), name, &e);
  if (df == NULL) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: ONBUILD trigger: %s", name, lineno, e->msg);
    return NULL;
  }
  if (df->n_instrs != 1) {
    pyoci_dockerfile_free(df);
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%d: onbuild trigger should be a single expression", name,
                         lineno);
    return NULL;
  }
  pyoci_df_instr_t *in = pyoci_df_instr_dup(&df->instrs[0]);
  in->line = in->end_line = lineno;
  pyoci_dockerfile_free(df);
  return in;
}

char **pyoci_df_run_argv(const pyoci_df_instr_t *run, char *const *shell, size_t n_shell, char **script,
                         size_t *argc)
{
  static char *const def_shell[] = {"/bin/sh", "-c"};
  if (shell == NULL || n_shell == 0) {
    shell = def_shell;
    n_shell = 2;
  }
  *script = NULL;
  char **argv = NULL;
  size_t n = 0;
  if (run->json) {
    argv = pyoci_df_strv_dup(run->cmd, run->n_cmd);
    *argc = run->n_cmd;
    return argv;
  }
  const char *cmdline = run->n_cmd ? run->cmd[0] : "";
  strbuf_t sb = STRBUF_INIT;
  pyoci_df_heredoc_t h;
  if (run->n_heredocs > 0 && pyoci_df_parse_heredoc_word(cmdline, &h)) {
    free(h.name);
    const pyoci_df_heredoc_t *f = &run->heredocs[0];
    if (strncmp(f->data, "#!", 2) == 0) {
      /* a script with its own interpreter: run it as a file */
      *script = xstrdup(f->data);
      strbuf_addf(&sb, "/dev/pipes/%s", f->name);
      pyoci_df_strv_push(&argv, &n, strbuf_detach(&sb));
      *argc = n;
      return argv;
    }
    strbuf_addstr(&sb, f->data);
  } else {
    strbuf_addstr(&sb, cmdline);
    for (size_t i = 0; i < run->n_heredocs; i++)
      strbuf_addf(&sb, "\n%s%s", run->heredocs[i].content, run->heredocs[i].name);
  }
  for (size_t i = 0; i < n_shell; i++)
    pyoci_df_strv_push(&argv, &n, xstrdup(shell[i]));
  pyoci_df_strv_push(&argv, &n, strbuf_detach(&sb));
  *argc = n;
  return argv;
}
