/* OSV range evaluation, as the schema's "Evaluation" section gives it:
 *
 *   affected if v is in `versions`, or for some non-GIT range that v is
 *   before one of its limits (no limit = "*"), walking the events sorted by
 *   version ("0" first) leaves `vulnerable` set, where
 *     introduced:    v >= introduced   -> vulnerable
 *     fixed:         v >= fixed        -> not vulnerable
 *     last_affected: v >  last_affected -> not vulnerable
 *
 * Events at the same version keep introduced before fixed/last_affected, so
 * a range that is fixed where it starts affects nothing.  A range holding a
 * version its scheme cannot read is skipped and counted, never guessed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osv.h"

struct ev {
  pyoci_osv_event_kind_t kind;
  const char *version;
  bool zero; /* introduced "0": before every version */
  bool star; /* limit "*": after every version */
};

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
    r = (int)a->kind - (int)b->kind;
  return r;
}

/* Evaluate one range; *fixed_out gets the smallest fixed > v when affected.
 * Returns 1 affected, 0 not, -1 when the range cannot be evaluated. */
static int eval_range(const pyoci_verscheme_t *s, const pyoci_osv_range_t *r, const char *v, const char **fixed_out)
{
  struct ev *evs = calloc(r->n_events ? r->n_events : 1, sizeof(*evs));
  if (evs == NULL)
    abort();
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
  if (!vulnerable)
    goto out;
  result = 1;
  *fixed_out = NULL;
  /* Sorted, so the first fixed above v is the smallest. */
  for (size_t i = 0; i < r->n_events; i++)
    if (evs[i].kind == PYOCI_OSV_FIXED && s->compare(evs[i].version, v) > 0) {
      *fixed_out = evs[i].version;
      break;
    }
out:
  free(evs);
  return result;
}

int pyoci_osv_evaluate(const char *ecosystem, const pyoci_osv_range_t *ranges, size_t n_ranges,
                       char *const *versions, size_t n_versions, const char *version, pyoci_osv_eval_t *out,
                       pyoci_error_t **err)
{
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

  const char *best_fixed = NULL;
  const pyoci_verscheme_t *best_scheme = NULL;
  for (size_t i = 0; i < n_ranges; i++) {
    const pyoci_osv_range_t *r = &ranges[i];
    if (r->type == PYOCI_OSV_RANGE_GIT)
      continue;
    const pyoci_verscheme_t *s = r->type == PYOCI_OSV_RANGE_SEMVER ? &pyoci_scheme_semver : eco;
    bool valid = r->type == PYOCI_OSV_RANGE_SEMVER ? semver_valid : eco_valid;
    if (s == NULL || !valid) {
      out->skipped_ranges++;
      continue;
    }
    const char *fixed = NULL;
    int hit = eval_range(s, r, version, &fixed);
    if (hit < 0) {
      out->skipped_ranges++;
      continue;
    }
    if (hit == 0)
      continue;
    out->affected = true;
    if (fixed != NULL && (best_fixed == NULL || (s == best_scheme && s->compare(fixed, best_fixed) < 0))) {
      best_fixed = fixed;
      best_scheme = s;
    }
  }
  if (out->affected && best_fixed != NULL) {
    out->fixed = strdup(best_fixed);
    if (out->fixed == NULL)
      return pyoci_error_set(err, ENOMEM, "evaluate ranges");
  }
  return 0;
}
