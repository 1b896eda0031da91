/* Stanza reader: see stanza.h. */
#include "stanza.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "pkg_int.h"
#include "lib/util/alloc.h"

void pyoci_stanza_init(pyoci_stanza_reader_t *r, const char *path, const char *buf, size_t len,
                       bool continuations)
{
  memset(r, 0, sizeof(*r));
  r->path = path;
  r->buf = buf;
  r->len = len;
  r->line = 1;
  r->continuations = continuations;
}

void pyoci_stanza_release(pyoci_stanza_reader_t *r)
{
  free(r->fields);
  r->fields = NULL;
  r->n = r->cap = 0;
}

static bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Take the next line: [*start, *start + *llen) without "\n" or "\r\n". */
static int take_line(pyoci_stanza_reader_t *r, const char **start, size_t *llen, pyoci_error_t **err)
{
  const char *p = r->buf + r->pos;
  size_t rest = r->len - r->pos;
  const char *nl = memchr(p, '\n', rest);
  size_t n = nl ? (size_t)(nl - p) : rest;
  if (n > PYOCI_PKG_MAX_LINE)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: line longer than %u bytes", r->path, r->line,
                                PYOCI_PKG_MAX_LINE);
  if (memchr(p, '\0', n) != NULL)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: NUL byte in text", r->path, r->line);
  r->pos += n + (nl ? 1 : 0);
  if (n > 0 && p[n - 1] == '\r')
    n--;
  *start = p;
  *llen = n;
  r->line++;
  return 0;
}

static bool line_blank(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!is_blank(s[i]))
      return false;
  return true;
}

static int add_field(pyoci_stanza_reader_t *r, const char *s, size_t n, size_t line, pyoci_error_t **err)
{
  const char *colon = memchr(s, ':', n);
  if (colon == NULL || colon == s)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: expected 'Name: value', got '%.*s'", r->path,
                                line, (int)(n > 60 ? 60 : n), s);
  for (const char *c = s; c < colon; c++)
    if (is_blank(*c) || (unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: bad field name '%.*s'", r->path, line,
                                  (int)(colon - s > 60 ? 60 : colon - s), s);
  if (r->n >= PYOCI_PKG_MAX_FIELDS)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: more than %d fields in one stanza", r->path,
                                line, PYOCI_PKG_MAX_FIELDS);
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 32;
    r->fields = xrealloc(r->fields, r->cap * sizeof(*r->fields));
  }
  const char *v = colon + 1, *end = s + n;
  while (v < end && is_blank(*v))
    v++;
  while (end > v && is_blank(end[-1]))
    end--;
  r->fields[r->n++] = (pyoci_field_t){s, (size_t)(colon - s), v, (size_t)(end - v), line, v, (size_t)(end - v)};
  return 0;
}

int pyoci_stanza_next(pyoci_stanza_reader_t *r, pyoci_error_t **err)
{
  r->n = 0;
  const char *s;
  size_t n;
  /* Skip blank lines before the stanza. */
  for (;;) {
    if (r->pos >= r->len)
      return 0;
    size_t save_pos = r->pos, save_line = r->line;
    if (take_line(r, &s, &n, err) < 0)
      return -1;
    if (!line_blank(s, n)) {
      r->pos = save_pos;
      r->line = save_line;
      break;
    }
  }
  r->stanza_line = r->line;
  while (r->pos < r->len) {
    size_t line = r->line;
    if (take_line(r, &s, &n, err) < 0)
      return -1;
    if (line_blank(s, n))
      break;
    if (is_blank(s[0])) {
      if (!r->continuations)
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: line starts with a blank", r->path, line);
      if (r->n == 0)
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: continuation line before any field",
                                    r->path, line);
      /* value is the first line; full runs to the end of this one */
      pyoci_field_t *f = &r->fields[r->n - 1];
      f->full_len = (size_t)(s + n - f->full);
      continue;
    }
    if (add_field(r, s, n, line, err) < 0)
      return -1;
  }
  return 1;
}

const pyoci_field_t *pyoci_stanza_get(const pyoci_stanza_reader_t *r, const char *name)
{
  size_t len = strlen(name);
  for (size_t i = 0; i < r->n; i++)
    if (r->fields[i].name_len == len && strncasecmp(r->fields[i].name, name, len) == 0)
      return &r->fields[i];
  return NULL;
}

char *pyoci_stanza_dup(const pyoci_stanza_reader_t *r, const char *name)
{
  const pyoci_field_t *f = pyoci_stanza_get(r, name);
  if (f == NULL)
    return NULL;
  char *s = xstrndup(f->value, f->value_len);
  return s;
}

int pyoci_pkg_parse_stanzas(const char *path, const char *content, size_t len, bool continuations,
                            pyoci_pkg_stanza_fn one, pyoci_pkg_add_fn add, void *ctx, pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, path, content, len, continuations);
  int rc, ret = 0;
  while ((rc = pyoci_stanza_next(&r, err)) > 0) {
    pyoci_pkg_t p = {.layer_index = -1};
    int got = one(&r, &p, err);
    if (got < 0) {
      ret = -1;
      break;
    }
    if (got == 0)
      continue;
    if (p.source_name == NULL)
      p.source_name = xstrdup(p.name);
    if (p.source_version == NULL)
      p.source_version = xstrdup(p.version);
    if (add(ctx, &p, err) < 0) {
      ret = -1;
      break;
    }
  }
  if (rc < 0)
    ret = -1;
  pyoci_stanza_release(&r);
  return ret;
}
