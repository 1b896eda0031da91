/* Python requirements in pip's hash-checking mode, and finding their wheels.
 *
 * Every line must pin one version (name==version) and carry at least one
 * --hash=sha256:HEX: that is what pip --require-hashes demands, and what
 * makes a wheel from anywhere as trustworthy as the requirements file.
 * Wheels are looked for in find-links directories (a local wheelhouse) and
 * then on a PEP 503 simple index; the first whose tags fit the image wins. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/http.h"
#include "asm_int.h"

char *pyoci_pep503_name(const char *name)
{
  strbuf_t sb = STRBUF_INIT;
  bool sep = false;
  for (const char *p = name; *p; p++) {
    if (*p == '-' || *p == '_' || *p == '.') {
      sep = true;
      continue;
    }
    if (sep && sb.len)
      strbuf_addch(&sb, '-');
    sep = false;
    strbuf_addch(&sb, (char)tolower((unsigned char)*p));
  }
  return strbuf_detach(&sb);
}

static int req_line(const char *path, size_t lineno, char *line, pyoci_req_t *r, pyoci_error_t **err)
{
  memset(r, 0, sizeof(*r));
  r->line = lineno;
  char *save = NULL;
  for (char *tok = strtok_r(line, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
    if (strncmp(tok, "--hash=", 7) == 0) {
      const char *h = tok + 7;
      if (strncmp(h, "sha256:", 7) != 0 || strlen(h + 7) != 64 || strspn(h + 7, "0123456789abcdef") != 64)
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: only --hash=sha256:<64 hex> is accepted", path,
                                    lineno);
      pyoci_asm_strv_push(&r->hashes, h + 7);
    } else if (tok[0] == '-') {
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "%s:%zu: option '%s' is not supported here (use python.find-links / index-url in the spec)",
                                  path, lineno, tok);
    } else if (r->name == NULL) {
      char *eq = strstr(tok, "==");
      if (eq == NULL || strchr(tok, ';') || strpbrk(eq + 2, "=<>!~*,") || eq == tok || eq[2] == '\0')
        return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                    "%s:%zu: '%s': pin exactly one version (name==version, no markers)", path, lineno,
                                    tok);
      *eq = '\0';
      char *extras = strchr(tok, '[');
      if (extras)
        *extras = '\0';
      r->name = pyoci_pep503_name(tok);
      r->version = xstrdup(eq + 2);
    } else {
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: unexpected '%s'", path, lineno, tok);
    }
  }
  if (r->name == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s:%zu: --hash without a requirement", path, lineno);
  if (r->hashes == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s:%zu: %s has no --hash=sha256:... (hash-checking mode needs one on every line)",
                                path, lineno, r->name);
  return 0;
}

int pyoci_requirements_parse(const char *path, const char *buf, size_t len, pyoci_req_t **out, size_t *n,
                             pyoci_error_t **err)
{
  *out = NULL;
  *n = 0;
  if (len > ASM_MAX_WHEEL_META || memchr(buf, '\0', len))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: too large or binary", path);
  strbuf_t logical = STRBUF_INIT;
  size_t lineno = 0, start = 0;
  int rc = 0;
  for (const char *p = buf, *end = buf + len; rc == 0 && p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
    lineno++;
    if (logical.len == 0)
      start = lineno;
    const char *hash = NULL;
    for (size_t i = 0; i < l && !hash; i++)
      if (p[i] == '#' && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t'))
        hash = p + i;
    size_t keep = hash ? (size_t)(hash - p) : l;
    while (keep > 0 && (p[keep - 1] == '\r' || p[keep - 1] == ' ' || p[keep - 1] == '\t'))
      keep--;
    bool cont = keep > 0 && p[keep - 1] == '\\';
    strbuf_add(&logical, p, cont ? keep - 1 : keep);
    strbuf_addch(&logical, ' ');
    p = nl ? nl + 1 : end;
    if (cont && p < end)
      continue;
    if (strspn(logical.buf, " \t") != logical.len) {
      if (*n >= 10000) {
        rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: too many requirements", path);
        break;
      }
      *out = xrealloc(*out, (*n + 1) * sizeof(**out));
      rc = req_line(path, start, logical.buf, &(*out)[*n], err);
      (*n)++;
    }
    strbuf_reset(&logical);
  }
  strbuf_release(&logical);
  if (rc < 0) {
    pyoci_reqs_free(*out, *n);
    *out = NULL;
    *n = 0;
  }
  return rc;
}

void pyoci_reqs_free(pyoci_req_t *r, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(r[i].name);
    free(r[i].version);
    pyoci_strvfreep(&r[i].hashes);
  }
  free(r);
}
