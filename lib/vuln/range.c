/* OSV range evaluation, as the schema's "Evaluation" section gives it:
 *
 *   affected if v is in `versions`, or for some non-GIT range that v is
 *   before one of its limits (no limit = "*"), walking the events sorted by
 *   version ("0" first) leaves `vulnerable` set, where
 *     introduced:    v >= introduced   -> vulnerable
 *     fixed:         v >= fixed        -> not vulnerable
 *     last_affected: v >  last_affected -> not vulnerable
 *
 * Events at the same version apply `fixed` before `introduced` (then
 * last_affected, limit): real records such as PYSEC-2024-258 (scrapy: 0,
 * fixed 2.0.0, introduced 2.0.0, fixed 2.11.2) re-open a range where an
 * older one closes, and no record uses "introduced X, fixed X" to mean
 * "nothing".  A range holding a version its scheme cannot read is skipped
 * and counted, never guessed.
 *
 * The fixed versions reported are every `fixed` of the entry's evaluable
 * ranges above the installed version, ascending, ", "-separated (trivy's
 * "2.3.8, 3.0.1"): the ways out on each release line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/strbuf.h"
#include "osv.h"

struct ev {
  pyoci_osv_event_kind_t kind;
  const char *version;
  bool zero; /* introduced "0": before every version */
  bool star; /* limit "*": after every version */
};

static int tie_rank(pyoci_osv_event_kind_t k)
{
  switch (k) {
  case PYOCI_OSV_FIXED:
    return 0;
  case PYOCI_OSV_INTRODUCED:
    return 1;
  case PYOCI_OSV_LAST_AFFECTED:
    return 2;
  default:
    return 3;
  }
}

static int ev_cmp(const void *pa, const void *pb, void *data)
{
  const pyoci_verscheme_t *s = data;
  const struct ev *a = pa, *b = pb;
  int r;
  if (a->zero || b->zero)
    r = (b->zero - a->zero);
  else if (a->star || b->star)
    r = (a->star - b->star);
  else
    r = s->compare(a->version, b->version);
  if (r == 0)
    r = tie_rank(a->kind) - tie_rank(b->kind);
  return r;
}

/* Evaluate one range.  Returns 1 affected, 0 not, -1 when the range cannot
 * be evaluated (a version its scheme rejects). */
static int eval_range(const pyoci_verscheme_t *s, const pyoci_osv_range_t *r, const char *v)
{
  struct ev *evs = xcalloc(r->n_events ? r->n_events : 1, sizeof(*evs));
  int result = -1;
  bool has_limit = false, before_limit = false;
  for (size_t i = 0; i < r->n_events; i++) {
    struct ev *e = &evs[i];
    e->kind = r->events[i].kind;
    e->version = r->events[i].version;
    e->zero = e->kind == PYOCI_OSV_INTRODUCED && strcmp(e->version, "0") == 0;
    e->star = e->kind == PYOCI_OSV_LIMIT && strchr(e->version, '*') != NULL;
    if (!e->zero && !e->star && s->check(e->version, NULL) < 0)
      goto out;
    if (e->kind == PYOCI_OSV_LIMIT) {
      has_limit = true;
      if (e->star || s->compare(v, e->version) < 0)
        before_limit = true;
    }
  }
  result = 0;
  if (has_limit && !before_limit)
    goto out;
  qsort_r(evs, r->n_events, sizeof(*evs), ev_cmp, (void *)s);
  bool vulnerable = false;
  for (size_t i = 0; i < r->n_events; i++) {
    const struct ev *e = &evs[i];
    if (e->kind == PYOCI_OSV_INTRODUCED && (e->zero || s->compare(v, e->version) >= 0))
      vulnerable = true;
    else if (e->kind == PYOCI_OSV_FIXED && s->compare(v, e->version) >= 0)
      vulnerable = false;
    else if (e->kind == PYOCI_OSV_LAST_AFFECTED && s->compare(v, e->version) > 0)
      vulnerable = false;
  }
  result = vulnerable ? 1 : 0;
out:
  free(evs);
  return result;
}

/* ---- fixed-version lists ---- */

typedef struct {
  char **v;
  size_t n;
} vlist_t;

static void vlist_add_split(vlist_t *l, const char *list)
{
  for (const char *p = list; p != NULL && *p;) {
    size_t n = strcspn(p, ",");
    const char *a = p, *b = p + n;
    while (a < b && *a == ' ')
      a++;
    while (b > a && b[-1] == ' ')
      b--;
    if (b > a) {
      l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
      l->v[l->n] = xstrndup(a, (size_t)(b - a));
      l->n++;
    }
    p += n;
    if (*p == ',')
      p++;
  }
}

static int vlist_cmp(const void *pa, const void *pb, void *data)
{
  const pyoci_verscheme_t *s = data;
  const char *a = *(char *const *)pa, *b = *(char *const *)pb;
  bool va = s != NULL && s->check(a, NULL) == 0, vb = s != NULL && s->check(b, NULL) == 0;
  if (va != vb)
    return va ? -1 : 1; /* readable versions first */
  int c = va ? s->compare(a, b) : 0;
  return c != 0 ? c : strcmp(a, b);
}

/* Sorted, duplicates (equal under the scheme) dropped, joined by ", ";
 * NULL when empty.  Frees the list. */
