/* JSON in the shape of trivy's report (SchemaVersion 2), so scripts and
 * dashboards written against `trivy image -f json` read it unchanged.
 * As in trivy, empty optional fields are left out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/pkg/sbom.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/utf8.h"
#include "scan.h"
#include "scan_int.h"

#define S(x) pyoci_json_string_lossy(x)

char *pyoci_scan_json_dump(const json_t *doc)
{
  return pyoci_json_dump_text(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
}

static void set_str(json_t *o, const char *k, const char *v)
{
  if (v != NULL && v[0] != '\0')
    json_object_set_new(o, k, S(v));
}

static json_t *layer_obj(const pyoci_scan_report_t *r, int layer)
{
  if (layer < 0 || (size_t)layer >= r->n_layers)
    return NULL;
  json_t *l = json_object();
  json_object_set_new(l, "Digest", json_string(r->layer_digests[layer]));
  json_object_set_new(l, "DiffID", json_string(r->diff_ids[layer]));
  set_str(l, "CreatedBy", r->created_by[layer]);
  return l;
}

static json_t *vuln_obj(const pyoci_scan_report_t *r, const pyoci_scan_vuln_t *v)
{
  const pyoci_pkg_t *p = &r->catalog->packages[v->pkg_index];
  json_t *o = json_object();
  json_object_set_new(o, "VulnerabilityID", S(v->id));
  json_t *ids = v->records_json ? json_loads(v->records_json, 0, NULL) : NULL;
  if (json_array_size(ids) > 0)
    json_object_set_new(o, "VendorIDs", ids);
  else
    json_decref(ids);
  json_t *aliases = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  if (json_array_size(aliases) > 0)
    json_object_set_new(o, "Aliases", aliases);
  else
    json_decref(aliases);
  json_object_set_new(o, "PkgName", S(v->pkg_name));
  if (p->type == PYOCI_PKG_PYTHON)
    set_str(o, "PkgPath", p->origin);
  if (p->purl != NULL)
    json_object_set_new(o, "PkgIdentifier", json_pack("{s:o}", "PURL", S(p->purl)));
  json_object_set_new(o, "InstalledVersion", S(v->installed));
  set_str(o, "FixedVersion", v->fixed);
  json_object_set_new(o, "Status", json_string(v->fixed[0] ? "fixed" : "affected"));
  json_t *layer = layer_obj(r, v->layer_index);
  if (layer != NULL)
    json_object_set_new(o, "Layer", layer);
  json_object_set_new(o, "SeveritySource", json_string(pyoci_scan_severity_source(v)));
  set_str(o, "PrimaryURL", v->primary_url);
  json_object_set_new(o, "DataSource", json_pack("{s:s, s:s, s:s}", "ID", "osv", "Name", "OSV", "URL", "https://osv.dev"));
  set_str(o, "Title", v->title);
  json_object_set_new(o, "Severity", json_string(pyoci_severity_name(v->severity)));
  if (v->cvss_vector != NULL && v->cvss_score >= 0)
    json_object_set_new(o, "CVSS",
                        json_pack("{s:{s:o, s:f}}", "osv", "V3Vector", S(v->cvss_vector), "V3Score", v->cvss_score));
  return o;
}

static json_t *code_obj(int line, const char *text)
{
  json_t *l = json_object();
  json_object_set_new(l, "Number", json_integer(line));
  json_object_set_new(l, "Content", S(text));
  json_object_set_new(l, "IsCause", json_true());
  json_object_set_new(l, "Annotation", json_string(""));
  json_object_set_new(l, "Truncated", json_false());
  json_object_set_new(l, "FirstCause", json_true());
  json_object_set_new(l, "LastCause", json_true());
  return json_pack("{s:[o]}", "Lines", l);
}

static json_t *vuln_result(const pyoci_scan_report_t *r, pyoci_vuln_class_t cls, const char *target,
                           const char *type)
{
  json_t *res = json_object();
  json_object_set_new(res, "Target", S(target));
  json_object_set_new(res, "Class", json_string(cls == PYOCI_CLASS_OS ? "os-pkgs" : "lang-pkgs"));
  json_object_set_new(res, "Type", S(type));
  json_t *arr = json_array();
  for (size_t i = 0; i < r->n_vulns; i++)
    if (r->vulns[i].cls == cls)
      json_array_append_new(arr, vuln_obj(r, &r->vulns[i]));
  if (json_array_size(arr) > 0)
    json_object_set_new(res, "Vulnerabilities", arr);
  else
    json_decref(arr);
  return res;
}

static void secret_results(json_t *results, const pyoci_scan_report_t *r)
{
  for (size_t i = 0; i < r->n_secrets;) {
    json_t *res = json_object(), *arr = json_array();
    json_object_set_new(res, "Target", S(r->secrets[i].path));
    json_object_set_new(res, "Class", json_string("secret"));
    size_t j = i;
    for (; j < r->n_secrets && strcmp(r->secrets[j].path, r->secrets[i].path) == 0; j++) {
      const pyoci_scan_secret_t *s = &r->secrets[j];
      json_t *o = json_object();
      json_object_set_new(o, "RuleID", S(s->rule_id));
      json_object_set_new(o, "Category", S(s->category));
      json_object_set_new(o, "Severity", json_string(pyoci_severity_name(s->severity)));
      json_object_set_new(o, "Title", S(s->title));
      json_object_set_new(o, "StartLine", json_integer(s->line));
      json_object_set_new(o, "EndLine", json_integer(s->end_line));
      json_object_set_new(o, "Code", code_obj(s->line, s->code));
      json_object_set_new(o, "Match", S(s->match));
      json_t *layer = layer_obj(r, s->layer_index);
      if (layer != NULL)
        json_object_set_new(o, "Layer", layer);
      json_array_append_new(arr, o);
    }
    json_object_set_new(res, "Secrets", arr);
    json_array_append_new(results, res);
    i = j;
  }
}

static json_t *misconf_result(const pyoci_scan_report_t *r)
{
  json_t *res = json_object(), *arr = json_array();
  json_object_set_new(res, "Target", S(r->dockerfile));
  json_object_set_new(res, "Class", json_string("config"));
  json_object_set_new(res, "Type", json_string("dockerfile"));
  json_object_set_new(res, "MisconfSummary",
                      json_pack("{s:I, s:I}", "Successes", (json_int_t)(r->n_checks - r->n_misconf_failed_checks),
                                "Failures", (json_int_t)r->n_misconfs));
  for (size_t i = 0; i < r->n_misconfs; i++) {
    const pyoci_scan_misconf_t *m = &r->misconfs[i];
    json_t *o = json_object();
    json_object_set_new(o, "Type", json_string("Dockerfile Security Check"));
    json_object_set_new(o, "ID", json_string(m->id));
    set_str(o, "AVDID", m->trivy_id);
    json_object_set_new(o, "Title", S(m->title));
    json_object_set_new(o, "Description", S(m->description));
    json_object_set_new(o, "Message", S(m->message));
    json_object_set_new(o, "Severity", json_string(pyoci_severity_name(m->severity)));
    json_object_set_new(o, "Status", json_string("FAIL"));
    json_object_set_new(o, "CauseMetadata", json_pack("{s:i, s:i, s:o}", "StartLine", m->line, "EndLine", m->line,
                                                      "Code", code_obj(m->line, m->code)));
    json_array_append_new(arr, o);
  }
  json_object_set_new(res, "Misconfigurations", arr);
  return res;
}

char *pyoci_scan_report_json(const pyoci_scan_report_t *r)
{
  cleanup_json json_t *doc = json_object();
  json_object_set_new(doc, "SchemaVersion", json_integer(2));
  json_object_set_new(doc, "ArtifactName", S(r->artifact_name));
  json_object_set_new(doc, "ArtifactType",
                      json_string(r->kind == PYOCI_TARGET_DIR ? "filesystem" : "container_image"));
  json_t *meta = json_object();
  const pyoci_os_t *os = &r->catalog->os;
  if (os->family != NULL)
    json_object_set_new(meta, "OS", json_pack("{s:o, s:o}", "Family", S(os->family), "Name", S(os->version)));
  if (r->image_id != NULL) {
    json_object_set_new(meta, "ImageID", json_string(r->image_id));
    json_t *d = json_array();
    for (size_t i = 0; i < r->n_layers; i++)
      json_array_append_new(d, json_string(r->diff_ids[i]));
    json_object_set_new(meta, "DiffIDs", d);
    json_t *t = json_array();
    for (size_t i = 0; i < r->n_repo_tags; i++)
      json_array_append_new(t, S(r->repo_tags[i]));
    json_object_set_new(meta, "RepoTags", t);
  }
  json_object_set_new(doc, "Metadata", meta);
  json_t *results = json_array();
  if (r->scanners & PYOCI_SCANNER_VULN) {
    bool has_os = os->family != NULL, has_py = false;
    for (size_t i = 0; i < r->catalog->n_packages; i++) {
      has_py |= r->catalog->packages[i].type == PYOCI_PKG_PYTHON;
      has_os |= r->catalog->packages[i].type != PYOCI_PKG_PYTHON;
    }
    if (has_os) {
      cleanup_free char *target = NULL;
      target = xasprintf("%s (%s %s)", r->artifact_name, os->family ? os->family : "unknown",
                   os->version ? os->version : "");
      json_array_append_new(results, vuln_result(r, PYOCI_CLASS_OS, target, os->family ? os->family : "unknown"));
    }
    if (has_py)
      json_array_append_new(results, vuln_result(r, PYOCI_CLASS_LANG, "Python", "python-pkg"));
  }
  secret_results(results, r);
  if (r->dockerfile != NULL)
    json_array_append_new(results, misconf_result(r));
  json_object_set_new(doc, "Results", results);
  return pyoci_scan_json_dump(doc);
}
