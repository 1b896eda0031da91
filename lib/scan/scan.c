/* Scan orchestration: layers (or a directory) -> catalog + secrets, then
 * vulnerability matching and Dockerfile checks, into one report. */
#include "scan.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/image/analyze.h"
#include "lib/lint/lint.h"
#include "lib/secret/scan.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/vuln/vercmp.h"
#include "lib/vuln/vulndb.h"
#include "scan_int.h"

/* NULL fields of a finding become "" in the report. */
static char *dup_or_empty(const char *s)
{
  return xstrdup(s ? s : "");
}

static void strv_free(char **v, size_t n)
{
  for (size_t i = 0; v != NULL && i < n; i++)
    free(v[i]);
  free(v);
}

void pyoci_scan_vuln_clear(pyoci_scan_vuln_t *v)
{
  free(v->id);
  free(v->source_id);
  free(v->aliases_json);
  free(v->records_json);
  free(v->pkg_name);
  free(v->installed);
  free(v->fixed);
  free(v->title);
  free(v->cvss_vector);
  free(v->primary_url);
}

void pyoci_scan_secret_clear(pyoci_scan_secret_t *s)
{
  free(s->rule_id);
  free(s->category);
  free(s->title);
  free(s->path);
  free(s->match);
  free(s->code);
}

void pyoci_scan_report_free(pyoci_scan_report_t *r)
{
  if (r == NULL)
    return;
  free(r->artifact_name);
  free(r->image_id);
  free(r->manifest_digest);
  strv_free(r->repo_tags, r->n_repo_tags);
  strv_free(r->layer_digests, r->n_layers);
  strv_free(r->diff_ids, r->n_layers);
  strv_free(r->created_by, r->n_layers);
  pyoci_catalog_result_free(r->catalog);
  free(r->os_ecosystem);
  for (size_t i = 0; i < r->n_vulns; i++)
    pyoci_scan_vuln_clear(&r->vulns[i]);
  free(r->vulns);
  for (size_t i = 0; i < r->n_suppressed; i++) {
    pyoci_scan_vuln_clear(&r->suppressed[i].v);
    free(r->suppressed[i].status);
    free(r->suppressed[i].statement);
    free(r->suppressed[i].source);
  }
  free(r->suppressed);
  for (size_t i = 0; i < r->n_secrets; i++)
    pyoci_scan_secret_clear(&r->secrets[i]);
  free(r->secrets);
  free(r->dockerfile);
  for (size_t i = 0; i < r->n_misconfs; i++) {
    free(r->misconfs[i].message);
    free(r->misconfs[i].code);
  }
  free(r->misconfs);
  free(r);
}

/* ---- ecosystems ---- */

/* Leading "N" or "N.M" of a version string; NULL when it does not start
 * with a digit. */
static char *version_prefix(const char *v, int parts)
{
  if (v == NULL || !isdigit((unsigned char)v[0]))
    return NULL;
  size_t i = 0;
  int dots = 0;
  while (v[i] != '\0') {
    if (v[i] == '.') {
      if (++dots == parts)
        break;
    } else if (!isdigit((unsigned char)v[i])) {
      break;
    }
    i++;
  }
  if (i > 0 && v[i - 1] == '.')
    i--;
  return xstrndup(v, i);
}

char *pyoci_scan_os_ecosystem(const pyoci_os_t *os)
{
  if (os == NULL || os->family == NULL)
    return NULL;
  char *eco = NULL;
  if (strcmp(os->family, "debian") == 0) {
    cleanup_free char *major = version_prefix(os->version, 1);
    if (major == NULL)
      major = version_prefix(os->version_id, 1);
    if (major != NULL)
      eco = xasprintf("Debian:%s", major);
  } else if (strcmp(os->family, "alpine") == 0) {
    cleanup_free char *mm = version_prefix(os->alpine_release ? os->alpine_release : os->version, 2);
    if (mm == NULL)
      mm = version_prefix(os->version_id, 2);
    if (mm != NULL)
      eco = xasprintf("Alpine:v%s", mm);
  }
  return eco;
}

/* ---- vulnerabilities ---- */

typedef struct {
  pyoci_scan_report_t *r;
  size_t cap;
  size_t pkg_index;
  pyoci_vuln_class_t cls;
} match_ctx_t;

