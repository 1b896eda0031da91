/* The instruction view the checks in lint_rules.c read: each instruction's
 * keyword, flags, arguments as words, and line numbers.  It is built from
 * the real Dockerfile parser (lib/dockerfile/dockerfile.h), so lint accepts and
 * rejects exactly what `pyoci build` does; keeping the checks on this small
 * view keeps them independent of the parser's AST details. */
#ifndef PYOCI_LINT_DFVIEW_H
#define PYOCI_LINT_DFVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"

#include "lib/dockerfile/dockerfile.h"

/* The parser's bound on a whole Dockerfile. */
#define LINT_MAX_DOCKERFILE PYOCI_DF_MAX_SIZE

typedef struct {
  char *cmd;       /* instruction keyword, upper-cased ("RUN") */
  char **flags;    /* leading "--name=value" words, NULL-terminated */
  char *args;      /* RUN: the shell text, heredoc bodies appended after a
                      newline; others: argv joined with spaces */
  bool json;       /* exec form (JSON array) */
  char **argv;     /* FROM: image [AS name]; ENV/ARG/LABEL: "KEY=value" (ARG
                      without default: "KEY"; legacy ENV: KEY, value);
                      COPY/ADD: sources and destination; RUN/CMD/SHELL exec
                      form: the array; others: the parser's arguments.
                      NULL-terminated */
  bool inline_src; /* COPY/ADD with a heredoc source */
  int line;        /* 1-based line of the keyword */
  int end_line;    /* last line (continuations and heredocs included) */
} lint_instr_t;

typedef struct {
  lint_instr_t *v;
  size_t n;
  char escape;     /* '\\' or '`' (escape parser directive) */
} lint_view_t;

/* Parse text (len bytes, need not be NUL-terminated); name is used in
 * errors, which are the parser's ("NAME:LINE: message"). */
int pyoci_lint_view_parse(const char *name, const char *text, size_t len, lint_view_t *out, pyoci_error_t **err);
void pyoci_lint_view_release(lint_view_t *v);

/* The value of flag --name (NULL if absent; "" for a bare --name). */
const char *pyoci_lint_instr_flag(const lint_instr_t *in, const char *name);

#endif
