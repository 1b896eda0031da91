/* SARIF 2.1.0 for code-scanning dashboards: one rule per vulnerability ID,
 * secret rule and Dockerfile check; one result per finding, located at the
 * file it concerns (the package database, the secret's file, the
 * Dockerfile line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pkg/sbom.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/sarif.h"
#include "scan.h"
#include "scan_int.h"

#define SCAN_INFO_URI "https://github.com/pyoci/pyoci/blob/main/docs/pyoci-scan.md"

static const char *skip_slash(const char *p)
{
  while (p != NULL && *p == '/')
    p++;
  return p;
}

static int add_vulns(pyoci_sarif_t *s, const pyoci_scan_report_t *r, pyoci_error_t **err)
{
  static const char *const tags[] = {"vulnerability", "security", NULL};
  for (size_t i = 0; i < r->n_vulns; i++) {
    const pyoci_scan_vuln_t *v = &r->vulns[i];
    const pyoci_pkg_t *p = &r->catalog->packages[v->pkg_index];
    pyoci_sarif_rule_t rule = {.id = v->id,
                               .short_desc = v->title[0] ? v->title : v->id,
                               .help_uri = v->primary_url,
                               .severity = v->severity,
                               .tags = tags};
    pyoci_sarif_add_rule(s, &rule);
    cleanup_free char *aliases = pyoci_scan_aliases_text(v);
    cleanup_free char *msg =
        xasprintf("Package: %s\nInstalled Version: %s\nVulnerability %s\n%s%s%sSeverity: %s\nFixed Version: %s\n"
                  "Link: [%s](%s)",
                  v->pkg_name, v->installed, v->id, aliases[0] ? "Aliases: " : "", aliases, aliases[0] ? "\n" : "",
                  pyoci_severity_name(v->severity), v->fixed, v->source_id ? v->source_id : v->id, v->primary_url);
    pyoci_sarif_result_t res = {.rule_id = v->id,
                                .severity = v->severity,
                                .message = msg,
                                .uri = p->origin ? skip_slash(p->origin) : r->artifact_name,
                                .start_line = 1};
    if (pyoci_sarif_add_result(s, &res, err) < 0)
      return -1;
  }
  return 0;
}

static int add_secrets(pyoci_sarif_t *s, const pyoci_scan_report_t *r, pyoci_error_t **err)
{
  static const char *const tags[] = {"secret", "security", NULL};
  for (size_t i = 0; i < r->n_secrets; i++) {
    const pyoci_scan_secret_t *f = &r->secrets[i];
    pyoci_sarif_rule_t rule = {.id = f->rule_id, .name = f->category, .short_desc = f->title,
                               .severity = f->severity, .tags = tags};
    pyoci_sarif_add_rule(s, &rule);
    const char *layer = f->layer_index >= 0 && (size_t)f->layer_index < r->n_layers ? r->layer_digests[f->layer_index] : NULL;
    cleanup_free char *msg = layer ? xasprintf("%s: %s (in layer %s)", f->title, f->match, layer)
                                   : xasprintf("%s: %s", f->title, f->match);
    pyoci_sarif_result_t res = {.rule_id = f->rule_id,
                                .severity = f->severity,
                                .message = msg,
                                .uri = skip_slash(f->path),
                                .start_line = f->line > 0 ? f->line : 1,
                                .end_line = f->end_line > f->line ? f->end_line : 0,
                                .snippet = f->code};
    if (pyoci_sarif_add_result(s, &res, err) < 0)
      return -1;
  }
  return 0;
}

static int add_misconfs(pyoci_sarif_t *s, const pyoci_scan_report_t *r, pyoci_error_t **err)
{
  static const char *const tags[] = {"misconfiguration", "dockerfile", NULL};
  for (size_t i = 0; i < r->n_misconfs; i++) {
    const pyoci_scan_misconf_t *m = &r->misconfs[i];
    pyoci_sarif_rule_t rule = {.id = m->id, .short_desc = m->title, .full_desc = m->description,
                               .severity = m->severity, .tags = tags};
    pyoci_sarif_add_rule(s, &rule);
    pyoci_sarif_result_t res = {.rule_id = m->id,
                                .severity = m->severity,
                                .message = m->message,
                                .uri = r->dockerfile,
                                .start_line = m->line > 0 ? m->line : 1,
                                .snippet = m->code};
    if (pyoci_sarif_add_result(s, &res, err) < 0)
      return -1;
  }
  return 0;
}

char *pyoci_scan_report_sarif(const pyoci_scan_report_t *r)
{
  pyoci_sarif_t *s = pyoci_sarif_new("pyoci", PYOCI_SBOM_TOOL_VERSION, SCAN_INFO_URI);
  cleanup_error pyoci_error_t *err = NULL;
  /* Every result names a rule added just before it, so this cannot fail. */
  if (add_vulns(s, r, &err) < 0 || add_secrets(s, r, &err) < 0 || add_misconfs(s, r, &err) < 0)
    abort();
  char *text = pyoci_sarif_dump(s);
  pyoci_sarif_free(s);
  return text;
}
