/* apk cataloger: lib/apk/db/installed ("P:name" lines, a blank line between
 * packages).  Fields: P name, V version, A arch, o origin (source package),
 * L license, m maintainer. */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "pkg_int.h"
#include "lib/util/alloc.h"
#include "stanza.h"

#define INSTALLED "lib/apk/db/installed"

static bool apk_probe(const char *path)
{
  return strcmp(path, INSTALLED) == 0;
}

/* apk keys are single letters and case matters ("T" description, "t" build
 * time), so look them up exactly. */
static char *get_exact(const pyoci_stanza_reader_t *r, char key)
{
  for (size_t i = 0; i < r->n; i++)
    if (r->fields[i].name_len == 1 && r->fields[i].name[0] == key) {
      char *s = xstrndup(r->fields[i].value, r->fields[i].value_len);
      return s;
    }
  return NULL;
}

static int apk_one(const pyoci_stanza_reader_t *r, pyoci_pkg_t *p, pyoci_error_t **err)
{
  p->type = PYOCI_PKG_APK;
  p->name = get_exact(r, 'P');
  p->version = get_exact(r, 'V');
  if (p->name == NULL || p->name[0] == '\0' || p->version == NULL || p->version[0] == '\0') {
    pyoci_pkg_clear(p);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s:%zu: package without P: name or V: version", r->path,
                                r->stanza_line);
  }
  p->arch = get_exact(r, 'A');
  p->license = get_exact(r, 'L');
  p->maintainer = get_exact(r, 'm');
  p->source_name = get_exact(r, 'o'); /* origin; its version is the package's */
  return 1;
}

static int apk_parse(const char *path, const char *content, size_t len, pyoci_pkg_add_fn add, void *ctx,
                     pyoci_error_t **err)
{
  return pyoci_pkg_parse_stanzas(path, content, len, false, apk_one, add, ctx, err);
}

const pyoci_cataloger_t pyoci_cataloger_apk = {
    .name = "apk",
    .probe = apk_probe,
    .parse = apk_parse,
    .free = NULL,
    .whole_database = true,
};
