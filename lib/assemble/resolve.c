/* The dependency resolver: the closure of what the spec asks for over
 * Pre-Depends and Depends, nothing else (no Essential set, no Recommends).
 *
 * Like apt's: the highest version wins; in "a | b" a group already
 * satisfied by something chosen costs nothing, otherwise the first
 * alternative that can be satisfied is taken; a virtual package is
 * satisfied by a real one that Provides it (versioned Provides for
 * versioned relations).  One architecture per image, so Multi-Arch only
 * matters for ":any" (satisfied by the native package) and is otherwise
 * checked for consistency.  The closure is then checked against every
 * chosen package's Conflicts and Breaks (versioned, and through Provides):
 * with no maintainer scripts and no upgrade, Breaks means what Conflicts
 * does -- the two cannot be in one image -- and the answer is a refusal
 * naming both chains, not a search for another set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "asm_int.h"

#define MAX_PROVIDERS 64

static int chosen_index(const pyoci_resolution_t *res, const char *name)
{
  for (size_t i = 0; i < res->n; i++)
    if (strcmp(res->pkgs[i].pkg->name, name) == 0)
      return (int)i;
  return -1;
}

static bool rel_arch_ok(const pyoci_rel_t *r)
{
  return r->arch == NULL || strcmp(r->arch, "any") == 0 || strcmp(r->arch, "native") == 0;
}

/* Is r satisfied by a package already chosen (itself or a provider)? */
static bool satisfied(const pyoci_index_t *ix, const pyoci_resolution_t *res, const pyoci_rel_t *r)
{
  int i = chosen_index(res, r->name);
  if (i >= 0 && pyoci_rel_version_ok(r->op, r->version, res->pkgs[i].pkg->version))
    return true;
  pyoci_provider_t *prov[MAX_PROVIDERS];
  size_t n = pyoci_index_providers(ix, r->name, prov);
  for (size_t k = 0; k < n; k++) {
    int j = chosen_index(res, prov[k]->pkg->name);
    if (j >= 0 && res->pkgs[j].pkg == prov[k]->pkg && pyoci_rel_version_ok(r->op, r->version, prov[k]->version))
      return true;
  }
  return false;
}

static int by_provider_name(const void *a, const void *b)
{
  const pyoci_provider_t *x = *(pyoci_provider_t *const *)a, *y = *(pyoci_provider_t *const *)b;
  return strcmp(x->pkg->name, y->pkg->name);
}

/* The best package for r: the highest version of r->name that fits, else
 * the first provider (by name) whose provided version fits. */
static pyoci_debpkg_t *pick(const pyoci_index_t *ix, const pyoci_rel_t *r)
{
  if (!rel_arch_ok(r))
    return NULL;
  pyoci_debpkg_t **cands;
  size_t n = pyoci_index_find(ix, r->name, &cands);
  for (size_t i = 0; i < n; i++) {
    if (r->arch != NULL && strcmp(r->arch, "any") == 0 &&
        (cands[i]->multi_arch == NULL || strcmp(cands[i]->multi_arch, "allowed") != 0))
      continue; /* "pkg:any" needs Multi-Arch: allowed (Policy 7.1) */
    if (pyoci_rel_version_ok(r->op, r->version, cands[i]->version))
      return cands[i];
  }
  pyoci_provider_t *prov[MAX_PROVIDERS];
  size_t np = pyoci_index_providers(ix, r->name, prov);
  qsort(prov, np, sizeof(prov[0]), by_provider_name);
  for (size_t k = 0; k < np; k++)
    if (pyoci_rel_version_ok(r->op, r->version, prov[k]->version))
      return prov[k]->pkg;
  return NULL;
}

static void add(pyoci_resolution_t *res, pyoci_debpkg_t *p, int parent, char *because)
{
  if (res->n == res->cap) {
    res->cap = res->cap ? res->cap * 2 : 64;
    res->pkgs = xrealloc(res->pkgs, res->cap * sizeof(*res->pkgs));
  }
  res->pkgs[res->n++] = (pyoci_chosen_t){p, parent, because};
}

/* "a <- b <- c (asked for)" */
static void chain(const pyoci_resolution_t *res, int i, strbuf_t *sb)
{
  for (int depth = 0; i >= 0 && depth < 1000; depth++, i = res->pkgs[i].parent) {
    strbuf_addf(sb, " <- %s", res->pkgs[i].pkg->name);
    if (res->pkgs[i].parent < 0)
      strbuf_addstr(sb, " (asked for)");
  }
}

