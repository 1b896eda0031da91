/* The inputs of an assemble, as a lock: resolved fresh from the signed
 * indexes, or read from the lock file and checked against the spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "plan_int.h"

/* GOARCH -> Debian architecture and uname machine. */
static const struct {
  const char *goarch, *deb, *machine;
} arches[] = {{"amd64", "amd64", "x86_64"}, {"arm64", "arm64", "aarch64"}, {"386", "i386", "i686"},
              {"arm", "armhf", "armv7l"},   {"ppc64le", "ppc64el", "ppc64le"}, {"s390x", "s390x", "s390x"},
              {"riscv64", "riscv64", "riscv64"}};

int pyoci_asm_arch(const char *goarch, const char **deb, const char **machine, pyoci_error_t **err)
{
  for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
    if (strcmp(arches[i].goarch, goarch) == 0) {
      *deb = arches[i].deb;
      *machine = arches[i].machine;
      return 0;
    }
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--platform: architecture '%s' is not a Debian one", goarch);
}

static int spec_sources(const pyoci_spec_t *spec, const char *apt_dir, pyoci_source_t **out, size_t *n,
                        pyoci_error_t **err)
{
  char *main_only[] = {"main", NULL};
  char *const *comps = spec->components ? spec->components : main_only;
  if (spec->uris == NULL) {
    if (pyoci_apt_sources(apt_dir, spec->suites, out, n, err) < 0)
      return -1;
    if (*n == 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: no URIs, and apt's sources in %s have no 'deb' entry for %s",
                                  spec->path, apt_dir, spec->suites[0]);
    for (size_t i = 0; i < *n && spec->components; i++) {
      pyoci_strvfreep(&(*out)[i].components);
      for (char *const *c = comps; *c; c++)
        pyoci_asm_strv_push(&(*out)[i].components, *c);
    }
    return 0;
  }
  size_t count = pyoci_asm_strv_len(spec->uris) * pyoci_asm_strv_len(spec->suites);
  *out = xcalloc(count + 1, sizeof(**out));
  *n = 0;
  for (char **u = spec->uris; *u; u++)
    for (char **s = spec->suites; *s; s++) {
      pyoci_source_t *src = &(*out)[(*n)++];
      size_t ul = strlen(*u);
      while (ul > 0 && (*u)[ul - 1] == '/')
        ul--;
      src->uri = xstrndup(*u, ul);
      src->suite = xstrdup(*s);
      for (char *const *c = comps; *c; c++)
        pyoci_asm_strv_push(&src->components, *c);
    }
  return 0;
}

static int by_deb_name(const void *a, const void *b)
{
  return strcmp(((const pyoci_lock_deb_t *)a)->name, ((const pyoci_lock_deb_t *)b)->name);
}

static void plan_from_resolution(const pyoci_resolution_t *res, pyoci_lock_t *plan)
{
  plan->debs = xcalloc(res->n + 1, sizeof(*plan->debs));
  for (size_t i = 0; i < res->n; i++) {
    const pyoci_debpkg_t *p = res->pkgs[i].pkg;
    pyoci_lock_deb_t *d = &plan->debs[plan->n_debs++];
    d->name = xstrdup(p->name);
    d->version = xstrdup(p->version);
    d->arch = xstrdup(p->arch);
    d->sha256 = xstrdup(p->sha256);
    d->size = p->size;
    d->url = xasprintf("%s/%s", p->src->uri, p->filename);
    d->source = xasprintf("%s %s", p->src->uri, p->src->suite);
  }
  qsort(plan->debs, plan->n_debs, sizeof(*plan->debs), by_deb_name);
}

int pyoci_asm_resolve(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan, char **explain,
                      pyoci_error_t **err)
{
  pyoci_source_t *srcs = NULL;
  size_t nsrc = 0;
  if (spec_sources(spec, c->o->apt_dir, &srcs, &nsrc, err) < 0)
    return -1;
  pyoci_repo_opts_t ro = {.cache_dir = c->o->cache_dir, .arch = c->deb_arch,
                          .default_keyring = spec->keyring ? spec->keyring : PYOCI_DEBIAN_KEYRING};
  pyoci_index_t *ix = NULL;
  pyoci_resolution_t res = {0};
  int rc = pyoci_index_load(srcs, nsrc, &ro, &ix, err);
  if (rc == 0)
    rc = pyoci_resolve(ix, spec->packages, &res, err);
  if (rc == 0 && explain != NULL) {
    *explain = pyoci_resolution_explain(&res, c->o->explain);
    if (*explain == NULL)
      rc = pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "%s is not in the closure of %s", c->o->explain, spec->path);
  } else if (rc == 0) {
    plan_from_resolution(&res, plan);
  }
  pyoci_resolution_free(&res);
  pyoci_index_free(ix);
  pyoci_sources_free(srcs, nsrc);
  return rc;
}

/* --locked: the lock must be for this spec, exactly. */
int pyoci_asm_check_lock(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *lock,
                         pyoci_error_t **err)
{
  const char *lp = c->lock_path;
  if (strcmp(lock->arch, c->deb_arch) != 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: locked for %s, assembling for %s", lp, lock->arch,
                                c->deb_arch);
  size_t n = pyoci_asm_strv_len(spec->packages);
  bool same = n == pyoci_asm_strv_len(lock->asked);
  for (size_t i = 0; same && i < n; i++)
    same = pyoci_asm_strv_has(lock->asked, spec->packages[i]);
  if (!same)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: out of date: the spec's debian.packages changed (run --lock)",
                                lp);
  const char *want = c->requirements_sha256, *have = lock->requirements_sha256;
  if ((want == NULL) != (have == NULL) || (want && strcmp(want, have) != 0))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: out of date: %s changed (run --lock)", lp,
                                spec->requirements ? spec->requirements : "python.requirements");
  if (lock->n_debs == 0)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: no debs", lp);
  return 0;
}
