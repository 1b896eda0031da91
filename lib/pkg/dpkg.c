/* dpkg cataloger: var/lib/dpkg/status and distroless's var/lib/dpkg/status.d/
 * (one file per package, no Status field: everything listed is installed). */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "catalog.h"
#include "pkg_int.h"
#include "stanza.h"

#define STATUS "var/lib/dpkg/status"
#define STATUS_D "var/lib/dpkg/status.d/"

static bool has_suffix(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool dpkg_probe(const char *path)
{
  if (strcmp(path, STATUS) == 0)
    return true;
  if (strncmp(path, STATUS_D, strlen(STATUS_D)) != 0)
    return false;
  const char *name = path + strlen(STATUS_D);
  /* distroless keeps NAME.md5sums beside each NAME */
  return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL && !has_suffix(name, ".md5sums");
}

/* "Status: want flag status": installed when the third word is "installed"
 * (install/hold ok installed, and a package marked for removal is still
 * there until it is removed). */
static bool status_installed(const pyoci_field_t *f)
{
  char words[3][32];
  cleanup_free char *s = xstrndup(f->value, f->value_len);
  return sscanf(s, "%31s %31s %31s", words[0], words[1], words[2]) == 3 && strcmp(words[2], "installed") == 0;
}

/* Source: "src" or "src (version)". */
static int parse_source(const char *path, const pyoci_field_t *f, char **name, char **version, pyoci_error_t **err)
{
  const char *v = f->value, *end = f->value + f->value_len;
  const char *sp = v;
  while (sp < end && *sp != ' ' && *sp != '(')
    sp++;
  if (sp == v)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: empty Source field", path, f->line);
  const char *open = memchr(sp, '(', (size_t)(end - sp));
  if (open != NULL) {
    const char *close = memchr(open, ')', (size_t)(end - open));
    if (close == NULL || close + 1 != end)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: bad Source field '%.*s'", path, f->line,
                                  (int)f->value_len, f->value);
    const char *a = open + 1, *b = close;
    while (a < b && *a == ' ')
      a++;
    while (b > a && b[-1] == ' ')
      b--;
    if (a == b)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: empty version in Source field", path, f->line);
    *version = xstrndup(a, (size_t)(b - a));
  } else if (sp != end) {
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: bad Source field '%.*s'", path, f->line,
                                (int)f->value_len, f->value);
  }
  *name = xstrndup(v, (size_t)(sp - v));
  return 0;
}

/* One stanza of the status file: an installed package, or 0 to skip it. */
static int dpkg_one(const pyoci_stanza_reader_t *r, pyoci_pkg_t *p, pyoci_error_t **err)
{
  const char *path = r->path;
  bool status_d = strncmp(path, STATUS_D, strlen(STATUS_D)) == 0;
  const pyoci_field_t *pkgf = pyoci_stanza_get(r, "Package");
  if (pkgf == NULL || pkgf->value_len == 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: stanza has no Package field", path,
                                r->stanza_line);
  const pyoci_field_t *st = pyoci_stanza_get(r, "Status");
  if (st != NULL ? !status_installed(st) : !status_d)
    return 0;
  const pyoci_field_t *verf = pyoci_stanza_get(r, "Version");
  if (verf == NULL || verf->value_len == 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: package '%.*s' has no Version", path,
                                r->stanza_line, (int)pkgf->value_len, pkgf->value);
  p->type = PYOCI_PKG_DEB;
  p->name = pyoci_stanza_dup(r, "Package");
  p->version = pyoci_stanza_dup(r, "Version");
  p->arch = pyoci_stanza_dup(r, "Architecture");
  p->maintainer = pyoci_stanza_dup(r, "Maintainer");
  const pyoci_field_t *src = pyoci_stanza_get(r, "Source");
  if (src != NULL && parse_source(path, src, &p->source_name, &p->source_version, err) < 0) {
    pyoci_pkg_clear(p);
    return -1;
  }
  return 1;
}

static int dpkg_parse(const char *path, const char *content, size_t len, pyoci_pkg_add_fn add, void *ctx,
                      pyoci_error_t **err)
{
  return pyoci_pkg_parse_stanzas(path, content, len, true, dpkg_one, add, ctx, err);
}

const pyoci_cataloger_t pyoci_cataloger_dpkg = {
    .name = "dpkg",
    .probe = dpkg_probe,
    .parse = dpkg_parse,
    .free = NULL,
    .whole_database = true,
};
