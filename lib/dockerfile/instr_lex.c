/* Lexing one logical Dockerfile line as BuildKit does: the keyword and its
 * --flags are split off (splitCommand/extractBuilderFlags), and the rest is
 * read as whitespace-separated words (parseWords), a whitespace list or a
 * JSON array of strings.  Each instruction's own rules are instruction.c's. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "instr_int.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"

static const struct {
  const char *name;
  pyoci_df_kind_t kind;
} keywords[] = {
    {"from", PYOCI_DF_FROM},       {"run", PYOCI_DF_RUN},         {"cmd", PYOCI_DF_CMD},
    {"entrypoint", PYOCI_DF_ENTRYPOINT}, {"shell", PYOCI_DF_SHELL}, {"env", PYOCI_DF_ENV},
    {"arg", PYOCI_DF_ARG},         {"label", PYOCI_DF_LABEL},     {"expose", PYOCI_DF_EXPOSE},
    {"user", PYOCI_DF_USER},       {"workdir", PYOCI_DF_WORKDIR}, {"volume", PYOCI_DF_VOLUME},
    {"stopsignal", PYOCI_DF_STOPSIGNAL}, {"healthcheck", PYOCI_DF_HEALTHCHECK},
    {"onbuild", PYOCI_DF_ONBUILD}, {"maintainer", PYOCI_DF_MAINTAINER}, {"copy", PYOCI_DF_COPY},
    {"add", PYOCI_DF_ADD},
};

const char *pyoci_df_kind_name(pyoci_df_kind_t kind)
{
  static const char *const names[] = {"FROM",   "RUN",    "CMD",     "ENTRYPOINT", "SHELL",      "ENV",
                                      "ARG",    "LABEL",  "EXPOSE",  "USER",       "WORKDIR",    "VOLUME",
                                      "STOPSIGNAL", "HEALTHCHECK", "ONBUILD", "MAINTAINER", "COPY", "ADD"};
  return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

int pyoci_lookup_keyword(const char *word)
{
  for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
    if (strcasecmp(word, keywords[i].name) == 0)
      return (int)keywords[i].kind;
  return -1;
}

/* ---- splitting ---------------------------------------------------------- */

/* BuildKit splits words twice, with one state machine and two rule sets:
 * extractBuilderFlags (flags: only leading "--" words, up to a lone "--";
 * quotes and backslashes removed, a backslash escapes inside either quote)
 * and parseWords (words: every word, quotes and escapes kept for expansion
 * to remove; the escape character is the Dockerfile's and does nothing
 * inside single quotes).  Returns where the words stopped. */
static const char *split_words(const char *s, char escape, bool flags, char ***out, size_t *n)
{
  enum { SPACES, WORD, QUOTE } phase = SPACES;
  cleanup_strbuf strbuf_t word = STRBUF_INIT;
  bool blank_ok = false, keep = !flags;
  char quote = 0;
  size_t len = strlen(s);
  for (size_t pos = 0; pos <= len; pos++) {
    char ch = pos < len ? s[pos] : 0;
    if (phase == SPACES) {
      if (pos == len)
        break;
      if (is_ws((unsigned char)ch))
        continue;
      if (flags && (ch != '-' || pos + 1 == len || s[pos + 1] != '-'))
        return s + pos;
      phase = WORD;
    }
    if (pos == len) {
      if (!(flags && strcmp(strbuf_str(&word), "--") == 0) && (blank_ok || word.len > 0))
        pyoci_df_strv_push(out, n, strbuf_detach(&word));
      break;
    }
    if (phase == WORD) {
      if (is_ws((unsigned char)ch)) {
        phase = SPACES;
        if (flags && strcmp(strbuf_str(&word), "--") == 0)
          return s + pos;
        if (blank_ok || word.len > 0)
          pyoci_df_strv_push(out, n, strbuf_detach(&word));
        strbuf_reset(&word);
        blank_ok = false;
        continue;
      }
      if (ch == '\'' || ch == '"') {
        quote = ch;
        blank_ok = true;
        phase = QUOTE;
        if (!keep)
          continue;
      }
      if (ch == escape) {
        if (pos + 1 == len)
          continue;
        if (keep)
          strbuf_addch(&word, ch);
        ch = s[++pos];
      }
      strbuf_addch(&word, ch);
      continue;
    }
    /* QUOTE */
    if (ch == quote) {
      phase = WORD;
      if (!keep)
        continue;
    }
    if (ch == escape && (!keep || quote != '\'')) {
      if (pos + 1 == len) {
        phase = WORD;
        continue;
      }
      if (keep)
        strbuf_addch(&word, ch);
      ch = s[++pos];
    }
    strbuf_addch(&word, ch);
  }
  return s + len;
}

