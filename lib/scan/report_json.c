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
  if (v->cvss_vector != NULL && v->cvss_score >= 0) {
    bool v4 = strncmp(v->cvss_vector, "CVSS:4.0/", 9) == 0; /* trivy's field names */
    json_object_set_new(o, "CVSS", json_pack("{s:{s:o, s:f}}", pyoci_scan_severity_source(v), v4 ? "V40Vector" : "V3Vector",
                                             S(v->cvss_vector), v4 ? "V40Score" : "V3Score", v->cvss_score));
  }
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

/* --list-all-pkgs: trivy's Packages entries; a Python distribution an OS
 * package installed says which (OwnedBy), and whether it was matched
 * through that package rather than against PyPI (OwnerIsDistribution). */
static json_t *package_obj(const pyoci_scan_report_t *r, const pyoci_pkg_t *p)
{
  json_t *o = json_object();
  cleanup_free char *id = NULL;
  id = xasprintf("%s@%s", p->name, p->version);
  json_object_set_new(o, "ID", S(id));
  json_object_set_new(o, "Name", S(p->name));
  if (p->purl != NULL)
    json_object_set_new(o, "Identifier", json_pack("{s:o}", "PURL", S(p->purl)));
  json_object_set_new(o, "Version", S(p->version));
  if (p->type != PYOCI_PKG_PYTHON) {
    set_str(o, "SrcName", p->source_name);
    set_str(o, "SrcVersion", p->source_version);
    set_str(o, "Arch", p->arch);
  } else {
    set_str(o, "FilePath", p->origin);
  }
  if (p->owner != NULL) {
    json_object_set_new(o, "OwnedBy", S(p->owner));
    json_object_set_new(o, "OwnerIsDistribution", json_boolean(p->owner_distro));
  }
  json_t *layer = layer_obj(r, p->layer_index);
  if (layer != NULL)
    json_object_set_new(o, "Layer", layer);
  return o;
}

/* ---- streaming ----
 * A 60,000-finding report built as one jansson tree and dumped to one
 * string peaked near 480 MB.  The writer below emits the document piece by
 * piece instead: each finding is built as a small tree, dumped with the
 * same indentation jansson would use at its depth, and freed; the bytes
 * are those of the whole-tree dump. */

#define JFLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10) | JSON_ENCODE_ANY)

typedef struct {
  FILE *f;
} jw_t;

static void jw_indent(jw_t *w, int depth)
{
  for (int i = 0; i < depth; i++)
    fputs("  ", w->f);
}

/* A value at `depth`: its own lines are indented to match. */
static void jw_value(jw_t *w, const json_t *v, int depth)
{
  char *text = pyoci_xcheck(json_dumps(v, JFLAGS));
  /* Line by line, not fputc per byte: stdio's per-call locking made this
   * loop a tenth of a warm scan. */
  const char *p = text;
  for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
    fwrite(p, 1, (size_t)(nl - p + 1), w->f);
    jw_indent(w, depth);
  }
  fputs(p, w->f);
  free(text);
}

/* Start member `key` of an object at depth-1 (first: no comma before). */
static void jw_key(jw_t *w, const char *key, int depth, bool *first)
{
  fputs(*first ? "\n" : ",\n", w->f);
  *first = false;
  jw_indent(w, depth);
  json_t *k = S(key);
  jw_value(w, k, depth);
  json_decref(k);
  fputs(": ", w->f);
}

/* Every member of o, as members of the object being written. */
static void jw_members(jw_t *w, const json_t *o, int depth, bool *first)
{
  const char *key;
  json_t *v;
  json_object_foreach((json_t *)o, key, v)
  {
    jw_key(w, key, depth, first);
    jw_value(w, v, depth);
  }
}

/* Array elements one at a time: jw_elem before each, jw_array_end after. */
static void jw_elem(jw_t *w, int depth, bool *first)
{
  fputs(*first ? "[\n" : ",\n", w->f);
  *first = false;
  jw_indent(w, depth);
}

static void jw_array_end(jw_t *w, int depth, bool first)
{
  if (first) {
    fputs("[]", w->f);
    return;
  }
  fputc('\n', w->f);
  jw_indent(w, depth - 1);
  fputc(']', w->f);
}

static void jw_take(jw_t *w, json_t *v, int depth)
{
  jw_value(w, v, depth);
  json_decref(v);
}

