/* Go template evaluation over jansson values, and the builtin functions.
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

static const gv MISSING = {NULL, NULL, NULL};

static gv gv_new(json_t *owned, const json_t *kobj, const char *kstr)
{
  gv v = {owned, kobj, kstr};
  return v;
}
static gv gv_ref(const gv *v)
{
  gv r = *v;
  if (r.j)
    json_incref(r.j);
  return r;
}
static void gv_release(gv *v)
{
  if (v->j)
    json_decref(v->j);
  *v = MISSING;
}

static int xerr(gt_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xerr(gt_exec *x, const char *fmt, ...)
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

static bool kind_is_slice(const char *k)
{
  return k && strncmp(k, "[]", 2) == 0;
}
static bool kind_is_map(const char *k)
{
  return k && strncmp(k, "map[", 4) == 0;
}
/* Element type of "[]T" or "map[K]T". */
static const char *kind_elem(const char *k)
{
  if (kind_is_slice(k))
    return k + 2;
  if (kind_is_map(k)) {
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
static gv zero_or(json_t *j, const json_t *kobj, const char *kstr)
{
  if (j != NULL && !json_is_null(j))
    return gv_new(json_incref(j), kobj, kstr);
  if (kstr == NULL)
    return j ? gv_new(json_null(), kobj, NULL) : MISSING;
  if (strcmp(kstr, "string") == 0)
    return gv_new(json_string(""), NULL, kstr);
  if (strcmp(kstr, "int") == 0 || strcmp(kstr, "int64") == 0)
    return gv_new(json_integer(0), NULL, kstr);
  if (strcmp(kstr, "bool") == 0)
    return gv_new(json_false(), NULL, kstr);
  if (strcmp(kstr, "struct{}") == 0)
    return gv_new(json_object(), NULL, kstr);
  return gv_new(json_null(), NULL, kstr); /* nil slice / map */
}

static const char *type_name(const gv *v)
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
static const char **sorted_keys(const json_t *obj, size_t *n)
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

static void print_json(strbuf_t *sb, const json_t *j, const char *kstr)
{
  switch (json_typeof(j)) {
  case JSON_STRING:
    strbuf_add(sb, json_string_value(j), json_string_length(j));
    break;
  case JSON_INTEGER:
    strbuf_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
    break;
  case JSON_REAL:
    pyoci_go_format_float(sb, json_real_value(j));
    break;
  case JSON_TRUE:
    strbuf_addstr(sb, "true");
    break;
  case JSON_FALSE:
    strbuf_addstr(sb, "false");
    break;
  case JSON_NULL:
    strbuf_addstr(sb, kind_is_slice(kstr) ? "[]" : kind_is_map(kstr) ? "map[]" : "<nil>");
    break;
  case JSON_ARRAY:
    strbuf_addch(sb, '[');
    for (size_t i = 0; i < json_array_size(j); i++) {
      if (i)
        strbuf_addch(sb, ' ');
      print_json(sb, json_array_get(j, i), kind_elem(kstr));
    }
    strbuf_addch(sb, ']');
    break;
  case JSON_OBJECT: {
    if (kstr && strcmp(kstr, "struct{}") == 0) {
      strbuf_addstr(sb, "{}");
      break;
    }
    size_t n;
    const char **keys = sorted_keys(j, &n);
    strbuf_addstr(sb, "map[");
    for (size_t i = 0; i < n; i++) {
      if (i)
        strbuf_addch(sb, ' ');
      strbuf_addstr(sb, keys[i]);
      strbuf_addch(sb, ':');
      print_json(sb, json_object_get(j, keys[i]), kind_elem(kstr));
    }
    strbuf_addch(sb, ']');
    free(keys);
    break;
  }
  }
}

/* What an action prints.  Go unwraps an interface holding nil to the
 * invalid value, so an untyped null prints "<no value>" here (but "<nil>"
 * inside an array or map). */
static void print_value(strbuf_t *sb, const gv *v)
{
  if (v->j == NULL || (json_is_null(v->j) && v->kstr == NULL))
    strbuf_addstr(sb, "<no value>");
  else
    print_json(sb, v->j, v->kstr);
}

static bool is_true(const gv *v)
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

/* ---- fields ---- */

static int field(gt_exec *x, const gv *recv, const char *name, gv *out)
{
  if (recv->j == NULL || json_is_null(recv->j)) {
    *out = MISSING; /* Go: field of a nil map/invalid value is the invalid value */
    return 0;
  }
  if (!json_is_object(recv->j))
    return xerr(x, "can't evaluate field %s in type %s", name, type_name(recv));
  json_t *v = json_object_get(recv->j, name);
  if (recv->kobj == NULL && kind_is_map(recv->kstr)) {
    /* a Go map: a missing key is the invalid value, whatever the type */
    *out = v ? zero_or(v, NULL, kind_elem(recv->kstr)) : MISSING;
    return 0;
  }
  /* a struct (or an untyped JSON object) */
  const json_t *ck = recv->kobj ? json_object_get(recv->kobj, name) : NULL;
  const json_t *kobj = json_is_object(ck) ? ck : NULL;
  const char *kstr = json_is_string(ck) ? json_string_value(ck) : NULL;
  *out = zero_or(v, kobj, kstr);
  return 0;
}

static int field_chain(gt_exec *x, gv *v, char *const *fields, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    gv next;
    int rc = field(x, v, fields[i], &next);
    gv_release(v);
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
    gv_release(&x->vars[--x->nvars].val);
}
static gvar *var_find(gt_exec *x, const char *name)
{
  for (size_t i = x->nvars; i > 0; i--)
    if (strcmp(x->vars[i - 1].name, name) == 0)
      return &x->vars[i - 1];
  return NULL;
}

/* ---- builtin functions ---- */

typedef int (*gt_fn)(gt_exec *x, gv *args, size_t n, gv *out);

static int want_string(gt_exec *x, const gv *v, const char **s, size_t *len)
{
  if (v->j == NULL || !json_is_string(v->j))
    return xerr(x, "wrong type for value; expected string; got %s", type_name(v));
  *s = json_string_value(v->j);
  if (len)
    *len = json_string_length(v->j);
  return 0;
}
static int want_int(gt_exec *x, const gv *v, long long *i)
{
  if (v->j == NULL || !json_is_integer(v->j))
    return xerr(x, "wrong type for value; expected int; got %s", type_name(v));
  *i = json_integer_value(v->j);
  return 0;
}

static int fn_len(gt_exec *x, gv *a, size_t n, gv *out)
{
  const json_t *j = a[0].j;
  long long len;
  if (j == NULL || (json_is_null(j) && !kind_is_slice(a[0].kstr) && !kind_is_map(a[0].kstr)))
    return xerr(x, "error calling len: len of nil pointer");
  if (json_is_null(j))
    len = 0;
  else if (json_is_string(j))
    len = (long long)json_string_length(j);
  else if (json_is_array(j))
    len = (long long)json_array_size(j);
  else if (json_is_object(j))
    len = (long long)json_object_size(j);
  else
    return xerr(x, "error calling len: len of type %s", type_name(&a[0]));
  *out = gv_new(json_integer(len), NULL, "int");
  return 0;
}

static int fn_index(gt_exec *x, gv *a, size_t n, gv *out)
{
  gv cur = gv_ref(&a[0]);
  for (size_t i = 1; i < n; i++) {
    const json_t *j = cur.j;
    gv next = MISSING;
    if (j == NULL || (json_is_null(j) && !kind_is_map(cur.kstr) && !kind_is_slice(cur.kstr))) {
      gv_release(&cur);
      return xerr(x, "error calling index: index of untyped nil");
    }
    if (json_is_array(j) || (json_is_null(j) && kind_is_slice(cur.kstr))) {
      long long k;
      if (a[i].j == NULL || !json_is_integer(a[i].j)) {
        gv_release(&cur);
        return xerr(x, "error calling index: cannot index slice/array with type %s", type_name(&a[i]));
      }
      k = json_integer_value(a[i].j);
      size_t size = json_is_array(j) ? json_array_size(j) : 0;
      if (k < 0 || (size_t)k >= size) {
        gv_release(&cur);
        return xerr(x, "error calling index: index out of range: %lld", k);
      }
      next = zero_or(json_array_get(j, (size_t)k), NULL, kind_elem(cur.kstr));
    } else if (json_is_object(j) || json_is_null(j)) {
      if (a[i].j == NULL || !json_is_string(a[i].j)) {
        gv_release(&cur);
        return xerr(x, "error calling index: value has type %s; should be string", type_name(&a[i]));
      }
      const char *ek = kind_elem(cur.kstr);
      json_t *v = json_is_object(j) ? json_object_get(j, json_string_value(a[i].j)) : NULL;
      next = (v == NULL && ek == NULL) ? MISSING : zero_or(v, NULL, ek);
    } else {
      gv_release(&cur);
      return xerr(x, "error calling index: can't index item of type %s", type_name(&cur));
    }
    gv_release(&cur);
    cur = next;
  }
  *out = cur;
  return 0;
}

static int fn_json(gt_exec *x, gv *a, size_t n, gv *out)
{
  strbuf_t sb = STRBUF_INIT;
  pyoci_go_json_encode(&sb, a[0].j, NULL, (x->t->flags & PYOCI_GT_JSON_ESCAPE_HTML) != 0);
  *out = gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_join(gt_exec *x, gv *a, size_t n, gv *out)
{
  const char *sep;
  size_t seplen;
  if (want_string(x, &a[1], &sep, &seplen) < 0)
    return -1;
  const json_t *arr = a[0].j;
  if (arr == NULL || (!json_is_array(arr) && !(json_is_null(arr) && kind_is_slice(a[0].kstr))))
    return xerr(x, "wrong type for value; expected []string; got %s", type_name(&a[0]));
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; json_is_array(arr) && i < json_array_size(arr); i++) {
    if (i)
      strbuf_add(&sb, sep, seplen);
    print_json(&sb, json_array_get(arr, i), NULL);
  }
  *out = gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_split(gt_exec *x, gv *a, size_t n, gv *out)
{
  const char *s, *sep;
  size_t len, seplen;
  if (want_string(x, &a[0], &s, &len) < 0 || want_string(x, &a[1], &sep, &seplen) < 0)
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
  *out = gv_new(arr, NULL, "[]string");
  return 0;
}

/* upper/lower/title: ASCII letters only (Go maps Unicode too). */
static int case_map(gt_exec *x, gv *a, gv *out, int mode)
{
  const char *s;
  size_t len;
  if (want_string(x, &a[0], &s, &len) < 0)
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
  *out = gv_new(json_stringn(d, len), NULL, "string");
  free(d);
  return 0;
}
static int fn_upper(gt_exec *x, gv *a, size_t n, gv *out)
{
  return case_map(x, a, out, 0);
}
static int fn_lower(gt_exec *x, gv *a, size_t n, gv *out)
{
  return case_map(x, a, out, 1);
}
static int fn_title(gt_exec *x, gv *a, size_t n, gv *out)
{
  return case_map(x, a, out, 2);
}

static int fn_pad(gt_exec *x, gv *a, size_t n, gv *out)
{
  const char *s = NULL;
  size_t len = 0;
  long long pre = 0, post = 0;
  if (want_string(x, &a[0], &s, &len) < 0 || want_int(x, &a[1], &pre) < 0 || want_int(x, &a[2], &post) < 0)
    return -1;
  strbuf_t sb = STRBUF_INIT;
  if (len > 0) {
    for (long long i = 0; i < pre && i < 4096; i++)
      strbuf_addch(&sb, ' ');
    strbuf_add(&sb, s, len);
    for (long long i = 0; i < post && i < 4096; i++)
      strbuf_addch(&sb, ' ');
  }
  *out = gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}

static int fn_truncate(gt_exec *x, gv *a, size_t n, gv *out)
{
  const char *s = NULL;
  size_t len = 0;
  long long k = 0;
  if (want_string(x, &a[0], &s, &len) < 0 || want_int(x, &a[1], &k) < 0)
    return -1;
  if (k >= 0 && (size_t)k < len)
    len = (size_t)k;
  *out = gv_new(json_stringn(s, len), NULL, "string");
  return 0;
}

static bool is_string_val(const gv *v)
{
  return v->j && json_is_string(v->j);
}

/* fmt.Sprint adds a space between operands when neither is a string;
 * Sprintln always does and ends with a newline. */
static int do_print(gv *a, size_t n, gv *out, bool ln)
{
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && (ln || (!is_string_val(&a[i - 1]) && !is_string_val(&a[i]))))
      strbuf_addch(&sb, ' ');
    if (a[i].j == NULL)
      strbuf_addstr(&sb, "<nil>"); /* an invalid value passed to a function is nil */
    else
      print_value(&sb, &a[i]);
  }
  if (ln)
    strbuf_addch(&sb, '\n');
  *out = gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}
static int fn_print(gt_exec *x, gv *a, size_t n, gv *out)
{
  return do_print(a, n, out, false);
}
static int fn_println(gt_exec *x, gv *a, size_t n, gv *out)
{
  return do_print(a, n, out, true);
}

/* printf: %v %s %d %q %f %e %g %x %t %% with flags, width and precision. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int fn_printf(gt_exec *x, gv *a, size_t n, gv *out)
{
  const char *f = "";
  if (want_string(x, &a[0], &f, NULL) < 0 || f == NULL)
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
      return xerr(x, "error calling printf: width or precision too large");
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
      print_value(&tmp, v);
      snprintf(cfmt + flen, sizeof(cfmt) - flen, "s");
      strbuf_addf(&sb, cfmt, strbuf_str(&tmp));
      strbuf_release(&tmp);
    } else {
      strbuf_t tmp = STRBUF_INIT;
      print_value(&tmp, v);
      strbuf_addf(&sb, "%%!%c(%s=%s)", verb, type_name(v), strbuf_str(&tmp));
      strbuf_release(&tmp);
    }
  }
  *out = gv_new(json_stringn(strbuf_str(&sb), sb.len), NULL, "string");
  strbuf_release(&sb);
  return 0;
}
#pragma GCC diagnostic pop

static int fn_not(gt_exec *x, gv *a, size_t n, gv *out)
{
  *out = gv_new(json_boolean(!is_true(&a[0])), NULL, "bool");
  return 0;
}
/* and/or return the deciding operand, as Go does. */
static int fn_and(gt_exec *x, gv *a, size_t n, gv *out)
{
  size_t i = 0;
  while (i + 1 < n && is_true(&a[i]))
    i++;
  *out = gv_ref(&a[i]);
  return 0;
}
static int fn_or(gt_exec *x, gv *a, size_t n, gv *out)
{
  size_t i = 0;
  while (i + 1 < n && !is_true(&a[i]))
    i++;
  *out = gv_ref(&a[i]);
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
    return xerr(x, "error calling %s: invalid type for comparison", ordered ? "lt" : "eq");
  return xerr(x, "error calling %s: incompatible types for comparison", ordered ? "lt" : "eq");
}

static int fn_eq(gt_exec *x, gv *a, size_t n, gv *out)
{
  bool r = false;
  for (size_t i = 1; i < n && !r; i++) {
    int c;
    if (compare(x, &a[0], &a[i], &c, false) < 0)
      return -1;
    r = c == 0;
  }
  *out = gv_new(json_boolean(r), NULL, "bool");
  return 0;
}
static int fn_ne(gt_exec *x, gv *a, size_t n, gv *out)
{
  int c;
  if (compare(x, &a[0], &a[1], &c, false) < 0)
    return -1;
  *out = gv_new(json_boolean(c != 0), NULL, "bool");
  return 0;
}
static int ordered_cmp(gt_exec *x, gv *a, gv *out, int want)
{
  int c;
  if (compare(x, &a[0], &a[1], &c, true) < 0)
    return -1;
  bool r = want == 0 ? c < 0 : want == 1 ? c <= 0 : want == 2 ? c > 0 : c >= 0;
  *out = gv_new(json_boolean(r), NULL, "bool");
  return 0;
}
static int fn_lt(gt_exec *x, gv *a, size_t n, gv *out)
{
  return ordered_cmp(x, a, out, 0);
}
static int fn_le(gt_exec *x, gv *a, size_t n, gv *out)
{
  return ordered_cmp(x, a, out, 1);
}
static int fn_gt(gt_exec *x, gv *a, size_t n, gv *out)
{
  return ordered_cmp(x, a, out, 2);
}
static int fn_ge(gt_exec *x, gv *a, size_t n, gv *out)
{
  return ordered_cmp(x, a, out, 3);
}

static const struct {
  const char *name;
  gt_fn fn;
  size_t min, max;
} funcs[] = {
    {"len", fn_len, 1, 1},        {"index", fn_index, 1, 64},     {"json", fn_json, 1, 1},
    {"join", fn_join, 2, 2},      {"split", fn_split, 2, 2},      {"upper", fn_upper, 1, 1},
    {"lower", fn_lower, 1, 1},    {"title", fn_title, 1, 1},      {"pad", fn_pad, 3, 3},
    {"truncate", fn_truncate, 2, 2}, {"print", fn_print, 0, 64},  {"println", fn_println, 0, 64},
    {"printf", fn_printf, 1, 64}, {"not", fn_not, 1, 1},          {"and", fn_and, 1, 64},
    {"or", fn_or, 1, 64},         {"eq", fn_eq, 2, 64},           {"ne", fn_ne, 2, 2},
    {"lt", fn_lt, 2, 2},          {"le", fn_le, 2, 2},            {"gt", fn_gt, 2, 2},
    {"ge", fn_ge, 2, 2},
};

bool pyoci_gt_func_exists(const char *name)
{
  for (size_t i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
    if (strcmp(funcs[i].name, name) == 0)
      return true;
  return false;
}

/* ---- evaluation ---- */

static int eval_pipe(gt_exec *x, const gt_pipe *p, const gv *dot, bool declare, gv *out);

static int eval_arg(gt_exec *x, const gt_arg *a, const gv *dot, gv *out)
{
  gv v = MISSING;
  switch (a->type) {
  case A_DOT:
    *out = gv_ref(dot);
    return 0;
  case A_FIELD:
    v = gv_ref(dot);
    break;
  case A_VAR: {
    gvar *var = var_find(x, a->s);
    if (var == NULL)
      return xerr(x, "undefined variable: %s", a->s);
    v = gv_ref(&var->val);
    break;
  }
  case A_STRING:
    *out = gv_new(json_stringn(a->s, a->slen), NULL, "string");
    return 0;
  case A_INT:
    *out = gv_new(json_integer(a->i), NULL, "int");
    return 0;
  case A_FLOAT:
    *out = gv_new(json_real(a->d), NULL, "float64");
    return 0;
  case A_BOOL:
    *out = gv_new(json_boolean(a->b), NULL, "bool");
    return 0;
  case A_NIL:
    *out = gv_new(json_null(), NULL, NULL);
    return 0;
  case A_FUNC:
    return xerr(x, "can't give argument to non-function %s", a->s);
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
  size_t i;
  for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++)
    if (strcmp(funcs[i].name, name) == 0)
      break;
  size_t n = c->nargs - 1 + (final ? 1 : 0);
  if (n < funcs[i].min || n > funcs[i].max)
    return xerr(x, "wrong number of args for %s: want %s%zu got %zu", name, funcs[i].min != funcs[i].max ? "at least " : "",
                funcs[i].min, n);
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
    args[k++] = gv_ref(final);
  if (rc == 0)
    rc = funcs[i].fn(x, args, n, out);
  for (size_t j = 0; j < k; j++)
    gv_release(&args[j]);
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
    rc = xerr(x, "can't give argument to non-function %s", c->src);
  } else {
    rc = eval_arg(x, first, dot, out);
  }
  x->cur = saved;
  return rc;
}

static int eval_pipe(gt_exec *x, const gt_pipe *p, const gv *dot, bool declare, gv *out)
{
  gv val = MISSING;
  for (size_t i = 0; i < p->ncmds; i++) {
    gv next;
    if (eval_cmd(x, p->cmds[i], dot, i > 0 ? &val : NULL, &next) < 0) {
      gv_release(&val);
      return -1;
    }
    gv_release(&val);
    val = next;
  }
  if (declare && p->ndecl == 1) {
    if (p->assign) {
      gvar *var = var_find(x, p->decl[0]);
      if (var == NULL) {
        gv_release(&val);
        return xerr(x, "undefined variable: %s", p->decl[0]);
      }
      gv_release(&var->val);
      var->val = gv_ref(&val);
    } else {
      var_push(x, p->decl[0], gv_ref(&val));
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
    print_json(&sb, j, val->kstr);
    x->cur = n->pipe->cmds[n->pipe->ncmds - 1];
    xerr(x, "range can't iterate over %s", strbuf_str(&sb));
    x->cur = NULL;
    strbuf_release(&sb);
    return -1;
  }
  if (count == 0)
    return n->elselist ? walk_list(x, n->elselist, dot) : 0;
  const gt_pipe *p = n->pipe;
  const char *ek = kind_elem(val->kstr);
  size_t nkeys = 0;
  const char **keys = json_is_object(j) ? sorted_keys(j, &nkeys) : NULL;
  int rc = 0;
  for (size_t i = 0; i < count && rc == 0; i++) {
    size_t mark = x->nvars;
    gv key, elem;
    if (keys) {
      key = gv_new(json_string(keys[i]), NULL, "string");
      elem = zero_or(json_object_get(j, keys[i]), NULL, ek);
    } else {
      key = gv_new(json_integer((json_int_t)i), NULL, "int");
      elem = zero_or(json_array_get(j, i), NULL, ek);
    }
    if (p->ndecl == 1) {
      var_push(x, p->decl[0], gv_ref(&elem));
    } else if (p->ndecl == 2) {
      var_push(x, p->decl[0], gv_ref(&key));
      var_push(x, p->decl[1], gv_ref(&elem));
    }
    rc = walk_list(x, n->list, &elem);
    var_pop_to(x, mark);
    gv_release(&key);
    gv_release(&elem);
  }
  free(keys);
  return rc;
}

static int walk(gt_exec *x, const gt_node *n, const gv *dot)
{
  gv val = MISSING;
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
      print_value(x->out, &val);
    gv_release(&val);
    return 0;
  case N_IF:
  case N_WITH: {
    size_t mark = x->nvars;
    if (eval_pipe(x, n->pipe, dot, true, &val) < 0)
      return -1;
    if (is_true(&val))
      rc = walk_list(x, n->list, n->type == N_WITH ? &val : dot);
    else if (n->elselist)
      rc = walk_list(x, n->elselist, dot);
    gv_release(&val);
    var_pop_to(x, mark);
    return rc;
  }
  case N_RANGE:
    if (eval_pipe(x, n->pipe, dot, false, &val) < 0)
      return -1;
    rc = walk_range(x, n, dot, &val);
    gv_release(&val);
    return rc;
  }
  return 0;
}

int pyoci_gotemplate_execute(const pyoci_gotemplate_t *t, json_t *data, const json_t *kinds, strbuf_t *out,
                             pyoci_error_t **err)
{
  gt_exec x = {.t = t, .out = out, .err = err};
  gv root = gv_new(data ? json_incref(data) : NULL, json_is_object(kinds) ? kinds : NULL, NULL);
  var_push(&x, "$", gv_ref(&root));
  int rc = walk(&x, t->root, &root);
  var_pop_to(&x, 0);
  free(x.vars);
  gv_release(&root);
  return rc;
}
