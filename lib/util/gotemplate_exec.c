/* Go template evaluation over jansson values: fields, variables, pipelines,
 * if/range/with (values in gotemplate_value.c, builtins in gotemplate_funcs.c).
 * A value is a JSON reference (NULL = Go's invalid value, printed
 * "<no value>") plus an optional Go type hint from the caller's kinds. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gojson.h"
#include "gotemplate_int.h"

/* ---- fields ---- */

static int field(gt_exec *x, const gv *recv, const char *name, gv *out)
{
  if (recv->j == NULL || json_is_null(recv->j)) {
    *out = GT_MISSING; /* Go: field of a nil map/invalid value is the invalid value */
    return 0;
  }
  if (!json_is_object(recv->j))
    return pyoci_gt_xerr(x, "can't evaluate field %s in type %s", name, pyoci_gt_type_name(recv));
  json_t *v = json_object_get(recv->j, name);
  if (recv->kobj == NULL && pyoci_gt_kind_is_map(recv->kstr)) {
    /* a Go map: a missing key is the invalid value, whatever the type */
    *out = v ? pyoci_gt_zero_or(v, NULL, pyoci_gt_kind_elem(recv->kstr)) : GT_MISSING;
    return 0;
  }
  /* a struct (or an untyped JSON object) */
  const json_t *ck = recv->kobj ? json_object_get(recv->kobj, name) : NULL;
  if (ck == NULL && recv->kobj != NULL && (x->t->flags & PYOCI_GT_STRICT_FIELDS)) {
    const char *type = json_string_value(json_object_get(recv->kobj, ""));
    return pyoci_gt_xerr(x, "can't evaluate field %s in type %s", name, type ? type : "struct");
  }
  const json_t *kobj = json_is_object(ck) ? ck : NULL;
  const char *kstr = json_is_string(ck) ? json_string_value(ck) : NULL;
  *out = pyoci_gt_zero_or(v, kobj, kstr);
  return 0;
}

static int field_chain(gt_exec *x, gv *v, char *const *fields, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    gv next;
    int rc = field(x, v, fields[i], &next);
    pyoci_gt_gv_release(v);
    if (rc < 0)
      return -1;
    *v = next;
  }
  return 0;
}

/* ---- variables ---- */

static void var_push(gt_exec *x, const char *name, gv val)
{
  if (x->nvars == x->capvars) {
    x->capvars = x->capvars ? x->capvars * 2 : 16;
    x->vars = xrealloc(x->vars, x->capvars * sizeof(*x->vars));
  }
  x->vars[x->nvars].name = name;
  x->vars[x->nvars].val = val;
  x->nvars++;
}
static void var_pop_to(gt_exec *x, size_t mark)
{
  while (x->nvars > mark)
    pyoci_gt_gv_release(&x->vars[--x->nvars].val);
}
static gvar *var_find(gt_exec *x, const char *name)
{
  for (size_t i = x->nvars; i > 0; i--)
    if (strcmp(x->vars[i - 1].name, name) == 0)
      return &x->vars[i - 1];
  return NULL;
}

/* ---- evaluation ---- */

static int eval_pipe(gt_exec *x, const gt_pipe *p, const gv *dot, bool declare, gv *out);

static int eval_arg(gt_exec *x, const gt_arg *a, const gv *dot, gv *out)
{
  gv v = GT_MISSING;
  switch (a->type) {
  case A_DOT:
    *out = pyoci_gt_gv_ref(dot);
    return 0;
  case A_FIELD:
    v = pyoci_gt_gv_ref(dot);
    break;
  case A_VAR: {
    gvar *var = var_find(x, a->s);
    if (var == NULL)
      return pyoci_gt_xerr(x, "undefined variable: %s", a->s);
    v = pyoci_gt_gv_ref(&var->val);
    break;
  }
  case A_STRING:
    *out = pyoci_gt_gv_new(json_stringn(a->s, a->slen), NULL, "string");
    return 0;
  case A_INT:
    *out = pyoci_gt_gv_new(json_integer(a->i), NULL, "int");
    return 0;
  case A_FLOAT:
    *out = pyoci_gt_gv_new(json_real(a->d), NULL, "float64");
    return 0;
  case A_BOOL:
    *out = pyoci_gt_gv_new(json_boolean(a->b), NULL, "bool");
    return 0;
  case A_NIL:
    *out = pyoci_gt_gv_new(json_null(), NULL, NULL);
    return 0;
  case A_FUNC:
    return pyoci_gt_xerr(x, "can't give argument to non-function %s", a->s);
  case A_PIPE:
    if (eval_pipe(x, a->pipe, dot, false, &v) < 0)
      return -1;
    break;
  }
  if (field_chain(x, &v, a->fields, a->nfields) < 0)
    return -1;
  *out = v;
  return 0;
}