/* One vulnerability result (os-pkgs or lang-pkgs) as an element at depth 2. */
static void vuln_result(jw_t *w, const pyoci_scan_report_t *r, pyoci_vuln_class_t cls, const char *target,
                        const char *type)
{
  fputc('{', w->f);
  bool first = true;
  cleanup_json json_t *head = json_object();
  json_object_set_new(head, "Target", S(target));
  json_object_set_new(head, "Class", json_string(cls == PYOCI_CLASS_OS ? "os-pkgs" : "lang-pkgs"));
  json_object_set_new(head, "Type", S(type));
  jw_members(w, head, 3, &first);
  if (r->list_all_pkgs) {
    jw_key(w, "Packages", 3, &first);
    bool f2 = true;
    for (size_t i = 0; i < r->catalog->n_packages; i++) {
      const pyoci_pkg_t *p = &r->catalog->packages[i];
      if ((p->type == PYOCI_PKG_PYTHON) != (cls == PYOCI_CLASS_LANG))
        continue;
      jw_elem(w, 4, &f2);
      jw_take(w, package_obj(r, p), 4);
    }
    jw_array_end(w, 4, f2);
  }
  size_t n = 0;
  for (size_t i = 0; i < r->n_vulns; i++)
    n += r->vulns[i].cls == cls;
  if (n > 0) {
    jw_key(w, "Vulnerabilities", 3, &first);
    bool f2 = true;
    for (size_t i = 0; i < r->n_vulns; i++) {
      if (r->vulns[i].cls != cls)
        continue;
      jw_elem(w, 4, &f2);
      jw_take(w, vuln_obj(r, &r->vulns[i]), 4);
    }
    jw_array_end(w, 4, f2);
  }
  bool f3 = true;
  for (size_t i = 0; i < r->n_suppressed; i++) {
    const pyoci_scan_suppressed_t *x = &r->suppressed[i];
    if (x->v.cls != cls)
      continue;
    if (f3)
      jw_key(w, "ModifiedFindings", 3, &first);
    jw_elem(w, 4, &f3);
    json_t *o = json_object();
    json_object_set_new(o, "Type", json_string("vulnerability"));
    json_object_set_new(o, "Status", S(x->status));
    if (x->statement != NULL)
      json_object_set_new(o, "Statement", S(x->statement));
    json_object_set_new(o, "Source", S(x->source));
    json_object_set_new(o, "Finding", vuln_obj(r, &x->v));
    jw_take(w, o, 4);
  }
  if (!f3)
    jw_array_end(w, 4, f3);
  fputc('\n', w->f);
  jw_indent(w, 2);
  fputc('}', w->f);
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

static json_t *metadata(const pyoci_scan_report_t *r)
{
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
  return meta;
}

static void vuln_results(jw_t *w, const pyoci_scan_report_t *r, bool *first)
{
  const pyoci_os_t *os = &r->catalog->os;
  bool has_os = os->family != NULL, has_py = false;
  for (size_t i = 0; i < r->catalog->n_packages; i++) {
    has_py |= r->catalog->packages[i].type == PYOCI_PKG_PYTHON;
    has_os |= r->catalog->packages[i].type != PYOCI_PKG_PYTHON;
  }
  if (has_os) {
    cleanup_free char *target = NULL;
    target = xasprintf("%s (%s %s)", r->artifact_name, os->family ? os->family : "unknown",
                 os->version ? os->version : "");
    jw_elem(w, 2, first);
    vuln_result(w, r, PYOCI_CLASS_OS, target, os->family ? os->family : "unknown");
  }
  if (has_py) {
    jw_elem(w, 2, first);
    vuln_result(w, r, PYOCI_CLASS_LANG, "Python", "python-pkg");
  }
}

int pyoci_scan_write_json(const pyoci_scan_report_t *r, FILE *f)
{
  jw_t w = {f};
  cleanup_json json_t *head = json_object();
  json_object_set_new(head, "SchemaVersion", json_integer(2));
  json_object_set_new(head, "ArtifactName", S(r->artifact_name));
  json_object_set_new(head, "ArtifactType", json_string(r->kind == PYOCI_TARGET_DIR ? "filesystem" : "container_image"));
  json_object_set_new(head, "Metadata", metadata(r));
  if (r->db_missing)
    json_object_set_new(head, "Warnings", json_pack("[s]", PYOCI_SCAN_NOT_CHECKED));
  fputc('{', f);
  bool first = true;
  jw_members(&w, head, 1, &first);
  jw_key(&w, "Results", 1, &first);
  bool rfirst = true;
  if (r->scanners & PYOCI_SCANNER_VULN)
    vuln_results(&w, r, &rfirst);
  cleanup_json json_t *rest = json_array();
  secret_results(rest, r);
  if (r->dockerfile != NULL)
    json_array_append_new(rest, misconf_result(r));
  size_t i;
  json_t *x;
  json_array_foreach(rest, i, x)
  {
    jw_elem(&w, 2, &rfirst);
    jw_value(&w, x, 2);
  }
  jw_array_end(&w, 2, rfirst);
  fputs("\n}\n", f);
  return ferror(f) ? -1 : 0;
}

char *pyoci_scan_report_json(const pyoci_scan_report_t *r)
{
  char *buf = NULL;
  size_t len = 0;
  /* a memory stream fails only when memory runs out */
  FILE *f = pyoci_xcheck(open_memstream(&buf, &len));
  pyoci_scan_write_json(r, f);
  if (fclose(f) != 0)
    pyoci_die_oom(len);
  return buf;
}