static char *vlist_join(vlist_t *l, const pyoci_verscheme_t *s)
{
  if (l->n > 1)
    qsort_r(l->v, l->n, sizeof(char *), vlist_cmp, (void *)s);
  strbuf_t sb = STRBUF_INIT;
  for (size_t i = 0; i < l->n; i++) {
    bool dup = i > 0 && vlist_cmp(&l->v[i - 1], &l->v[i], (void *)s) == 0;
    if (!dup && s != NULL && i > 0 && s->check(l->v[i], NULL) == 0 && s->check(l->v[i - 1], NULL) == 0)
      dup = s->compare(l->v[i - 1], l->v[i]) == 0;
    if (!dup)
      strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", l->v[i]);
  }
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
  return sb.len ? strbuf_detach(&sb) : (strbuf_release(&sb), NULL);
}

char *pyoci_fixed_list_merge(const pyoci_verscheme_t *s, const char *a, const char *b)
{
  vlist_t l = {0};
  vlist_add_split(&l, a);
  vlist_add_split(&l, b);
  return vlist_join(&l, s);
}

/* Every fixed event of range r above v. */
static void add_fixed_above(vlist_t *l, const pyoci_verscheme_t *s, const pyoci_osv_range_t *r, const char *v)
{
  for (size_t i = 0; i < r->n_events; i++)
    if (r->events[i].kind == PYOCI_OSV_FIXED && s->compare(r->events[i].version, v) > 0)
      vlist_add_split(l, r->events[i].version);
}

int pyoci_osv_evaluate(const char *ecosystem, const pyoci_osv_range_t *ranges, size_t n_ranges,
                       char *const *versions, size_t n_versions, const char *version, pyoci_osv_eval_t *out,
                       pyoci_error_t **err)
{
  (void)err;
  memset(out, 0, sizeof(*out));
  const pyoci_verscheme_t *eco = pyoci_verscheme_for(ecosystem);
  bool eco_valid = eco != NULL && eco->check(version, NULL) == 0;
  bool semver_valid = pyoci_semver_check(version, NULL) == 0;

  for (size_t i = 0; i < n_versions && !out->affected; i++) {
    if (eco_valid && eco->check(versions[i], NULL) == 0)
      out->affected = eco->compare(version, versions[i]) == 0;
    else
      out->affected = strcmp(version, versions[i]) == 0;
  }

  vlist_t fixed = {0};
  for (size_t i = 0; i < n_ranges; i++) {
    const pyoci_osv_range_t *r = &ranges[i];
    if (r->type == PYOCI_OSV_RANGE_GIT)
      continue;
    const pyoci_verscheme_t *s = r->type == PYOCI_OSV_RANGE_SEMVER ? &pyoci_scheme_semver : eco;
    bool valid = r->type == PYOCI_OSV_RANGE_SEMVER ? semver_valid : eco_valid;
    int hit = s == NULL || !valid ? -1 : eval_range(s, r, version);
    if (hit < 0) {
      out->skipped_ranges++;
      continue;
    }
    out->affected |= hit == 1;
    add_fixed_above(&fixed, s, r, version);
  }
  char *list = vlist_join(&fixed, eco);
  if (out->affected)
    out->fixed = list;
  else
    free(list);
  return 0;
}

/* ---- import-time checks ---- */

/* "2.6.0-cu124", "2.6.0-NA", "1.7.0_rocm": a PEP 440 release followed by a
 * build label.  The label names a build of that release, so the bound is
 * the release.  NULL when v is not of that shape. */
static char *pep440_lenient(const char *v)
{
  for (const char *sep = v + strlen(v); sep > v; sep--) {
    if (sep[-1] != '-' && sep[-1] != '_')
      continue;
    const char *label = sep;
    bool alpha = false, ok = label[0] != '\0' && label[0] != '.';
    for (const char *q = label; ok && *q; q++) {
      ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '.';
      alpha |= (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z');
    }
    char *prefix = xstrndup(v, (size_t)(sep - 1 - v));
    if (ok && alpha && pyoci_pep440_check(prefix, NULL) == 0)
      return prefix;
    free(prefix);
  }
  return NULL;
}

int pyoci_osv_check_bounds(const char *ecosystem, pyoci_osv_affected_t *a, size_t *n_lenient, char **why)
{
  const pyoci_verscheme_t *eco = pyoci_verscheme_for(ecosystem);
  bool pypi = eco == &pyoci_scheme_pep440;
  *why = NULL;
  for (size_t i = 0; i < a->n_ranges; i++) {
    pyoci_osv_range_t *r = &a->ranges[i];
    const pyoci_verscheme_t *s = r->type == PYOCI_OSV_RANGE_SEMVER ? &pyoci_scheme_semver
                                 : r->type == PYOCI_OSV_RANGE_ECOSYSTEM ? eco
                                                                        : NULL;
    for (size_t j = 0; s != NULL && j < r->n_events; j++) {
      pyoci_osv_event_t *e = &r->events[j];
      if ((e->kind == PYOCI_OSV_INTRODUCED && strcmp(e->version, "0") == 0) ||
          (e->kind == PYOCI_OSV_LIMIT && strchr(e->version, '*') != NULL) || s->check(e->version, NULL) == 0)
        continue;
      char *fixed = pypi && r->type == PYOCI_OSV_RANGE_ECOSYSTEM ? pep440_lenient(e->version) : NULL;
      if (fixed != NULL) {
        free(e->version);
        e->version = fixed;
        (*n_lenient)++;
        continue;
      }
      if (*why == NULL)
        *why = xasprintf("%s %s: %s version '%.100s' cannot be read", ecosystem, a->name ? a->name : "?", s->name,
                         e->version);
    }
  }
  return *why != NULL ? -1 : 0;
}
