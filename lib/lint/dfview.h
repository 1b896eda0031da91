/* A minimal, line-level view of a Dockerfile for the checks in lint_rules.c:
 * instructions with their keyword, flags, arguments and line numbers.
 *
 * STOPGAP: this exists only because the real parser (lib/build/dockerfile.h)
 * was not on main yet when the checks were written.  It is the single file
 * to swap: build the same lint_view_t from the real parser's AST and delete
 * dfview.c.  It understands what the checks need -- the escape directive,
 * line continuations, comments inside continued instructions, heredocs,
 * leading --flags, JSON (exec) form -- and nothing more (no variable
 * expansion beyond global ARG defaults, done by the checks themselves). */
#ifndef PYOCI_LINT_DFVIEW_H
#define PYOCI_LINT_DFVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "../util/error.h"

/* Bounds for hostile input: a Dockerfile is a few KiB in practice. */
#define LINT_MAX_DOCKERFILE (4u << 20)
#define LINT_MAX_INSTRUCTIONS 50000

typedef struct {
  char *cmd;       /* instruction keyword, upper-cased ("RUN") */
  char **flags;    /* leading "--name=value" words, NULL-terminated */
  char *args;      /* the rest: continuation lines joined, comments dropped;
                      heredoc bodies appended after a newline */
  bool json;       /* args is a JSON array (exec form) */
  char **argv;     /* exec form: the array's strings; else whitespace-split
                      words of args (quotes kept); NULL-terminated */
  int line;        /* 1-based line of the keyword */
  int end_line;    /* last line (continuations and heredocs included) */
} lint_instr_t;

typedef struct {
  lint_instr_t *v;
  size_t n;
  char escape;     /* '\\' or '`' (escape parser directive) */
} lint_view_t;

/* Parse text (len bytes, need not be NUL-terminated); name is used in
 * errors.  Rejects oversized input and NUL bytes. */
int lint_view_parse(const char *name, const char *text, size_t len, lint_view_t *out, pyoci_error_t **err);
void lint_view_release(lint_view_t *v);

/* The value of flag --name (NULL if absent; "" for a bare --name). */
const char *lint_instr_flag(const lint_instr_t *in, const char *name);

#endif
