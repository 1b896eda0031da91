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

/* ---- evaluation (gotemplate_exec.c, _value.c, _funcs.c) ---- */
#include <jansson.h>

#include "strbuf.h"

typedef struct {
  json_t *j;          /* owned reference; NULL = missing */
  const json_t *kobj; /* struct kinds (object) */
  const char *kstr;   /* Go type name */
} gv;

typedef struct {
  const char *name;
  gv val;
} gvar;

typedef struct {
  const pyoci_gotemplate_t *t;
  strbuf_t *out;
  gvar *vars;
  size_t nvars, capvars;
  const gt_cmd *cur; /* for error positions */
  pyoci_error_t **err;
  int depth;
} gt_exec;

#define GT_MISSING ((gv){NULL, NULL, NULL})

gv pyoci_gt_gv_new(json_t *owned, const json_t *kobj, const char *kstr);
gv pyoci_gt_gv_ref(const gv *v);
void pyoci_gt_gv_release(gv *v);
int pyoci_gt_xerr(gt_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool pyoci_gt_kind_is_slice(const char *k);
bool pyoci_gt_kind_is_map(const char *k);
const char *pyoci_gt_kind_elem(const char *k);
gv pyoci_gt_zero_or(json_t *j, const json_t *kobj, const char *kstr);
const char *pyoci_gt_type_name(const gv *v);
const char **pyoci_gt_sorted_keys(const json_t *obj, size_t *n);
void pyoci_gt_print_json(strbuf_t *sb, const json_t *j, const char *kstr);
void pyoci_gt_print_value(strbuf_t *sb, const gv *v);
bool pyoci_gt_is_true(const gv *v);
int pyoci_gt_want_string(gt_exec *x, const gv *v, const char **s, size_t *len);
int pyoci_gt_want_int(gt_exec *x, const gv *v, long long *i);

/* mode: which of the builtins that share one body is called (upper, lower
 * and title are one case mapper; lt, le, gt, ge one comparison). */
typedef int (*gt_fn)(gt_exec *x, gv *args, size_t n, int mode, gv *out);
typedef struct {
  const char *name;
  gt_fn fn;
  size_t min, max;
  int mode;
} pyoci_gt_func_t;

/* A builtin by name, NULL when there is none (the parser checks calls). */
const pyoci_gt_func_t *pyoci_gt_func_find(const char *name);
bool pyoci_gt_func_exists(const char *name);

#endif
