/* Report filters: --vex, --severity, --ignore-unfixed and the ignore file. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "scan.h"
#include "lib/util/alloc.h"

static bool sev_kept(const pyoci_scan_filter_t *f, pyoci_severity_t s)
{
  return f->severities == 0 || (f->severities & (1u << s)) != 0;
}

/* The vulnerability's ID or one of its aliases (a CVE for a GHSA) is ignored. */
static bool vuln_ignored(const pyoci_scan_filter_t *f, const pyoci_scan_vuln_t *v)
{
  if (f->ignore == NULL)
    return false;
  if (pyoci_ignorefile_match(f->ignore, v->id, f->now))
    return true;
  json_t *a = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  bool hit = false;
  size_t i;
  json_t *x;
  if (json_is_array(a))
    json_array_foreach(a, i, x) if (json_is_string(x) && pyoci_ignorefile_match(f->ignore, json_string_value(x), f->now))
        hit = true;
  json_decref(a);
  return hit;
}

static char *dup0(const char *s)
{
  return xstrdup_or_null(s);
}

/* Move the findings a VEX statement covers to r->suppressed. */
static void apply_vex(pyoci_scan_report_t *r, const pyoci_vex_t *vex)
{
  size_t k = 0;
  for (size_t i = 0; i < r->n_vulns; i++) {
    pyoci_scan_vuln_t *v = &r->vulns[i];
    const pyoci_vex_stmt_t *st = pyoci_vex_find(vex, v, r->catalog->packages[v->pkg_index].purl);
    if (st == NULL) {
      r->vulns[k++] = *v;
      continue;
    }
    r->suppressed = xrealloc(r->suppressed, (r->n_suppressed + 1) * sizeof(*r->suppressed));
    r->suppressed[r->n_suppressed++] = (pyoci_scan_suppressed_t){
        .v = *v, .status = dup0(st->status), .statement = dup0(st->statement), .source = dup0(st->source)};
  }
  r->n_vulns = k;
}

void pyoci_scan_filter(pyoci_scan_report_t *r, const pyoci_scan_filter_t *f)
{
  if (f->vex != NULL)
    apply_vex(r, f->vex);
  size_t k = 0;
  for (size_t i = 0; i < r->n_vulns; i++) {
    pyoci_scan_vuln_t *v = &r->vulns[i];
    bool drop = !sev_kept(f, v->severity) || (f->ignore_unfixed && v->fixed[0] == '\0') || vuln_ignored(f, v);
    if (drop)
      pyoci_scan_vuln_clear(v);
    else
      r->vulns[k++] = *v;
  }
  r->n_vulns = k;
  k = 0;
  for (size_t i = 0; i < r->n_secrets; i++) {
    pyoci_scan_secret_t *s = &r->secrets[i];
    if (!sev_kept(f, s->severity) || pyoci_ignorefile_match(f->ignore, s->rule_id, f->now))
      pyoci_scan_secret_clear(s);
    else
      r->secrets[k++] = *s;
  }
  r->n_secrets = k;
  k = 0;
  for (size_t i = 0; i < r->n_misconfs; i++) {
    pyoci_scan_misconf_t *m = &r->misconfs[i];
    if (!sev_kept(f, m->severity) || pyoci_ignorefile_match(f->ignore, m->id, f->now) ||
        pyoci_ignorefile_match(f->ignore, m->trivy_id, f->now)) {
      free(m->message);
      free(m->code);
    } else {
      r->misconfs[k++] = *m;
    }
  }
  r->n_misconfs = k;
}

size_t pyoci_scan_total(const pyoci_scan_report_t *r)
{
  return r->n_vulns + r->n_secrets + r->n_misconfs;
}
