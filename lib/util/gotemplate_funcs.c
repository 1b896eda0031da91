/* The builtin functions of Go's text/template (and docker's additions:
 * json, join, split, upper, lower, title, pad, truncate), as a table. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gojson.h"
#include "gotemplate_int.h"

static int fn_len(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const json_t *j = a[0].j;
  long long len;
  if (j == NULL || (json_is_null(j) && !pyoci_gt_kind_is_slice(a[0].kstr) && !pyoci_gt_kind_is_map(a[0].kstr)))
    return pyoci_gt_xerr(x, "error calling len: len of nil pointer");
  if (json_is_null(j))
    len = 0;
  else if (json_is_string(j))
    len = (long long)json_string_length(j);
  else if (json_is_array(j))
    len = (long long)json_array_size(j);
  else if (json_is_object(j))
    len = (long long)json_object_size(j);
  else
    return pyoci_gt_xerr(x, "error calling len: len of type %s", pyoci_gt_type_name(&a[0]));
  *out = pyoci_gt_gv_new(json_integer(len), NULL, "int");
  return 0;
}

static int fn_index(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  gv cur = pyoci_gt_gv_ref(&a[0]);
  for (size_t i = 1; i < n; i++) {
    const json_t *j = cur.j;
    gv next = GT_MISSING;
    if (j == NULL || (json_is_null(j) && !pyoci_gt_kind_is_map(cur.kstr) && !pyoci_gt_kind_is_slice(cur.kstr))) {
      pyoci_gt_gv_release(&cur);
      return pyoci_gt_xerr(x, "error calling index: index of untyped nil");
    }
    if (json_is_array(j) || (json_is_null(j) && pyoci_gt_kind_is_slice(cur.kstr))) {
      long long k;
      if (a[i].j == NULL || !json_is_integer(a[i].j)) {
        pyoci_gt_gv_release(&cur);
        return pyoci_gt_xerr(x, "error calling index: cannot index slice/array with type %s", pyoci_gt_type_name(&a[i]));
      }
      k = json_integer_value(a[i].j);
      size_t size = json_is_array(j) ? json_array_size(j) : 0;
      if (k < 0 || (size_t)k >= size) {
        pyoci_gt_gv_release(&cur);
        return pyoci_gt_xerr(x, "error calling index: index out of range: %lld", k);
      }
      next = pyoci_gt_zero_or(json_array_get(j, (size_t)k), NULL, pyoci_gt_kind_elem(cur.kstr));
    } else if (json_is_object(j) || json_is_null(j)) {
      if (a[i].j == NULL || !json_is_string(a[i].j)) {
        pyoci_gt_gv_release(&cur);
        return pyoci_gt_xerr(x, "error calling index: value has type %s; should be string", pyoci_gt_type_name(&a[i]));
      }
      const char *ek = pyoci_gt_kind_elem(cur.kstr);
      json_t *v = json_is_object(j) ? json_object_get(j, json_string_value(a[i].j)) : NULL;
      next = (v == NULL && ek == NULL) ? GT_MISSING : pyoci_gt_zero_or(v, NULL, ek);
    } else {
      pyoci_gt_gv_release(&cur);
      return pyoci_gt_xerr(x, "error calling index: can't index item of type %s", pyoci_gt_type_name(&cur));
    }
    pyoci_gt_gv_release(&cur);
    cur = next;
  }
  *out = cur;
  return 0;
}

static int fn_json(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  strbuf_t sb = STRBUF_INIT;
  pyoci_go_json_encode(&sb, a[0].j, NULL, (x->t->flags & PYOCI_GT_JSON_ESCAPE_HTML) != 0);
  *out = pyoci_gt_gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_join(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *sep;
  size_t seplen;
  if (pyoci_gt_want_string(x, &a[1], &sep, &seplen) < 0)
    return -1;
  const json_t *arr = a[0].j;
  if (arr == NULL || (!json_is_array(arr) && !(json_is_null(arr) && pyoci_gt_kind_is_slice(a[0].kstr))))
    return pyoci_gt_xerr(x, "wrong type for value; expected []string; got %s", pyoci_gt_type_name(&a[0]));
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
    if (i)
      strbuf_add(&sb, sep, seplen);
    pyoci_gt_print_json(&sb, json_array_get(arr, i), NULL);
  }
  *out = pyoci_gt_gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_split(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *s, *sep;
  size_t len, seplen;
  if (pyoci_gt_want_string(x, &a[0], &s, &len) < 0 || pyoci_gt_want_string(x, &a[1], &sep, &seplen) < 0)
    return -1;
  json_t *arr = json_array();
  if (seplen == 0) { /* one element per UTF-8 character */
    for (size_t i = 0; i < len;) {
      size_t k = 1;
      while (i + k < len && ((unsigned char)s[i + k] & 0xc0) == 0x80)
        k++;
      json_array_append_new(arr, json_stringn(s + i, k));
      i += k;
    }
  } else {
    const char *p = s, *end = s + len;
    for (;;) {
      const char *hit = memmem(p, (size_t)(end - p), sep, seplen);
      if (hit == NULL) {
        json_array_append_new(arr, json_stringn(p, (size_t)(end - p)));
        break;
      }
      json_array_append_new(arr, json_stringn(p, (size_t)(hit - p)));
      p = hit + seplen;
    }
  }
  *out = pyoci_gt_gv_new(arr, NULL, "[]string");
  return 0;
}