static int on_match(const pyoci_vuln_match_t *m, void *data)
{
  match_ctx_t *c = data;
  pyoci_scan_report_t *r = c->r;
  const pyoci_pkg_t *p = &r->catalog->packages[c->pkg_index];
  ALLOC_GROW(r->vulns, r->n_vulns + 1, c->cap);
  pyoci_scan_vuln_t *v = &r->vulns[r->n_vulns++];
  memset(v, 0, sizeof(*v));
  v->cls = c->cls;
  v->id = dup_or_empty(m->id);
  v->aliases_json = dup_or_empty(m->aliases_json ? m->aliases_json : "[]");
  v->pkg_name = dup_or_empty(p->name);
  v->installed = dup_or_empty(p->version);
  v->fixed = dup_or_empty(m->fixed);
  v->title = dup_or_empty(m->summary);
  int sev = pyoci_severity_parse(m->severity);
  v->severity = sev < 0 ? PYOCI_SEV_UNKNOWN : (pyoci_severity_t)sev;
  v->cvss_vector = m->cvss_vector ? dup_or_empty(m->cvss_vector) : NULL;
  v->cvss_score = m->cvss_score;
  v->primary_url = xasprintf("https://osv.dev/vulnerability/%s", m->id);
  v->pkg_index = c->pkg_index;
  v->layer_index = p->layer_index;
  return 0;
}

static int match_packages(pyoci_scan_report_t *r, pyoci_vulndb_t *db, pyoci_error_t **err)
{
  match_ctx_t c = {.r = r};
  bool warned = false;
  for (size_t i = 0; i < r->catalog->n_packages; i++) {
    const pyoci_pkg_t *p = &r->catalog->packages[i];
    const char *eco, *name, *version;
    cleanup_free char *norm = NULL;
    if (p->type == PYOCI_PKG_PYTHON && p->owner_distro)
      continue; /* the OS package it came with is matched instead (owner.c) */
    if (p->type == PYOCI_PKG_PYTHON) {
      eco = "PyPI";
      norm = pyoci_pep503_normalize(p->name);
      name = norm;
      version = p->version;
      c.cls = PYOCI_CLASS_LANG;
    } else {
      bool fits = r->os_ecosystem != NULL &&
                  ((p->type == PYOCI_PKG_DEB && strncmp(r->os_ecosystem, "Debian:", 7) == 0) ||
                   (p->type == PYOCI_PKG_APK && strncmp(r->os_ecosystem, "Alpine:", 7) == 0));
      if (!fits) {
        if (!warned)
          pyoci_log(PYOCI_LOG_WARN, "OS packages of '%s %s' are not matched: no supported vulnerability source",
                    r->catalog->os.family ? r->catalog->os.family : "unknown OS",
                    r->catalog->os.version ? r->catalog->os.version : "");
        warned = true;
        continue;
      }
      eco = r->os_ecosystem;
      /* Debian and Alpine publish advisories per source package; like
       * trivy, compare the source version, show the binary's. */
      name = p->source_name && p->source_name[0] ? p->source_name : p->name;
      version = p->source_version && p->source_version[0] ? p->source_version : p->version;
      c.cls = PYOCI_CLASS_OS;
    }
    if (name == NULL || version == NULL)
      continue;
    c.pkg_index = i;
    size_t start = r->n_vulns;
    if (pyoci_vulndb_match(db, eco, name, version, on_match, &c, err) < 0)
      return pyoci_error_prefix(err, "match %s %s %s", eco, name, version);
    r->n_vulns = start + pyoci_scan_merge_aliases(r->vulns + start, r->n_vulns - start, eco);
  }
  return 0;
}

static int cmp_vuln(const void *a, const void *b)
{
  const pyoci_scan_vuln_t *x = a, *y = b;
  int c;
  if (x->cls != y->cls)
    return (int)x->cls - (int)y->cls;
  if ((c = strcmp(x->pkg_name, y->pkg_name)) != 0)
    return c;
  if ((c = strcmp(x->id, y->id)) != 0)
    return c;
  if ((c = strcmp(x->installed, y->installed)) != 0)
    return c;
  return x->pkg_index < y->pkg_index ? -1 : x->pkg_index > y->pkg_index;
}

/* ---- secrets ---- */

typedef struct {
  pyoci_scan_report_t *r;
  size_t cap;
} secret_ctx_t;

static const pyoci_secret_rule_t *rule_by_id(const char *id)
{
  size_t n = 0;
  const pyoci_secret_rule_t *rules = pyoci_secret_rules(&n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(rules[i].id, id) == 0)
      return &rules[i];
  return NULL;
}

static void add_secret(secret_ctx_t *c, const char *rule_id, const char *path, int line, int end_line,
                       const char *match, const char *code, int layer)
{
  const pyoci_secret_rule_t *rule = rule_by_id(rule_id);
  if (rule == NULL)
    return; /* a rule that no longer exists (stale cache entries cannot reach here: the salt changes) */
  pyoci_scan_report_t *r = c->r;
  ALLOC_GROW(r->secrets, r->n_secrets + 1, c->cap);
  pyoci_scan_secret_t *s = &r->secrets[r->n_secrets++];
  s->rule_id = dup_or_empty(rule->id);
  s->category = dup_or_empty(rule->category);
  s->title = dup_or_empty(rule->title);
  s->severity = rule->severity;
  if (layer >= 0) {
    s->path = xasprintf("/%s", path);
  } else {
    s->path = dup_or_empty(path);
  }
  s->line = line;
  s->end_line = end_line;
  s->match = dup_or_empty(match);
  s->code = dup_or_empty(code);
  s->layer_index = layer;
}

