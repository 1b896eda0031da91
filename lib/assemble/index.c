/* The package index: every stanza of the Packages files loaded, by name and
 * by what it Provides.  Only the fields the resolver and the fetcher use are
 * kept. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/vuln/vercmp.h"
#include "lib/pkg/stanza.h"
#include "asm_int.h"

/* One name's packages (or providers): a growable list, the value of a
 * pyoci_strmap_t slot. */
typedef struct {
  void **items;
  size_t n, cap;
} list_t;

struct pyoci_index {
  pyoci_strmap_t by_name, by_provides;
  pyoci_debpkg_t **all;
  size_t n, cap;
};

static void map_add(pyoci_strmap_t *m, const char *key, void *item)
{
  bool added;
  pyoci_strmap_slot_t *slot = pyoci_strmap_insert(m, key, &added);
  if (added)
    slot->val.ptr = xcalloc(1, sizeof(list_t));
  list_t *l = slot->val.ptr;
  ALLOC_GROW(l->items, l->n + 1, l->cap);
  l->items[l->n++] = item;
}

static list_t *map_get(const pyoci_strmap_t *m, const char *key)
{
  pyoci_strmap_slot_t *slot = pyoci_strmap_find(m, key);
  return slot ? slot->val.ptr : NULL;
}

static void free_list(void *p)
{
  list_t *l = p;
  free(l->items);
  free(l);
}

static void free_provider_list(void *p)
{
  list_t *l = p;
  for (size_t i = 0; i < l->n; i++) {
    pyoci_provider_t *pr = l->items[i];
    free(pr->version);
    free(pr);
  }
  free_list(l);
}

pyoci_index_t *pyoci_index_new(void)
{
  return xcalloc(1, sizeof(pyoci_index_t));
}

static void free_pkg(pyoci_debpkg_t *p)
{
  free(p->name);
  free(p->version);
  free(p->arch);
  free(p->multi_arch);
  free(p->filename);
  free(p->sha256);
  free(p->source_pkg);
  free(p->depends);
  free(p->pre_depends);
  free(p->provides);
  free(p->conflicts);
  free(p->breaks);
  free(p);
}

void pyoci_index_free(pyoci_index_t *ix)
{
  if (ix == NULL)
    return;
  for (size_t i = 0; i < ix->n; i++)
    free_pkg(ix->all[i]);
  free(ix->all);
  pyoci_strmap_clear(&ix->by_name, free_list);
  pyoci_strmap_clear(&ix->by_provides, free_provider_list);
  free(ix);
}

static int add_provides(pyoci_index_t *ix, pyoci_debpkg_t *p, const char *what, pyoci_error_t **err)
{
  pyoci_rels_t rels;
  if (pyoci_rels_parse(p->provides, strlen(p->provides), what, &rels, err) < 0)
    return -1;
  for (size_t g = 0; g < rels.n; g++) {
    const pyoci_rel_t *r = &rels.groups[g].alts[0];
    if (rels.groups[g].n != 1 || (r->op != REL_ANY && r->op != REL_EQ)) {
      pyoci_rels_free(&rels);
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: Provides allows only 'name' or 'name (= version)'",
                                  what);
    }
    pyoci_provider_t *pr = xcalloc(1, sizeof(*pr));
    pr->pkg = p;
    pr->version = xstrdup_or_null(r->version);
    map_add(&ix->by_provides, r->name, pr);
  }
  pyoci_rels_free(&rels);
  return 0;
}

static int add_stanza(pyoci_index_t *ix, const pyoci_stanza_reader_t *r, const pyoci_source_t *src,
                      pyoci_error_t **err)
{
  pyoci_debpkg_t *p = xcalloc(1, sizeof(*p));
  p->src = src;
  p->name = pyoci_stanza_dup(r, "Package");
  p->version = pyoci_stanza_dup(r, "Version");
  p->arch = pyoci_stanza_dup(r, "Architecture");
  p->filename = pyoci_stanza_dup(r, "Filename");
  p->sha256 = pyoci_stanza_dup(r, "SHA256");
  p->multi_arch = pyoci_stanza_dup(r, "Multi-Arch");
  p->source_pkg = pyoci_stanza_dup(r, "Source");
  p->depends = pyoci_stanza_dup(r, "Depends");
  p->pre_depends = pyoci_stanza_dup(r, "Pre-Depends");
  p->provides = pyoci_stanza_dup(r, "Provides");
  p->conflicts = pyoci_stanza_dup(r, "Conflicts");
  p->breaks = pyoci_stanza_dup(r, "Breaks");
  cleanup_free char *size = pyoci_stanza_dup(r, "Size");
  char *end = NULL;
  p->size = size ? strtoull(size, &end, 10) : 0;
  char what[512];
  snprintf(what, sizeof(what), "%s:%zu", r->path, r->stanza_line);
  const char *missing = !p->name ? "Package" : !p->version ? "Version" : !p->arch ? "Architecture"
                        : !p->filename ? "Filename" : !p->sha256 ? "SHA256" : !size || *end ? "Size" : NULL;
  if (missing == NULL && (strstr(p->filename, "..") != NULL || p->filename[0] == '/'))
    missing = "a Filename inside the archive";
  if (missing == NULL && pyoci_deb_version_check(p->version, err) < 0) {
    free_pkg(p);
    return pyoci_error_prefix(err, "%s", what);
  }
  if (missing != NULL) {
    free_pkg(p);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: stanza without %s", what, missing);
  }
  ALLOC_GROW(ix->all, ix->n + 1, ix->cap);
  ix->all[ix->n++] = p;
  map_add(&ix->by_name, p->name, p);
  if (p->provides && add_provides(ix, p, what, err) < 0)
    return -1;
  return 0;
}

int pyoci_index_add_packages(pyoci_index_t *ix, const char *path, const char *buf, size_t len,
                             const pyoci_source_t *src, pyoci_error_t **err)
{
  pyoci_stanza_reader_t r;
  pyoci_stanza_init(&r, path, buf, len, true);
  int rc;
  while ((rc = pyoci_stanza_next(&r, err)) > 0)
    if (add_stanza(ix, &r, src, err) < 0) {
      rc = -1;
      break;
    }
  pyoci_stanza_release(&r);
  return rc < 0 ? -1 : 0;
}

static int by_version_desc(const void *a, const void *b)
{
  const pyoci_debpkg_t *x = *(pyoci_debpkg_t *const *)a, *y = *(pyoci_debpkg_t *const *)b;
  int c = pyoci_deb_version_cmp(y->version, x->version);
  if (c == 0) /* the same version in two suites: a fixed pick, for the lock */
    c = strcmp(x->src->uri, y->src->uri);
  if (c == 0)
    c = strcmp(x->src->suite, y->src->suite);
  return c;
}

size_t pyoci_index_find(const pyoci_index_t *ix, const char *name, pyoci_debpkg_t ***out)
{
  list_t *e = map_get(&ix->by_name, name);
  if (e == NULL)
    return 0;
  qsort(e->items, e->n, sizeof(void *), by_version_desc);
  *out = (pyoci_debpkg_t **)e->items;
  return e->n;
}

size_t pyoci_index_providers(const pyoci_index_t *ix, const char *name, pyoci_provider_t **out)
{
  list_t *e = map_get(&ix->by_provides, name);
  if (e == NULL)
    return 0;
  for (size_t i = 0; i < e->n && i < 64; i++)
    out[i] = e->items[i];
  return e->n < 64 ? e->n : 64;
}