/* upper/lower/title: ASCII letters only (Go maps Unicode too). */
/* upper (mode 0), lower (1), title (2). */
static int fn_case(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *s;
  size_t len;
  if (pyoci_gt_want_string(x, &a[0], &s, &len) < 0)
    return -1;
  char *d = xmalloc(len + 1);
  bool word_start = true;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (mode == 0)
      d[i] = (char)toupper(c);
    else if (mode == 1)
      d[i] = (char)tolower(c);
    else
      d[i] = (char)(word_start ? toupper(c) : c);
    word_start = !(isalnum(c) || c == '_' || c == '\'' || c >= 0x80);
  }
  *out = pyoci_gt_gv_new(json_stringn(d, len), NULL, "string");
  free(d);
  return 0;
}

static int fn_pad(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *s = NULL;
  size_t len = 0;
  long long pre = 0, post = 0;
  if (pyoci_gt_want_string(x, &a[0], &s, &len) < 0 || pyoci_gt_want_int(x, &a[1], &pre) < 0 || pyoci_gt_want_int(x, &a[2], &post) < 0)
    return -1;
  strbuf_t sb = STRBUF_INIT;
  if (len > 0) {
    for (long long i = 0; i < pre && i < 4096; i++)
      strbuf_addch(&sb, ' ');
    strbuf_add(&sb, s, len);
    for (long long i = 0; i < post && i < 4096; i++)
      strbuf_addch(&sb, ' ');
  }
  *out = pyoci_gt_gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_truncate(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *s = NULL;
  size_t len = 0;
  long long k = 0;
  if (pyoci_gt_want_string(x, &a[0], &s, &len) < 0 || pyoci_gt_want_int(x, &a[1], &k) < 0)
    return -1;
  if (k >= 0 && (size_t)k < len)
    len = (size_t)k;
  *out = pyoci_gt_gv_new(json_stringn(s, len), NULL, "string");
  return 0;
}

static bool is_string_val(const gv *v)
{
  return v->j && json_is_string(v->j);
}

/* fmt.Sprint adds a space between operands when neither is a string;
 * Sprintln (mode 1) always does and ends with a newline. */
static int fn_print(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  bool ln = mode == 1;
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (ln || (!is_string_val(&a[i - 1]) && !is_string_val(&a[i]))))
      strbuf_addch(&sb, ' ');
    if (a[i].j == NULL)
      strbuf_addstr(&sb, "<nil>"); /* an invalid value passed to a function is nil */
    else
      pyoci_gt_print_value(&sb, &a[i]);
  }
  if (ln)
    strbuf_addch(&sb, '\n');
  *out = pyoci_gt_gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