static int dir_secret(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  (void)err;
  add_secret(ctx, f->rule_id, f->path, f->line, f->end_line, f->match, f->code, -1);
  return 0;
}

static int cmp_secret(const void *a, const void *b)
{
  const pyoci_scan_secret_t *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  if (c != 0)
    return c;
  if (x->layer_index != y->layer_index)
    return x->layer_index - y->layer_index;
  if (x->line != y->line)
    return x->line - y->line;
  return strcmp(x->rule_id, y->rule_id);
}

/* ---- misconfigurations ---- */

/* Line n (1-based) of text, "" when absent. */
static char *nth_line(const char *text, size_t len, int n)
{
  const char *p = text, *end = text + len;
  for (int i = 1; i < n && p < end; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
      return dup_or_empty("");
    p = nl + 1;
  }
  if (n < 1 || p >= end)
    return dup_or_empty("");
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
  if (l > 0 && p[l - 1] == '\r')
    l--;
  char *s = xstrndup(p, l);
  return s;
}

static int check_dockerfile(pyoci_scan_report_t *r, const char *path, pyoci_error_t **err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, 4u << 20, &text, &len, err) < 0)
    return -1;
  pyoci_lint_result_t res = PYOCI_LINT_RESULT_INIT;
  if (pyoci_lint_text(path, text, len, &res, err) < 0) {
    pyoci_lint_result_release(&res);
    return -1;
  }
  r->dockerfile = dup_or_empty(path);
  pyoci_lint_checks(&r->n_checks);
  r->misconfs = xcalloc(res.n + 1, sizeof(*r->misconfs));
  for (size_t i = 0; i < res.n; i++) {
    const pyoci_lint_finding_t *f = &res.v[i];
    pyoci_scan_misconf_t *m = &r->misconfs[r->n_misconfs++];
    m->id = f->check->id;
    m->trivy_id = f->check->trivy;
    m->title = f->check->title;
    m->description = f->check->description;
    m->severity = f->check->severity;
    m->line = f->line;
    m->message = pyoci_scan_mask_text(f->message ? f->message : f->check->title);
    cleanup_free char *line = nth_line(text, len, f->line);
    m->code = pyoci_scan_mask_text(line);
    bool seen = false;
    for (size_t j = 0; j < i; j++)
      seen = seen || res.v[j].check == f->check;
    if (!seen)
      r->n_misconf_failed_checks++;
  }
  pyoci_lint_result_release(&res);
  return 0;
}

/* ---- image / directory passes ---- */

static void describe_image(pyoci_scan_report_t *r, const pyoci_target_t *t)
{
  const pyoci_image_t *img = t->image;
  r->image_id = dup_or_empty(img->config_digest);
  r->manifest_digest = dup_or_empty(img->manifest_digest);
  r->n_repo_tags = t->n_repo_tags;
  r->repo_tags = xcalloc(t->n_repo_tags + 1, sizeof(char *));
  for (size_t i = 0; i < t->n_repo_tags; i++)
    r->repo_tags[i] = dup_or_empty(t->repo_tags[i]);
  r->n_layers = img->n_layers;
  r->layer_digests = xcalloc(img->n_layers + 1, sizeof(char *));
  r->diff_ids = xcalloc(img->n_layers + 1, sizeof(char *));
  r->created_by = xcalloc(img->n_layers + 1, sizeof(char *));
  const char **cb = pyoci_layer_created_by(img);
  for (size_t i = 0; i < img->n_layers; i++) {
    r->layer_digests[i] = dup_or_empty(img->layers[i].digest);
    r->diff_ids[i] = dup_or_empty(img->diff_ids[i]);
    /* quoted by every writer ("added by '...'"): never with a secret in it */
    r->created_by[i] = pyoci_scan_mask_text(cb && cb[i] && strcmp(cb[i], "(missing)") != 0 ? cb[i] : "");
  }
  free(cb);
}

