/* Readers for what a wheel and a requirements file say about themselves:
 * RECORD (CSV, PEP 376/427), METADATA (core metadata headers),
 * entry_points.txt (console_scripts), the file name's compatibility tags
 * (PEP 425, PEP 600 manylinux, PEP 656 musllinux), and a pinned
 * requirements file in pip's hash-checking mode.  All bounded; bad input
 * is an error naming the file and line. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/pkg/stanza.h"
#include "asm_int.h"

/* One CSV field (RFC 4180 quoting); *p advances past it and its comma. */
static char *csv_field(const char **p, const char *end, bool *bad)
{
  strbuf_t sb = STRBUF_INIT;
  const char *s = *p;
  if (s < end && *s == '"') {
    s++;
    for (;;) {
      if (s >= end) {
        *bad = true;
        break;
      }
      if (*s == '"' && s + 1 < end && s[1] == '"') {
        strbuf_addch(&sb, '"');
        s += 2;
      } else if (*s == '"') {
        s++;
        break;
      } else {
        strbuf_addch(&sb, *s++);
      }
    }
  } else {
    while (s < end && *s != ',')
      strbuf_addch(&sb, *s++);
  }
  if (s < end && *s == ',')
    s++;
  else if (s < end)
    *bad = true;
  *p = s;
  return strbuf_detach(&sb);
}

int pyoci_record_parse(const char *what, const char *buf, size_t len, pyoci_record_t **out, size_t *n,
                       pyoci_error_t **err)
{
  *out = NULL;
  *n = 0;
  if (len > ASM_MAX_WHEEL_META)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %u bytes", what, ASM_MAX_WHEEL_META);
  size_t lineno = 0;
  for (const char *line = buf, *bend = buf + len; line < bend;) {
    const char *nl = memchr(line, '\n', (size_t)(bend - line));
    const char *end = nl ? nl : bend;
    lineno++;
    const char *e2 = end > line && end[-1] == '\r' ? end - 1 : end;
    if (e2 > line) {
      bool bad = false;
      const char *p = line;
      char *path = csv_field(&p, e2, &bad), *hash = csv_field(&p, e2, &bad), *size = csv_field(&p, e2, &bad);
      char *sz_end = NULL;
      long long sz = size[0] ? strtoll(size, &sz_end, 10) : -1;
      bad |= p != e2 || path[0] == '\0' || memchr(line, '\0', (size_t)(e2 - line)) != NULL ||
             (size[0] && (*sz_end || sz < 0)) || (hash[0] && strncmp(hash, "sha256=", 7) != 0);
      free(size);
      if (bad || *n >= ASM_MAX_ENTRIES) {
        free(path);
        free(hash);
        pyoci_records_free(*out, *n);
        *out = NULL;
        *n = 0;
        return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: expected 'path,sha256=...,size'", what, lineno);
      }
      *out = xrealloc(*out, (*n + 1) * sizeof(**out));
      (*out)[(*n)++] = (pyoci_record_t){path, hash[0] ? hash : NULL, sz};
      if (!hash[0])
        free(hash);
    }
    line = nl ? nl + 1 : bend;
  }
  return 0;
}

void pyoci_records_free(pyoci_record_t *r, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(r[i].path);
    free(r[i].hash);
  }
  free(r);
}

int pyoci_metadata_parse(const char *what, const char *buf, size_t len, char **name, char **version,
                         pyoci_error_t **err)
{
  if (len > ASM_MAX_WHEEL_META)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %u bytes", what, ASM_MAX_WHEEL_META);
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, what, buf, len, true);
  int rc = pyoci_stanza_next(&r, err);
  if (rc > 0) {
    *name = pyoci_stanza_dup(&r, "Name");
    *version = pyoci_stanza_dup(&r, "Version");
  }
  pyoci_stanza_release(&r);
  if (rc < 0)
    return -1;
  if (rc == 0 || *name == NULL || *version == NULL || (*name)[0] == '\0' || (*version)[0] == '\0') {
    free(*name);
    free(*version);
    *name = *version = NULL;
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: no Name or Version", what);
  }
  return 0;
}

static char *trim(char *s)
{
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

static bool ident_path(const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
      return false;
  return true;
}

int pyoci_entry_points_parse(const char *what, const char *buf, size_t len, char ***names, char ***targets,
                             pyoci_error_t **err)
{
  if (len > ASM_MAX_WHEEL_META)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: larger than %u bytes", what, ASM_MAX_WHEEL_META);
  cleanup_free char *copy = xstrndup(buf, len);
  bool in_scripts = false;
  size_t lineno = 0;
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    char *t = trim(line);
    if (*t == '\0' || *t == '#' || *t == ';')
      continue;
    if (*t == '[') {
      in_scripts = strcmp(t, "[console_scripts]") == 0;
      continue;
    }
    if (!in_scripts)
      continue;
    char *eq = strchr(t, '=');
    if (eq == NULL)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: expected 'name = module:function' in '%.60s'", what, t);
    *eq = '\0';
    char *name = trim(t), *target = trim(eq + 1);
    char *extras = strchr(target, '[');
    if (extras)
      *extras = '\0';
    target = trim(target);
    char *colon = strchr(target, ':');
    if (*name == '\0' || strpbrk(name, "/\\") || name[0] == '.' || colon == NULL) {
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: bad console script '%.60s'", what, name);
    }
    *colon = '\0';
    bool ok = ident_path(target) && ident_path(colon + 1);
    *colon = ':';
    if (!ok)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: bad console script target '%.60s'", what, target);
    pyoci_asm_strv_push(names, name);
    pyoci_asm_strv_push(targets, target);
  }
  return 0;
}