static int call_func(gt_exec *x, const gt_cmd *c, const gv *dot, const gv *final, gv *out)
{
  const char *name = c->args[0]->s;
  const pyoci_gt_func_t *f = pyoci_gt_func_find(name); /* the parser checked it exists */
  size_t n = c->nargs - 1 + (final ? 1 : 0);
  if (n < f->min || n > f->max)
    return pyoci_gt_xerr(x, "wrong number of args for %s: want %s%zu got %zu", name, f->min != f->max ? "at least " : "",
                f->min, n);
  gv *args = xcalloc(n ? n : 1, sizeof(gv));
  int rc = 0;
  size_t k = 0;
  for (size_t j = 1; j < c->nargs && rc == 0; j++) {
    const gt_arg *a = c->args[j];
    if (a->type == A_FUNC) { /* a bare function name as an argument: call it with no args */
      gt_cmd sub = {.args = (gt_arg **)&c->args[j], .nargs = 1, .line = c->line, .col = c->col, .src = c->src};
      rc = call_func(x, &sub, dot, NULL, &args[k++]);
    } else {
      rc = eval_arg(x, a, dot, &args[k++]);
    }
  }
  if (rc == 0 && final)
    args[k++] = pyoci_gt_gv_ref(final);
  if (rc == 0)
    rc = f->fn(x, args, n, f->mode, out);
  for (size_t j = 0; j < k; j++)
    pyoci_gt_gv_release(&args[j]);
  free(args);
  return rc < 0 ? -1 : 0;
}

static int eval_cmd(gt_exec *x, const gt_cmd *c, const gv *dot, const gv *final, gv *out)
{
  const gt_cmd *saved = x->cur;
  x->cur = c;
  int rc;
  const gt_arg *first = c->args[0];
  if (first->type == A_FUNC) {
    rc = call_func(x, c, dot, final, out);
  } else if (c->nargs > 1 || final) {
    rc = pyoci_gt_xerr(x, "can't give argument to non-function %s", c->src);
  } else {
    rc = eval_arg(x, first, dot, out);
  }
  x->cur = saved;
  return rc;
}

static int eval_pipe(gt_exec *x, const gt_pipe *p, const gv *dot, bool declare, gv *out)
{
  gv val = GT_MISSING;
  for (size_t i = 0; i < p->ncmds; i++) {
    gv next;
    if (eval_cmd(x, p->cmds[i], dot, i > 0 ? &val : NULL, &next) < 0) {
      pyoci_gt_gv_release(&val);
      return -1;
    }
    pyoci_gt_gv_release(&val);
    val = next;
  }
  if (declare && p->ndecl == 1) {
    if (p->assign) {
      gvar *var = var_find(x, p->decl[0]);
      if (var == NULL) {
        pyoci_gt_gv_release(&val);
        return pyoci_gt_xerr(x, "undefined variable: %s", p->decl[0]);
      }
      pyoci_gt_gv_release(&var->val);
      var->val = pyoci_gt_gv_ref(&val);
    } else {
      var_push(x, p->decl[0], pyoci_gt_gv_ref(&val));
    }
  }
  *out = val;
  return 0;
}

static int walk(gt_exec *x, const gt_node *n, const gv *dot);

static int walk_list(gt_exec *x, const gt_node *n, const gv *dot)
{
  size_t mark = x->nvars;
  int rc = 0;
  for (size_t i = 0; i < n->nkids && rc == 0; i++)
    rc = walk(x, n->kids[i], dot);
  var_pop_to(x, mark);
  return rc;
}