static void format_group(const pyoci_relgroup_t *g, strbuf_t *sb)
{
  for (size_t a = 0; a < g->n; a++) {
    if (a)
      strbuf_addstr(sb, " | ");
    pyoci_rel_format(&g->alts[a], sb);
  }
}

static int unresolvable(const pyoci_resolution_t *res, int i, const char *field, const pyoci_relgroup_t *g,
                        pyoci_error_t **err)
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  format_group(g, &sb);
  strbuf_addf(&sb, " (%s of %s %s)", field, res->pkgs[i].pkg->name, res->pkgs[i].pkg->version);
  chain(res, i, &sb);
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "cannot resolve %s", strbuf_str(&sb));
}

static int resolve_group(const pyoci_index_t *ix, pyoci_resolution_t *res, int i, const char *field,
                         const pyoci_relgroup_t *g, pyoci_error_t **err)
{
  for (size_t a = 0; a < g->n; a++)
    if (satisfied(ix, res, &g->alts[a]))
      return 0;
  for (size_t a = 0; a < g->n; a++) {
    pyoci_debpkg_t *p = pick(ix, &g->alts[a]);
    if (p == NULL)
      continue;
    int have = chosen_index(res, p->name);
    if (have >= 0) {
      /* Another version is in already and does not fit this relation. */
      cleanup_strbuf strbuf_t sb = STRBUF_INIT;
      pyoci_rel_format(&g->alts[a], &sb);
      strbuf_addf(&sb, " (%s of %s)", field, res->pkgs[i].pkg->name);
      chain(res, i, &sb);
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s %s is in the image, but %s needs %s",
                                  p->name, res->pkgs[have].pkg->version, res->pkgs[i].pkg->name, strbuf_str(&sb));
    }
    strbuf_t why = STRBUF_INIT;
    strbuf_addf(&why, "%s: ", field);
    format_group(g, &why);
    add(res, p, i, strbuf_detach(&why));
    return 0;
  }
  return unresolvable(res, i, field, g, err);
}

/* Parse field (value) of chosen package i, errors naming it: 1 parsed
 * into rels, 0 no such field, -1 error. */
static int parse_field(const pyoci_resolution_t *res, size_t i, const char *field, const char *value,
                       pyoci_rels_t *rels, pyoci_error_t **err)
{
  if (value == NULL)
    return 0;
  char what[300];
  snprintf(what, sizeof(what), "%s %s: %s", res->pkgs[i].pkg->name, res->pkgs[i].pkg->version, field);
  return pyoci_rels_parse(value, strlen(value), what, rels, err) < 0 ? -1 : 1;
}

static int resolve_field(const pyoci_index_t *ix, pyoci_resolution_t *res, size_t i, const char *field,
                         const char *value, pyoci_error_t **err)
{
  pyoci_rels_t rels;
  int parsed = parse_field(res, i, field, value, &rels, err);
  if (parsed <= 0)
    return parsed;
  int rc = 0;
  for (size_t g = 0; rc == 0 && g < rels.n; g++)
    rc = resolve_group(ix, res, (int)i, field, &rels.groups[g], err);
  pyoci_rels_free(&rels);
  return rc;
}

/* Does relation r (of chosen package i's Conflicts/Breaks) hit a chosen
 * package?  Its index, or -1.  A package never conflicts with itself, nor
 * with a virtual name it Provides (Policy 7.6.2: the "only one MTA" idiom);
 * a versioned relation only hits a versioned Provides (Policy 7.5). */
static int conflict_hit(const pyoci_index_t *ix, const pyoci_resolution_t *res, size_t i, const pyoci_rel_t *r)
{
  if (!rel_arch_ok(r))
    return -1; /* another architecture's package: never in this image */
  int j = chosen_index(res, r->name);
  if (j >= 0 && (size_t)j != i && pyoci_rel_version_ok(r->op, r->version, res->pkgs[j].pkg->version))
    return j;
  pyoci_provider_t *prov[MAX_PROVIDERS];
  size_t n = pyoci_index_providers(ix, r->name, prov);
  for (size_t k = 0; k < n; k++) {
    j = chosen_index(res, prov[k]->pkg->name);
    if (j < 0 || (size_t)j == i || res->pkgs[j].pkg != prov[k]->pkg)
      continue;
    if (r->op == REL_ANY || (prov[k]->version && pyoci_rel_version_ok(r->op, r->version, prov[k]->version)))
      return j;
  }
  return -1;
}