/* printf: %v %s %d %q %f %e %g %x %t %% with flags, width and precision. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fn_printf(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  const char *f = "";
  if (pyoci_gt_want_string(x, &a[0], &f, NULL) < 0 || f == NULL)
    return -1;
  strbuf_t sb = STRBUF_INIT;
  size_t argi = 1;
  for (const char *p = f; *p; p++) {
    if (*p != '%') {
      strbuf_addch(&sb, *p);
      continue;
    }
    /* The C format is rebuilt from checked pieces only: flags, a width
     * and precision of at most 3 digits each, then our own verb. */
    const char *spec = p++;
    while (*p && strchr("+-# 0", *p))
      p++;
    int wd = 0, pd = 0;
    while (isdigit((unsigned char)*p))
      p++, wd++;
    if (*p == '.') {
      p++;
      while (isdigit((unsigned char)*p))
        p++, pd++;
    }
    if (*p == '\0')
      break;
    if (wd > 3 || pd > 3) {
      strbuf_release(&sb);
      return pyoci_gt_xerr(x, "error calling printf: width or precision too large");
    }
    char verb = *p;
    if (verb == '%') {
      strbuf_addch(&sb, '%');
      continue;
    }
    if (argi >= n) {
      strbuf_addf(&sb, "%%!%c(MISSING)", verb);
      continue;
    }
    gv *v = &a[argi++];
    char cfmt[32];
    size_t flen = (size_t)(p - spec);
    if (flen > 20)
      flen = 20;
    memcpy(cfmt, spec, flen);
    const json_t *j = v->j;
    if ((verb == 'd' || verb == 'x' || verb == 'X' || verb == 'o') && j && json_is_integer(j)) {
      snprintf(cfmt + flen, sizeof(cfmt) - flen, "ll%c", verb);
      strbuf_addf(&sb, cfmt, (long long)json_integer_value(j));
    } else if (strchr("feEgG", verb) && j && json_is_number(j)) {
      snprintf(cfmt + flen, sizeof(cfmt) - flen, "%c", verb);
      strbuf_addf(&sb, cfmt, json_number_value(j));
    } else if (verb == 'q' && j && json_is_string(j)) {
      pyoci_go_json_string(&sb, json_string_value(j), json_string_length(j), false);
    } else if (verb == 's' || verb == 'v' || verb == 't') {
      strbuf_t tmp = STRBUF_INIT;
      pyoci_gt_print_value(&tmp, v);
      snprintf(cfmt + flen, sizeof(cfmt) - flen, "s");
      strbuf_addf(&sb, cfmt, strbuf_str(&tmp));
      strbuf_release(&tmp);
    } else {
      strbuf_t tmp = STRBUF_INIT;
      pyoci_gt_print_value(&tmp, v);
      strbuf_addf(&sb, "%%!%c(%s=%s)", verb, pyoci_gt_type_name(v), strbuf_str(&tmp));
      strbuf_release(&tmp);
    }
  }
  *out = pyoci_gt_gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}
#pragma GCC diagnostic pop

static int fn_not(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  *out = pyoci_gt_gv_new(json_boolean(!pyoci_gt_is_true(&a[0])), NULL, "bool");
  return 0;
}
/* and/or return the deciding operand, as Go does. */
static int fn_and(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  size_t i = 0;
  while (i + 1 < n && pyoci_gt_is_true(&a[i]))
    i++;
  *out = pyoci_gt_gv_ref(&a[i]);
  return 0;
}
static int fn_or(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  size_t i = 0;
  while (i + 1 < n && !pyoci_gt_is_true(&a[i]))
    i++;
  *out = pyoci_gt_gv_ref(&a[i]);
  return 0;
}