static int walk_range(gt_exec *x, const gt_node *n, const gv *dot, const gv *val)
{
  const json_t *j = val->j;
  size_t count = 0;
  if (j == NULL || json_is_null(j)) {
    count = 0;
  } else if (json_is_array(j)) {
    count = json_array_size(j);
  } else if (json_is_object(j)) {
    count = json_object_size(j);
  } else {
    strbuf_t sb = STRBUF_INIT;
    pyoci_gt_print_json(&sb, j, val->kstr);
    x->cur = n->pipe->cmds[n->pipe->ncmds - 1];
    pyoci_gt_xerr(x, "range can't iterate over %s", strbuf_str(&sb));
    x->cur = NULL;
    strbuf_release(&sb);
    return -1;
  }
  if (count == 0)
    return n->elselist ? walk_list(x, n->elselist, dot) : 0;
  const gt_pipe *p = n->pipe;
  const char *ek = pyoci_gt_kind_elem(val->kstr);
  size_t nkeys = 0;
  const char **keys = json_is_object(j) ? pyoci_gt_sorted_keys(j, &nkeys) : NULL;
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++) {
    size_t mark = x->nvars;
    gv key, elem;
    if (keys) {
      key = pyoci_gt_gv_new(json_string(keys[i]), NULL, "string");
      elem = pyoci_gt_zero_or(json_object_get(j, keys[i]), NULL, ek);
    } else {
      key = pyoci_gt_gv_new(json_integer((json_int_t)i), NULL, "int");
      elem = pyoci_gt_zero_or(json_array_get(j, i), NULL, ek);
    }
    if (p->ndecl == 1) {
      var_push(x, p->decl[0], pyoci_gt_gv_ref(&elem));
    } else if (p->ndecl == 2) {
      var_push(x, p->decl[0], pyoci_gt_gv_ref(&key));
      var_push(x, p->decl[1], pyoci_gt_gv_ref(&elem));
    }
    rc = walk_list(x, n->list, &elem);
    var_pop_to(x, mark);
    pyoci_gt_gv_release(&key);
    pyoci_gt_gv_release(&elem);
  }
  free(keys);
  return rc;
}

static int walk(gt_exec *x, const gt_node *n, const gv *dot)
{
  gv val = GT_MISSING;
  int rc = 0;
  switch (n->type) {
  case N_LIST:
    return walk_list(x, n, dot);
  case N_TEXT:
    strbuf_add(x->out, n->text, n->len);
    return 0;
  case N_ACTION:
    if (eval_pipe(x, n->pipe, dot, true, &val) < 0)
      return -1;
    if (n->pipe->ndecl == 0)
      pyoci_gt_print_value(x->out, &val);
    pyoci_gt_gv_release(&val);
    return 0;
  case N_IF:
  case N_WITH: {
    size_t mark = x->nvars;
    if (eval_pipe(x, n->pipe, dot, true, &val) < 0)
      return -1;
    if (pyoci_gt_is_true(&val))
      rc = walk_list(x, n->list, n->type == N_WITH ? &val : dot);
    else if (n->elselist)
      rc = walk_list(x, n->elselist, dot);
    pyoci_gt_gv_release(&val);
    var_pop_to(x, mark);
    return rc;
  }
  case N_RANGE:
    if (eval_pipe(x, n->pipe, dot, false, &val) < 0)
      return -1;
    rc = walk_range(x, n, dot, &val);
    pyoci_gt_gv_release(&val);
    return rc;
  }
  return 0;
}

int pyoci_gotemplate_execute(const pyoci_gotemplate_t *t, json_t *data, const json_t *kinds, strbuf_t *out,
                             pyoci_error_t **err)
{
  gt_exec x = {.t = t, .out = out, .err = err};
  gv root = pyoci_gt_gv_new(data ? json_incref(data) : NULL, json_is_object(kinds) ? kinds : NULL, NULL);
  var_push(&x, "$", pyoci_gt_gv_ref(&root));
  int rc = walk(&x, t->root, &root);
  var_pop_to(&x, 0);
  free(x.vars);
  pyoci_gt_gv_release(&root);
  return rc;
}