static int scan_image(pyoci_scan_report_t *r, pyoci_target_t *t, const pyoci_scan_opts_t *o, secret_ctx_t *sc,
                      pyoci_error_t **err)
{
  describe_image(r, t);
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  bool secrets = (r->scanners & PYOCI_SCANNER_SECRET) != 0;
  const pyoci_image_t *img = t->image;
  for (size_t i = 0; i < img->n_layers; i++) {
    char label[64];
    snprintf(label, sizeof(label), "Scanning layer %zu/%zu", i + 1, img->n_layers);
    pyoci_progress(label, i, img->n_layers, 0);
    cleanup_lrec pyoci_layer_record_t *rec = NULL;
    bool hit = false;
    if (pyoci_lrec_for_layer(t->store, &img->layers[i], img->diff_ids[i], secrets, !o->no_cache, &rec, &hit,
                             err) < 0)
      return -1;
    if (hit)
      r->layers_cached++;
    if (pyoci_lrec_feed_catalog(rec, cat, (int)i, img->layers[i].digest, err) < 0)
      return -1;
    for (size_t k = 0; secrets && k < rec->n_secrets; k++) {
      const pyoci_lrec_secret_t *s = &rec->secrets[k];
      add_secret(sc, s->rule_id, s->path, s->line, s->end_line, s->match, s->code, (int)i);
    }
    if (o->layer_fn != NULL && o->layer_fn(o->layer_ctx, i, rec, err) < 0)
      return -1;
  }
  pyoci_progress("Scanning layers", img->n_layers, img->n_layers, 1);
  if (secrets && pyoci_scan_config_secrets(img->config, dir_secret, sc, err) < 0)
    return pyoci_error_prefix(err, "secret scan of the image config");
  return pyoci_catalog_finish(cat, &r->catalog, err);
}

static int scan_dir(pyoci_scan_report_t *r, const pyoci_target_t *t, secret_ctx_t *sc, pyoci_error_t **err)
{
  cleanup_catalog pyoci_catalog_t *cat = pyoci_catalog_new();
  if (t->project)
    pyoci_catalog_set_project(cat, t->arg);
  if (pyoci_catalog_feed_dir(cat, t->arg, err) < 0 || pyoci_catalog_finish(cat, &r->catalog, err) < 0)
    return -1;
  if ((r->scanners & PYOCI_SCANNER_SECRET) && pyoci_secret_scan_dir(t->arg, dir_secret, sc, err) < 0)
    return -1;
  return 0;
}

static int open_db(pyoci_scan_report_t *r, const pyoci_scan_opts_t *o, pyoci_vulndb_t **db, pyoci_error_t **err)
{
  const char *path = o->db_path ? o->db_path : "(no path given)";
  if (o->db_path == NULL || !pyoci_path_exists(path)) {
    if (o->db_required)
      return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                                  "vulnerability DB not found at '%s'; run 'pyoci db update' or 'pyoci db import'",
                                  path);
    pyoci_log(PYOCI_LOG_WARN, "vulnerability DB not found; run 'pyoci db update' or 'pyoci db import'");
    r->db_missing = true;
    r->scanners &= ~(unsigned)PYOCI_SCANNER_VULN;
    return 0;
  }
  *db = pyoci_vulndb_open(path, err);
  return *db ? 0 : -1;
}

int pyoci_scan_run(pyoci_target_t *t, const pyoci_scan_opts_t *o, pyoci_scan_report_t **out, pyoci_error_t **err)
{
  pyoci_scan_report_t *r = xcalloc(1, sizeof(*r));
  cleanup_scan_report pyoci_scan_report_t *guard = r;
  r->artifact_name = dup_or_empty(t->name);
  r->kind = t->kind;
  r->scanners = o->scanners;
  if (o->dockerfile == NULL)
    r->scanners &= ~(unsigned)PYOCI_SCANNER_MISCONFIG;
  pyoci_vulndb_t *db = NULL;
  if ((r->scanners & PYOCI_SCANNER_VULN) && open_db(r, o, &db, err) < 0)
    return -1;
  secret_ctx_t sc = {.r = r};
  int rc = t->kind == PYOCI_TARGET_DIR ? scan_dir(r, t, &sc, err) : scan_image(r, t, o, &sc, err);
  if (rc == 0) {
    r->os_ecosystem = pyoci_scan_os_ecosystem(&r->catalog->os);
    if (db != NULL)
      rc = match_packages(r, db, err);
  }
  pyoci_vulndb_close(db);
  if (rc < 0)
    return -1;
  if ((r->scanners & PYOCI_SCANNER_MISCONFIG) && check_dockerfile(r, o->dockerfile, err) < 0)
    return -1;
  if (r->n_vulns > 1)
    qsort(r->vulns, r->n_vulns, sizeof(*r->vulns), cmp_vuln);
  if (r->n_secrets > 1)
    qsort(r->secrets, r->n_secrets, sizeof(*r->secrets), cmp_secret);
  *out = steal_pointer(&guard);
  return 0;
}
