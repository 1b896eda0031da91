/* Python distributions installed by an OS package.
 *
 * Debian's python3-flask ships Flask-2.2.2.egg-info, but Debian backports
 * security fixes without changing the upstream version: matched against
 * PyPI advisories it shows vulnerabilities the .deb no longer has.  As
 * trivy does with "system installed files", a distribution whose metadata
 * is a file of a dpkg or apk package belongs to that package: the scanner
 * matches the OS package against the distribution's advisories instead,
 * and the SBOM nests the Python component under it.
 *
 * The file lists read:
 *   var/lib/dpkg/info/NAME[:ARCH].list      dpkg ("/usr/lib/..." per line)
 *   var/lib/dpkg/status.d/NAME[:ARCH].md5sums  distroless ("MD5  usr/lib/...")
 *   lib/apk/db/installed                    apk (P: package, F: dir, R: file)
 * Only the lines naming Python metadata (".dist-info", ".egg-info",
 * ".egg/") are kept (pyoci_owner_trim), so a whole image's lists cost a few
 * kilobytes.
 *
 * Third-party packages: a .deb whose Maintainer has no address at
 * debian.org / debian.net / ubuntu.com / canonical.com is not the
 * distribution's; no distribution advisory covers it, so its Python
 * distributions keep being matched against PyPI (owner_distro false).
 * apk's database records no repository, so apk owners always count as the
 * distribution's. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "catalog.h"
#include "fsview.h"
#include "pkg_int.h"

#define DPKG_INFO "var/lib/dpkg/info/"
#define STATUS_D "var/lib/dpkg/status.d/"
#define APK_DB "lib/apk/db/installed"
#define MAX_OWNED 1000000u /* metadata paths kept from all lists */

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The basename of a list file directly under dir, else NULL. */
static const char *list_name(const char *path, const char *dir, const char *suffix)
{
  size_t d = strlen(dir);
  if (strncmp(path, dir, d) != 0 || strchr(path + d, '/') != NULL || !ends_with(path, suffix))
    return NULL;
  return path + d;
}

bool pyoci_owner_probe(const char *path)
{
  return list_name(path, DPKG_INFO, ".list") != NULL || list_name(path, STATUS_D, ".md5sums") != NULL;
}

static bool names_metadata(const char *line, size_t len)
{
  static const char *const marks[] = {".dist-info", ".egg-info", ".egg/"};
  for (size_t k = 0; k < 3; k++) {
    size_t m = strlen(marks[k]);
    for (size_t i = 0; i + m <= len; i++)
      if (memcmp(line + i, marks[k], m) == 0)
        return true;
  }
  return false;
}

void pyoci_owner_trim(const char *path, char *content, size_t *len)
{
  if (!pyoci_owner_probe(path))
    return;
  size_t out = 0;
  for (size_t i = 0; i < *len;) {
    const char *nl = memchr(content + i, '\n', *len - i);
    size_t l = nl ? (size_t)(nl - (content + i)) : *len - i;
    if (names_metadata(content + i, l)) {
      memmove(content + out, content + i, l);
      out += l;
      if (nl != NULL) /* a last line without one stays without: out <= *len */
        content[out++] = '\n';
    }
    i += l + (nl != NULL);
  }
  *len = out;
  content[out] = '\0';
}

/* ---- the owned-path table ---- */

typedef struct {
  char *path; /* relative, no leading '/' */
  char *owner;
  pyoci_pkg_type_t type;
} owned_t;

typedef struct {
  owned_t *v;
  size_t n, cap;
} owned_set_t;

static void owned_add(owned_set_t *s, const char *path, size_t len, const char *owner, size_t owner_len,
                      pyoci_pkg_type_t type)
{
  while (len > 0 && *path == '/') {
    path++;
    len--;
  }
  while (len > 0 && (path[len - 1] == '/' || path[len - 1] == '\r'))
    len--;
  if (len == 0 || owner_len == 0 || s->n >= MAX_OWNED)
    return;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
  }
  owned_t *o = &s->v[s->n++];
  o->path = xstrndup(path, len);
  o->owner = xstrndup(owner, owner_len);
  o->type = type;
}

/* NAME.list / NAME:ARCH.md5sums -> NAME */
static size_t package_of(const char *base, const char *suffix)
{
  size_t n = strlen(base) - strlen(suffix);
  const char *colon = memchr(base, ':', n);
  return colon ? (size_t)(colon - base) : n;
}