/* Compare two basic values: sets *c to <0, 0, >0; -1 when incomparable. */
static int compare(gt_exec *x, const gv *a, const gv *b, int *c, bool ordered)
{
  const json_t *p = a->j, *q = b->j;
  if (p && q && json_is_number(p) && json_is_number(q)) {
    if (json_is_integer(p) && json_is_integer(q)) {
      json_int_t u = json_integer_value(p), v = json_integer_value(q);
      *c = u < v ? -1 : u > v;
    } else {
      double u = json_number_value(p), v = json_number_value(q);
      *c = u < v ? -1 : u > v;
    }
    return 0;
  }
  if (p && q && json_is_string(p) && json_is_string(q)) {
    size_t lp = json_string_length(p), lq = json_string_length(q);
    int r = memcmp(json_string_value(p), json_string_value(q), lp < lq ? lp : lq);
    *c = r != 0 ? r : (lp < lq ? -1 : lp > lq);
    return 0;
  }
  if (!ordered && p && q && json_is_boolean(p) && json_is_boolean(q)) {
    *c = json_is_true(p) != json_is_true(q);
    return 0;
  }
  if (!ordered && p && q && json_is_null(p) && json_is_null(q)) {
    *c = 0;
    return 0;
  }
  if (p == NULL || q == NULL || !(json_is_number(p) || json_is_string(p) || json_is_boolean(p)))
    return pyoci_gt_xerr(x, "error calling %s: invalid type for comparison", ordered ? "lt" : "eq");
  return pyoci_gt_xerr(x, "error calling %s: incompatible types for comparison", ordered ? "lt" : "eq");
}

static int fn_eq(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  bool r = false;
  for (size_t i = 1; i < n && !r; i++) {
    int c;
    if (compare(x, &a[0], &a[i], &c, false) < 0)
      return -1;
    r = c == 0;
  }
  *out = pyoci_gt_gv_new(json_boolean(r), NULL, "bool");
  return 0;
}
static int fn_ne(gt_exec *x, gv *a, size_t n, int mode, gv *out)
{
  int c;
  if (compare(x, &a[0], &a[1], &c, false) < 0)
    return -1;
  *out = pyoci_gt_gv_new(json_boolean(c != 0), NULL, "bool");
  return 0;
}
/* lt (mode 0), le (1), gt (2), ge (3). */
static int fn_ordered(gt_exec *x, gv *a, size_t n, int want, gv *out)
{
  int c;
  if (compare(x, &a[0], &a[1], &c, true) < 0)
    return -1;
  bool r = want == 0 ? c < 0 : want == 1 ? c <= 0 : want == 2 ? c > 0 : c >= 0;
  *out = pyoci_gt_gv_new(json_boolean(r), NULL, "bool");
  return 0;
}

static const pyoci_gt_func_t funcs[] = {
    {"len", fn_len, 1, 1, 0},          {"index", fn_index, 1, 64, 0},   {"json", fn_json, 1, 1, 0},
    {"join", fn_join, 2, 2, 0},        {"split", fn_split, 2, 2, 0},    {"upper", fn_case, 1, 1, 0},
    {"lower", fn_case, 1, 1, 1},       {"title", fn_case, 1, 1, 2},     {"pad", fn_pad, 3, 3, 0},
    {"truncate", fn_truncate, 2, 2, 0}, {"print", fn_print, 0, 64, 0},  {"println", fn_print, 0, 64, 1},
    {"printf", fn_printf, 1, 64, 0},   {"not", fn_not, 1, 1, 0},        {"and", fn_and, 1, 64, 0},
    {"or", fn_or, 1, 64, 0},           {"eq", fn_eq, 2, 64, 0},         {"ne", fn_ne, 2, 2, 0},
    {"lt", fn_ordered, 2, 2, 0},       {"le", fn_ordered, 2, 2, 1},     {"gt", fn_ordered, 2, 2, 2},
    {"ge", fn_ordered, 2, 2, 3},
};

const pyoci_gt_func_t *pyoci_gt_func_find(const char *name)
{
  for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
    if (strcmp(funcs[i].name, name) == 0)
      return &funcs[i];
  return NULL;
}

bool pyoci_gt_func_exists(const char *name)
{
  return pyoci_gt_func_find(name) != NULL;
}
