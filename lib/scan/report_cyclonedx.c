/* CycloneDX 1.5: the SBOM `pyoci sbom` writes, plus a "vulnerabilities"
 * array (one entry per vulnerability ID, affecting the components it was
 * found in, referenced by their bom-ref). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lib/pkg/sbom.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/utf8.h"
#include "scan.h"

/* The bom-ref sbom_cyclonedx.c gives a package's component. */
static char *component_ref(const pyoci_pkg_t *p)
{
  char id[17];
  pyoci_sbom_pkg_id(p, id);
  char *ref = NULL;
  ref = xasprintf("%s%cpackage-id=%s", p->purl, strchr(p->purl, '?') ? '&' : '?', id);
  return ref;
}

static const char *cdx_severity(pyoci_severity_t s)
{
  switch (s) {
  case PYOCI_SEV_CRITICAL:
    return "critical";
  case PYOCI_SEV_HIGH:
    return "high";
  case PYOCI_SEV_MEDIUM:
    return "medium";
  case PYOCI_SEV_LOW:
    return "low";
  default:
    return "unknown";
  }
}

static json_t *rating(const pyoci_scan_vuln_t *v)
{
  json_t *r = json_object();
  json_object_set_new(r, "source", json_pack("{s:s, s:s}", "name", "OSV", "url", "https://osv.dev"));
  if (v->cvss_vector != NULL && v->cvss_score >= 0) {
    json_object_set_new(r, "score", json_real(v->cvss_score));
    json_object_set_new(r, "severity", json_string(cdx_severity(v->severity)));
    const char *m = strncmp(v->cvss_vector, "CVSS:3.1/", 9) == 0   ? "CVSSv31"
                    : strncmp(v->cvss_vector, "CVSS:3.0/", 9) == 0 ? "CVSSv3"
                    : strncmp(v->cvss_vector, "CVSS:4.0/", 9) == 0 ? "CVSSv4"
                                                                   : "other";
    json_object_set_new(r, "method", json_string(m));
    json_object_set_new(r, "vector", pyoci_json_string_lossy(v->cvss_vector));
  } else {
    json_object_set_new(r, "severity", json_string(cdx_severity(v->severity)));
  }
  return r;
}

static json_t *vuln_entry(const pyoci_scan_vuln_t *v)
{
  json_t *e = json_object();
  json_object_set_new(e, "bom-ref", pyoci_json_string_lossy(v->id));
  json_object_set_new(e, "id", pyoci_json_string_lossy(v->id));
  json_object_set_new(e, "source", json_pack("{s:s, s:o}", "name", "OSV", "url", pyoci_json_string_lossy(v->primary_url)));
  json_object_set_new(e, "ratings", json_pack("[o]", rating(v)));
  /* CycloneDX's place for other IDs of the same vulnerability. */
  cleanup_json json_t *aliases = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  json_t *refs = json_array();
  size_t i;
  json_t *x;
  if (json_is_array(aliases))
    json_array_foreach(aliases, i, x) if (json_is_string(x))
    {
      cleanup_free char *url = NULL;
      url = xasprintf("https://osv.dev/vulnerability/%s", json_string_value(x));
      json_array_append_new(refs, json_pack("{s:o, s:{s:s, s:o}}", "id", pyoci_json_string_lossy(json_string_value(x)),
                                            "source", "name", "OSV", "url", pyoci_json_string_lossy(url)));
    }
  if (json_array_size(refs) > 0)
    json_object_set_new(e, "references", refs);
  else
    json_decref(refs);
  if (v->title[0] != '\0')
    json_object_set_new(e, "description", pyoci_json_string_lossy(v->title));
  json_object_set_new(e, "affects", json_array());
  return e;
}

char *pyoci_scan_report_cyclonedx(const pyoci_scan_report_t *r, int64_t created)
{
  pyoci_sbom_subject_t subject = {.name = r->artifact_name, .digest = r->manifest_digest, .created = created};
  cleanup_free char *sbom = pyoci_sbom_cyclonedx(r->catalog, &subject);
  cleanup_json json_t *doc = json_loads(sbom, JSON_DECODE_ANY, NULL);
  if (doc == NULL)
    abort(); /* our own writer's output */
  json_t *vulns = json_array();
  /* one entry per ID, in ID order */
  size_t *order = xcalloc(r->n_vulns + 1, sizeof(size_t));
  for (size_t i = 0; i < r->n_vulns; i++)
    order[i] = i;
  for (size_t i = 1; i < r->n_vulns; i++) /* insertion sort by id, stable */
    for (size_t j = i; j > 0 && strcmp(r->vulns[order[j - 1]].id, r->vulns[order[j]].id) > 0; j--) {
      size_t t = order[j];
      order[j] = order[j - 1];
      order[j - 1] = t;
    }
  json_t *cur = NULL;
  const char *cur_id = NULL;
  for (size_t k = 0; k < r->n_vulns; k++) {
    const pyoci_scan_vuln_t *v = &r->vulns[order[k]];
    if (cur_id == NULL || strcmp(cur_id, v->id) != 0) {
      cur = vuln_entry(v);
      json_array_append_new(vulns, cur);
      cur_id = v->id;
    }
    cleanup_free char *ref = component_ref(&r->catalog->packages[v->pkg_index]);
    json_t *affects = json_object_get(cur, "affects");
    bool dup = false;
    size_t i;
    json_t *a;
    json_array_foreach(affects, i, a) dup = dup || strcmp(json_string_value(json_object_get(a, "ref")), ref) == 0;
    if (!dup)
      json_array_append_new(affects, json_pack("{s:s}", "ref", ref));
  }
  free(order);
  json_object_set_new(doc, "vulnerabilities", vulns);
  return pyoci_scan_json_dump(doc);
}
