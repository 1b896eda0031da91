/* Splitting RUN's shell text into simple commands (see lint_shell.h). */
#include "lint_shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"

/* Words that only lead into the real command. */
static const char *const prefixes[] = {"sudo", "env",  "exec", "command", "nohup", "time", "then", "do",
                                       "else", "elif", "if",   "while",   "until", "!",    "{"};

struct splitter {
  lint_script_t *out;
  lint_cmd_t cur;
  strbuf_t word;
  bool in_word; /* a word was started (possibly empty: "") */
};

static bool is_assignment(const char *w)
{
  if (!(isalpha((unsigned char)w[0]) || w[0] == '_'))
    return false;
  for (const char *p = w; *p; p++) {
    if (*p == '=')
      return true;
    if (!(isalnum((unsigned char)*p) || *p == '_'))
      return false;
  }
  return false;
}

static bool is_prefix(const char *w)
{
  for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
    if (strcmp(w, prefixes[i]) == 0)
      return true;
  return false;
}

static void end_word(struct splitter *s)
{
  if (!s->in_word)
    return;
  s->in_word = false;
  char *w = strbuf_detach(&s->word);
  /* Drop "DEBIAN_FRONTEND=noninteractive", "sudo", ... before the program. */
  if (s->cur.n == 0 && (is_assignment(w) || is_prefix(w))) {
    free(w);
    return;
  }
  s->cur.words = xrealloc(s->cur.words, (s->cur.n + 2) * sizeof(char *));
  s->cur.words[s->cur.n++] = w;
  s->cur.words[s->cur.n] = NULL;
}

static void end_cmd(struct splitter *s)
{
  end_word(s);
  if (s->cur.n == 0)
    return;
  lint_script_t *o = s->out;
  o->cmds = xrealloc(o->cmds, (o->n + 1) * sizeof(*o->cmds));
  o->cmds[o->n++] = s->cur;
  memset(&s->cur, 0, sizeof(s->cur));
}

static void add(struct splitter *s, char c)
{
  s->in_word = true;
  strbuf_addch(&s->word, c);
}

void pyoci_lint_script_parse(const char *p, lint_script_t *out)
{
  memset(out, 0, sizeof(*out));
  struct splitter s = {.out = out, .word = STRBUF_INIT};
  for (; *p; p++) {
    char c = *p;
    if (c == '\\') {
      if (p[1] == '\0')
        break;
      p++;
      if (*p != '\n')
        add(&s, *p);
    } else if (c == '\'') {
      s.in_word = true;
      for (p++; *p && *p != '\''; p++)
        add(&s, *p);
      if (*p == '\0')
        break;
    } else if (c == '"') {
      s.in_word = true;
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0')
          p++;
        add(&s, *p);
      }
      if (*p == '\0')
        break;
    } else if (c == '#' && !s.in_word) {
      while (p[1] && p[1] != '\n')
        p++;
    } else if (isspace((unsigned char)c) && c != '\n') {
      end_word(&s);
    } else if (c == '|') {
      if (p[1] == '|')
        p++;
      else
        out->has_pipe = true;
      end_cmd(&s);
    } else if (strchr(";&\n()`", c) != NULL) {
      if (c == '&' && p[1] == '&')
        p++;
      end_cmd(&s);
    } else {
      add(&s, c);
    }
  }
  end_cmd(&s);
  strbuf_release(&s.word);
}

void pyoci_lint_script_release(lint_script_t *s)
{
  for (size_t i = 0; i < s->n; i++) {
    for (size_t k = 0; k < s->cmds[i].n; k++)
      free(s->cmds[i].words[k]);
    free(s->cmds[i].words);
  }
  free(s->cmds);
  memset(s, 0, sizeof(*s));
}

const char *pyoci_lint_cmd_name(const lint_cmd_t *c)
{
  if (c->n == 0)
    return "";
  const char *slash = strrchr(c->words[0], '/');
  return slash ? slash + 1 : c->words[0];
}

bool pyoci_lint_cmd_has(const lint_cmd_t *c, const char *w)
{
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->words[i], w) == 0)
      return true;
  return false;
}
