/* Internal to gotemplate*.c: the parse tree shared by the parser
 * (gotemplate.c) and the evaluator (gotemplate_exec.c). */
#ifndef PYOCI_UTIL_GOTEMPLATE_INT_H
#define PYOCI_UTIL_GOTEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "gotemplate.h"

typedef struct gt_pipe gt_pipe;

typedef enum { A_FIELD, A_DOT, A_VAR, A_STRING, A_INT, A_FLOAT, A_BOOL, A_NIL, A_FUNC, A_PIPE } gt_arg_type;

typedef struct {
  gt_arg_type type;
  char *s; /* string value, variable name ("$x"), function name */
  size_t slen;
  long long i;
  double d;
  bool b;
  char **fields; /* field chain after the term (A_FIELD: the whole chain) */
  size_t nfields;
  gt_pipe *pipe; /* A_PIPE */
} gt_arg;

typedef struct {
  gt_arg **args;
  size_t nargs;
  int line, col;
  char *src; /* the command's text, for error messages */
} gt_cmd;

struct gt_pipe {
  char *decl[2];
  int ndecl;
  bool assign; /* "=" rather than ":=" */
  gt_cmd **cmds;
  size_t ncmds;
};

typedef enum { N_LIST, N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH } gt_node_type;

typedef struct gt_node gt_node;
struct gt_node {
  gt_node_type type;
  int line;
  char *text; /* N_TEXT */
  size_t len;
  gt_node **kids; /* N_LIST */
  size_t nkids;
  gt_pipe *pipe;     /* N_ACTION, N_IF, N_RANGE, N_WITH */
  gt_node *list;     /* body */
  gt_node *elselist; /* may be NULL */
};

struct pyoci_gotemplate {
  gt_node *root;
  unsigned flags;
};

/* Builtin function names (the parser checks calls against this list). */
bool pyoci_gt_func_exists(const char *name);

#endif