/* Leading "--flag" words (extractBuilderFlags); *rest points at the first
 * non-flag word. */
static void extract_flags(const char *line, char ***flags, size_t *n_flags, const char **rest)
{
  *rest = split_words(line, '\\', true, flags, n_flags);
}

/* Keyword, flags and the trimmed rest of one logical line. */
void pyoci_split_command(const char *line, char **cmd, char ***flags, size_t *n_flags, char **rest)
{
  const char *s = skip_ws(line);
  size_t k = 0;
  while (s[k] && !is_tok_ws((unsigned char)s[k]))
    k++;
  *cmd = xstrndup(s, k);
  const char *after = s + k;
  while (is_tok_ws((unsigned char)*after))
    after++;
  const char *r = after;
  if (*after)
    extract_flags(after, flags, n_flags, &r);
  *rest = trim_dup(r, strlen(r));
}

/* parseWords: whitespace-separated words, quotes and escapes kept (they are
 * removed later, at expansion). */
void pyoci_parse_words(const char *rest, char escape, char ***out, size_t *n)
{
  split_words(rest, escape, false, out, n);
}

/* reWhitespace.Split(rest, -1) */
void pyoci_split_ws(const char *rest, int limit, char ***out, size_t *n)
{
  const char *p = rest;
  if (*p == '\0')
    return;
  for (;;) {
    const char *q = p;
    if (limit > 0 && (int)*n == limit - 1) {
      pyoci_df_strv_push(out, n, xstrdup(p));
      return;
    }
    while (*q && !is_tok_ws((unsigned char)*q))
      q++;
    pyoci_df_strv_push(out, n, xstrndup(p, (size_t)(q - p)));
    if (*q == '\0')
      return;
    while (is_tok_ws((unsigned char)*q))
      q++;
    p = q;
  }
}

/* parseJSON: 1 = a JSON array of strings, 0 = not JSON (use shell form),
 * -1 = an array with non-strings (an error in BuildKit). */
/* "\u0000" is valid JSON and Go keeps it (`CMD ["a\u0000"]` stores it in
 * the config); our strings are C strings, so a NUL travels as C0 80
 * (modified UTF-8) until pyoci_df_nul_json turns it back. */
char *pyoci_df_nul_encode(const char *s, size_t len)
{
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '\0')
      strbuf_add(&sb, "\xc0\x80", 2);
    else
      strbuf_addch(&sb, s[i]);
  }
  return strbuf_detach(&sb);
}

json_t *pyoci_df_nul_json(const char *s)
{
  if (strstr(s, "\xc0\x80") == NULL)
    return json_string(s);
  strbuf_t sb = STRBUF_INIT;
  for (const char *p = s; *p; p++) {
    if (p[0] == '\xc0' && p[1] == '\x80') {
      strbuf_add(&sb, "", 1);
      p++;
    } else {
      strbuf_addch(&sb, *p);
    }
  }
  json_t *j = json_stringn(sb.buf, sb.len);
  strbuf_release(&sb);
  return j;
}

int pyoci_parse_json_array(const char *rest, char ***out, size_t *n)
{
  rest = skip_ws(rest);
  if (*rest != '[')
    return 0;
  json_error_t je;
  json_t *j = json_loadb(rest, strlen(rest), JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je);
  if (j == NULL)
    return 0;
  if (!json_is_array(j)) {
    json_decref(j);
    return 0;
  }
  size_t i;
  json_t *v;
  json_array_foreach(j, i, v)
  {
    if (!json_is_string(v)) {
      json_decref(j);
      pyoci_df_strv_free(*out, *n);
      *out = NULL;
      *n = 0;
      return -1;
    }
    pyoci_df_strv_push(out, n, pyoci_df_nul_encode(json_string_value(v), json_string_length(v)));
  }
  if (*out == NULL)
    *out = xcalloc(1, sizeof(char *));
  json_decref(j);
  return 1;
}

bool pyoci_df_can_contain_heredoc(const char *line)
{
  cleanup_free char *cmd = NULL;
  cleanup_free char *rest = NULL;
  char **flags = NULL;
  size_t nf = 0;
  pyoci_split_command(line, &cmd, &flags, &nf, &rest);
  pyoci_df_strv_free(flags, nf);
  int kind = pyoci_lookup_keyword(cmd);
  if (kind == PYOCI_DF_ONBUILD)
    return *rest != '\0' && pyoci_df_can_contain_heredoc(rest);
  if (kind != PYOCI_DF_RUN && kind != PYOCI_DF_COPY && kind != PYOCI_DF_ADD)
    return false;
  char **v = NULL;
  size_t n = 0;
  int r = pyoci_parse_json_array(rest, &v, &n);
  pyoci_df_strv_free(v, n);
  return r != 1;
}
