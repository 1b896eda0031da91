/* Python cataloger: installed distributions in any site-packages or
 * dist-packages directory, the places importlib.metadata looks:
 *   NAME-VER.dist-info/METADATA     (wheels, pip)
 *   NAME-VER.egg-info               (a PKG-INFO file: distutils, Debian)
 *   NAME-VER.egg-info/PKG-INFO      (setuptools, Debian)
 *   NAME-VER.egg/EGG-INFO/PKG-INFO  (easy_install eggs)
 * All are core-metadata email headers; only Name, Version and License are
 * read, and nothing after the first blank line (the description body). */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "lib/util/alloc.h"
#include "stanza.h"

static bool has_suffix_n(const char *s, size_t n, const char *suffix)
{
  size_t m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Component i counted from the end (0 = last) of path: [*s, *s + *n). */
static bool component_from_end(const char *path, int i, const char **s, size_t *n)
{
  const char *end = path + strlen(path);
  for (;;) {
    const char *slash = end;
    while (slash > path && slash[-1] != '/')
      slash--;
    if (i == 0) {
      *s = slash;
      *n = (size_t)(end - slash);
      return *n > 0;
    }
    if (slash == path)
      return false;
    end = slash - 1;
    i--;
  }
}

static bool is_packages_dir(const char *path, int i)
{
  const char *s;
  size_t n;
  if (!component_from_end(path, i, &s, &n))
    return false;
  return (n == 13 && memcmp(s, "site-packages", 13) == 0) || (n == 13 && memcmp(s, "dist-packages", 13) == 0);
}

static bool component_is(const char *path, int i, const char *want)
{
  const char *s;
  size_t n;
  return component_from_end(path, i, &s, &n) && n == strlen(want) && memcmp(s, want, n) == 0;
}

static bool component_ends(const char *path, int i, const char *suffix)
{
  const char *s;
  size_t n;
  return component_from_end(path, i, &s, &n) && n > strlen(suffix) && has_suffix_n(s, n, suffix);
}

static bool python_probe(const char *path)
{
  if (component_is(path, 0, "METADATA"))
    return component_ends(path, 1, ".dist-info") && is_packages_dir(path, 2);
  if (component_ends(path, 0, ".egg-info"))
    return is_packages_dir(path, 1);
  if (component_is(path, 0, "PKG-INFO")) {
    if (component_ends(path, 1, ".egg-info"))
      return is_packages_dir(path, 2);
    return component_is(path, 1, "EGG-INFO") && component_ends(path, 2, ".egg") && is_packages_dir(path, 3);
  }
  return false;
}

static char *license_of(const pyoci_stanza_reader_t *r)
{
  const pyoci_field_t *f = pyoci_stanza_get(r, "License-Expression");
  if (f == NULL || f->value_len == 0)
    f = pyoci_stanza_get(r, "License");
  /* "UNKNOWN" is what old setuptools wrote for "not given". */
  if (f == NULL || f->value_len == 0 || (f->value_len == 7 && memcmp(f->value, "UNKNOWN", 7) == 0))
    return NULL;
  char *s = xstrndup(f->value, f->value_len > 256 ? 256 : f->value_len);
  return s;
}

static int python_parse(const char *path, const char *content, size_t len, pyoci_pkg_add_fn add, void *ctx,
                        pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, path, content, len, true);
  int rc = pyoci_stanza_next(&r, err);
  if (rc <= 0) {
    pyoci_stanza_release(&r);
    return rc < 0 ? -1 : pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: no metadata headers", path);
  }
  pyoci_pkg_t p = {.type = PYOCI_PKG_PYTHON, .layer_index = -1};
  p.name = pyoci_stanza_dup(&r, "Name");
  p.version = pyoci_stanza_dup(&r, "Version");
  if (p.name == NULL || p.name[0] == '\0' || p.version == NULL || p.version[0] == '\0') {
    pyoci_pkg_clear(&p);
    pyoci_stanza_release(&r);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: metadata without Name or Version", path);
  }
  p.license = license_of(&r);
  p.maintainer = pyoci_stanza_dup(&r, "Author");
  pyoci_stanza_release(&r);
  return add(ctx, &p, err);
}

const pyoci_cataloger_t pyoci_cataloger_python = {
    .name = "python",
    .probe = python_probe,
    .parse = python_parse,
    .free = NULL,
    .whole_database = false,
};