static void read_list(owned_set_t *s, const pyoci_fsv_entry_t *e, const char *base, bool md5sums)
{
  size_t owner_len = package_of(base, md5sums ? ".md5sums" : ".list");
  const char *p = e->content, *end = e->content + e->len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *q = p;
    if (md5sums) { /* "HASH  path" */
      while (q < le && *q != ' ')
        q++;
      while (q < le && *q == ' ')
        q++;
    }
    owned_add(s, q, (size_t)(le - q), base, owner_len, PYOCI_PKG_DEB);
    p = le + (nl != NULL);
  }
}

/* apk: "P:name" starts a package, "F:dir" a directory, "R:file" a file in it. */
static void read_apk(owned_set_t *s, const pyoci_fsv_entry_t *e)
{
  const char *p = e->content, *end = e->content + e->len;
  const char *pkg = NULL, *dir = NULL;
  size_t pkg_len = 0, dir_len = 0;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    size_t l = (size_t)(le - p);
    if (l >= 2 && p[1] == ':') {
      if (p[0] == 'P') {
        pkg = p + 2, pkg_len = l - 2, dir = NULL;
      } else if (p[0] == 'F') {
        dir = p + 2, dir_len = l - 2;
        if (pkg != NULL && names_metadata(dir, dir_len))
          owned_add(s, dir, dir_len, pkg, pkg_len, PYOCI_PKG_APK);
      } else if (p[0] == 'R' && pkg != NULL && dir != NULL) {
        cleanup_strbuf strbuf_t sb = STRBUF_INIT;
        strbuf_add(&sb, dir, dir_len);
        strbuf_addch(&sb, '/');
        strbuf_add(&sb, p + 2, l - 2);
        if (names_metadata(sb.buf, sb.len))
          owned_add(s, sb.buf, sb.len, pkg, pkg_len, PYOCI_PKG_APK);
      }
    } else if (l == 0) {
      pkg = dir = NULL;
    }
    p = le + (nl != NULL);
  }
}

static int cmp_owned(const void *a, const void *b)
{
  return strcmp(((const owned_t *)a)->path, ((const owned_t *)b)->path);
}

static const owned_t *owned_find(const owned_set_t *s, const char *path, size_t len)
{
  cleanup_free char *key = xstrndup(path, len);
  owned_t k = {.path = key};
  return s->n ? bsearch(&k, s->v, s->n, sizeof(owned_t), cmp_owned) : NULL;
}

static bool distro_maintainer(const char *m)
{
  static const char *const domains[] = {"debian.org", "debian.net", "ubuntu.com", "canonical.com", NULL};
  for (int i = 0; m != NULL && domains[i] != NULL; i++)
    if (strstr(m, domains[i]) != NULL)
      return true;
  return false;
}

bool pyoci_owner_is_distro(const pyoci_catalog_result_t *r, const char *owner, pyoci_pkg_type_t type)
{
  if (type == PYOCI_PKG_APK)
    return true;
  for (size_t i = 0; i < r->n_packages; i++) {
    const pyoci_pkg_t *p = &r->packages[i];
    if (p->type == PYOCI_PKG_DEB && strcmp(p->name, owner) == 0)
      return distro_maintainer(p->maintainer);
  }
  return false; /* a list without a status entry: nothing vouches for it */
}

void pyoci_owner_resolve(pyoci_catalog_result_t *r, const pyoci_fsv_entry_t *const *entries, size_t n)
{
  owned_set_t s = {0};
  for (size_t i = 0; i < n; i++) {
    const pyoci_fsv_entry_t *e = entries[i];
    if (e->type != PYOCI_FSV_FILE)
      continue;
    const char *base;
    if ((base = list_name(e->path, DPKG_INFO, ".list")) != NULL)
      read_list(&s, e, base, false);
    else if ((base = list_name(e->path, STATUS_D, ".md5sums")) != NULL)
      read_list(&s, e, base, true);
    else if (strcmp(e->path, APK_DB) == 0)
      read_apk(&s, e);
  }
  if (s.n > 1)
    qsort(s.v, s.n, sizeof(owned_t), cmp_owned);
  for (size_t i = 0; i < r->n_packages; i++) {
    pyoci_pkg_t *p = &r->packages[i];
    if (p->type != PYOCI_PKG_PYTHON || p->origin == NULL)
      continue;
    /* the metadata file itself, or its dist-info / egg-info directory */
    const owned_t *o = owned_find(&s, p->origin, strlen(p->origin));
    const char *slash = strrchr(p->origin, '/');
    if (o == NULL && slash != NULL)
      o = owned_find(&s, p->origin, (size_t)(slash - p->origin));
    if (o == NULL)
      continue;
    p->owner = xstrdup(o->owner);
    p->owner_type = o->type;
    p->owner_distro = pyoci_owner_is_distro(r, o->owner, o->type);
  }
  for (size_t i = 0; i < s.n; i++) {
    free(s.v[i].path);
    free(s.v[i].owner);
  }
  free(s.v);
}