/* "a <- b <- c (asked for)" */
static void why_in(const pyoci_resolution_t *res, int i, strbuf_t *sb)
{
  strbuf_addstr(sb, res->pkgs[i].pkg->name);
  if (res->pkgs[i].parent < 0)
    strbuf_addstr(sb, " (asked for)");
  else
    chain(res, res->pkgs[i].parent, sb);
}

static int conflicting(const pyoci_resolution_t *res, size_t i, int j, const char *field, const pyoci_rel_t *r,
                       pyoci_error_t **err)
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  const pyoci_debpkg_t *a = res->pkgs[i].pkg, *b = res->pkgs[j].pkg;
  strbuf_addf(&sb, "%s %s %s: ", a->name, a->version, field);
  pyoci_rel_format(r, &sb);
  strbuf_addf(&sb, ", but %s %s is in the image too (", b->name, b->version);
  why_in(res, (int)i, &sb);
  strbuf_addstr(&sb, "; ");
  why_in(res, j, &sb);
  strbuf_addstr(&sb, ")");
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s", strbuf_str(&sb));
}

static int check_field(const pyoci_index_t *ix, const pyoci_resolution_t *res, size_t i, const char *field,
                       const char *value, pyoci_error_t **err)
{
  pyoci_rels_t rels;
  int parsed = parse_field(res, i, field, value, &rels, err);
  if (parsed <= 0)
    return parsed;
  int rc = 0;
  for (size_t g = 0; rc == 0 && g < rels.n; g++)
    for (size_t a = 0; rc == 0 && a < rels.groups[g].n; a++) {
      int j = conflict_hit(ix, res, i, &rels.groups[g].alts[a]);
      if (j >= 0)
        rc = conflicting(res, i, j, field, &rels.groups[g].alts[a], err);
    }
  pyoci_rels_free(&rels);
  return rc;
}

static int check_conflicts(const pyoci_index_t *ix, const pyoci_resolution_t *res, pyoci_error_t **err)
{
  for (size_t i = 0; i < res->n; i++)
    if (check_field(ix, res, i, "Conflicts", res->pkgs[i].pkg->conflicts, err) < 0 ||
        check_field(ix, res, i, "Breaks", res->pkgs[i].pkg->breaks, err) < 0)
      return -1;
  return 0;
}

int pyoci_resolve(const pyoci_index_t *ix, char *const *asked, pyoci_resolution_t *res, pyoci_error_t **err)
{
  memset(res, 0, sizeof(*res));
  for (char *const *a = asked; a && *a; a++) {
    pyoci_rel_t r = {.name = *a};
    if (satisfied(ix, res, &r))
      continue;
    pyoci_debpkg_t *p = pick(ix, &r);
    if (p == NULL) {
      pyoci_resolution_free(res);
      return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "package '%s' is in no Packages index of the sources",
                                  *a);
    }
    add(res, p, -1, xstrdup("asked for in the spec"));
  }
  /* Breadth first: what the spec asks for satisfies alternatives first. */
  for (size_t i = 0; i < res->n; i++) {
    if (resolve_field(ix, res, i, "Pre-Depends", res->pkgs[i].pkg->pre_depends, err) < 0 ||
        resolve_field(ix, res, i, "Depends", res->pkgs[i].pkg->depends, err) < 0) {
      pyoci_resolution_free(res);
      return -1;
    }
  }
  if (check_conflicts(ix, res, err) < 0) {
    pyoci_resolution_free(res);
    return -1;
  }
  return 0;
}

void pyoci_resolution_free(pyoci_resolution_t *r)
{
  for (size_t i = 0; i < r->n; i++)
    free(r->pkgs[i].because);
  free(r->pkgs);
  memset(r, 0, sizeof(*r));
}

char *pyoci_resolution_explain(const pyoci_resolution_t *r, const char *name)
{
  int i = chosen_index(r, name);
  if (i < 0)
    return NULL;
  int path[1000];
  size_t n = 0;
  for (; i >= 0 && n < 1000; i = r->pkgs[i].parent)
    path[n++] = i;
  strbuf_t sb = STRBUF_INIT;
  for (size_t k = n; k-- > 0;) {
    const pyoci_chosen_t *c = &r->pkgs[path[k]];
    if (c->parent < 0)
      strbuf_addf(&sb, "%s %s: %s\n", c->pkg->name, c->pkg->version, c->because);
    else
      strbuf_addf(&sb, "%s %s: %s %s\n", c->pkg->name, c->pkg->version, r->pkgs[c->parent].pkg->name, c->because);
  }
  return strbuf_detach(&sb);
}
