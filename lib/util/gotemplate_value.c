/* Go template values: a JSON reference (NULL = Go's invalid value, printed
 * "<no value>") plus an optional Go type hint from the caller's kinds;
 * their zero values, type names, truth and fmt's %v printing. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gojson.h"
#include "gotemplate_int.h"

gv pyoci_gt_gv_new(json_t *owned, const json_t *kobj, const char *kstr)
{
  gv v = {owned, kobj, kstr};
  return v;
}
gv pyoci_gt_gv_ref(const gv *v)
{
  gv r = *v;
  if (r.j)
    json_incref(r.j);
  return r;
}
void pyoci_gt_gv_release(gv *v)
{
  if (v->j)
    json_decref(v->j);
  *v = GT_MISSING;
}

int pyoci_gt_xerr(gt_exec *x, const char *fmt, ...)
{
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (x->cur)
    return pyoci_error_set(x->err, 0, "template: :%d:%d: executing \"\" at <%s>: %s", x->cur->line, x->cur->col,
                           x->cur->src, msg);
  return pyoci_error_set(x->err, 0, "template: %s", msg);
}

/* ---- kinds and zero values ---- */

bool pyoci_gt_kind_is_slice(const char *k)
{
  return k && strncmp(k, "[]", 2) == 0;
}
bool pyoci_gt_kind_is_map(const char *k)
{
  return k && strncmp(k, "map[", 4) == 0;
}
/* Element type of "[]T" or "map[K]T". */
const char *pyoci_gt_kind_elem(const char *k)
{
  if (pyoci_gt_kind_is_slice(k))
    return k + 2;
  if (pyoci_gt_kind_is_map(k)) {
    int depth = 0;
    for (const char *s = k + 3; *s; s++) {
      if (*s == '[')
        depth++;
      else if (*s == ']' && --depth == 0)
        return s + 1;
    }
  }
  return NULL;
}

/* A null/missing value with a known Go type becomes that type's zero. */
gv pyoci_gt_zero_or(json_t *j, const json_t *kobj, const char *kstr)
{
  if (j != NULL && !json_is_null(j))
    return pyoci_gt_gv_new(json_incref(j), kobj, kstr);
  if (kstr == NULL)
    return j ? pyoci_gt_gv_new(json_null(), kobj, NULL) : GT_MISSING;
  if (strcmp(kstr, "string") == 0)
    return pyoci_gt_gv_new(json_string(""), NULL, kstr);
  if (strcmp(kstr, "int") == 0 || strcmp(kstr, "int64") == 0)
    return pyoci_gt_gv_new(json_integer(0), NULL, kstr);
  if (strcmp(kstr, "bool") == 0)
    return pyoci_gt_gv_new(json_false(), NULL, kstr);
  if (strcmp(kstr, "struct{}") == 0)
    return pyoci_gt_gv_new(json_object(), NULL, kstr);
  return pyoci_gt_gv_new(json_null(), NULL, kstr); /* nil slice / map */
}

const char *pyoci_gt_type_name(const gv *v)
{
  if (v->j == NULL)
    return "invalid";
  if (v->kstr)
    return v->kstr;
  switch (json_typeof(v->j)) {
  case JSON_OBJECT: return "map[string]interface {}";
  case JSON_ARRAY: return "[]interface {}";
  case JSON_STRING: return "string";
  case JSON_INTEGER: return "int";
  case JSON_REAL: return "float64";
  case JSON_TRUE: case JSON_FALSE: return "bool";
  default: return "interface {}";
  }
}

/* ---- printing (fmt %v) ---- */

static int cmp_keys(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Object keys sorted, as fmt prints maps.  Caller frees the array. */
const char **pyoci_gt_sorted_keys(const json_t *obj, size_t *n)
{
  *n = json_object_size(obj);
  const char **keys = xcalloc(*n ? *n : 1, sizeof(*keys));
  size_t i = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)obj, k, v) keys[i++] = k;
  qsort(keys, *n, sizeof(*keys), cmp_keys);
  return keys;
}

void pyoci_gt_print_json(strbuf_t *sb, const json_t *j, const char *kstr)
{
  if (pyoci_go_write_int_or_bool(sb, j))
    return;
  switch (json_typeof(j)) {
  case JSON_STRING:
    strbuf_add(sb, json_string_value(j), json_string_length(j));
    break;
  case JSON_REAL:
    pyoci_go_format_float(sb, json_real_value(j));
    break;
  case JSON_NULL:
    strbuf_addstr(sb, pyoci_gt_kind_is_slice(kstr) ? "[]" : pyoci_gt_kind_is_map(kstr) ? "map[]" : "<nil>");
    break;
  case JSON_ARRAY:
    strbuf_addch(sb, '[');
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i)
        strbuf_addch(sb, ' ');
      pyoci_gt_print_json(sb, json_array_get(j, i), pyoci_gt_kind_elem(kstr));
    }
    strbuf_addch(sb, ']');
    break;
  case JSON_OBJECT: {
    if (kstr && strcmp(kstr, "struct{}") == 0) {
      strbuf_addstr(sb, "{}");
      break;
    }
    size_t n;
    const char **keys = pyoci_gt_sorted_keys(j, &n);
    strbuf_addstr(sb, "map[");
    for (size_t i = 0; i < n; i++) {
      if (i)
        strbuf_addch(sb, ' ');
      strbuf_addstr(sb, keys[i]);
      strbuf_addch(sb, ':');
      pyoci_gt_print_json(sb, json_object_get(j, keys[i]), pyoci_gt_kind_elem(kstr));
    }
    strbuf_addch(sb, ']');
    free(keys);
    break;
  }
  default: /* integers and booleans, written before the switch */
    break;
  }
}

/* What an action prints.  Go unwraps an interface holding nil to the
 * invalid value, so an untyped null prints "<no value>" here (but "<nil>"
 * inside an array or map). */
void pyoci_gt_print_value(strbuf_t *sb, const gv *v)
{
  if (v->j == NULL || (json_is_null(v->j) && v->kstr == NULL))
    strbuf_addstr(sb, "<no value>");
  else
    pyoci_gt_print_json(sb, v->j, v->kstr);
}

bool pyoci_gt_is_true(const gv *v)
{
  const json_t *j = v->j;
  if (j == NULL)
    return false;
  switch (json_typeof(j)) {
  case JSON_OBJECT: return json_object_size(j) > 0;
  case JSON_ARRAY: return json_array_size(j) > 0;
  case JSON_STRING: return json_string_length(j) > 0;
  case JSON_INTEGER: return json_integer_value(j) != 0;
  case JSON_REAL: return json_real_value(j) != 0;
  case JSON_TRUE: return true;
  default: return false;
  }
}

int pyoci_gt_want_string(gt_exec *x, const gv *v, const char **s, size_t *len)
{
  if (v->j == NULL || !json_is_string(v->j))
    return pyoci_gt_xerr(x, "wrong type for value; expected string; got %s", pyoci_gt_type_name(v));
  *s = json_string_value(v->j);
  if (len)
    *len = json_string_length(v->j);
  return 0;
}
int pyoci_gt_want_int(gt_exec *x, const gv *v, long long *i)
{
  if (v->j == NULL || !json_is_integer(v->j))
    return pyoci_gt_xerr(x, "wrong type for value; expected int; got %s", pyoci_gt_type_name(v));
  *i = json_integer_value(v->j);
  return 0;
}
