/* The reports `pyoci lint` writes, as bytes: a table for terminals, JSON,
 * and SARIF through the one SARIF writer (lib/util/sarif.h) that scan's
 * report uses too.  The CLI picks one and where it goes. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/sarif.h"
#include "lib/util/utf8.h"
#include "lib/util/version.h"
#include "lint.h"

#define LINT_INFO_URI "https://github.com/pyoci/pyoci/blob/main/docs/pyoci-lint.md"

/* Terminal output: control characters from the Dockerfile become '?'. */
static void add_clean(strbuf_t *out, const char *s)
{
  for (; *s; s++)
    strbuf_addch(out, ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s);
}

static void add_summary(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n)
{
  size_t count[PYOCI_SEV_CRITICAL + 1] = {0};
  for (size_t i = 0; i < n; i++)
    count[v[i]->check->severity]++;
  add_clean(out, file);
  strbuf_addf(out, ": %zu finding%s (", n, n == 1 ? "" : "s");
  const char *sep = "";
  for (int s = PYOCI_SEV_CRITICAL; s >= PYOCI_SEV_LOW; s--)
    if (count[s]) {
      strbuf_addf(out, "%s%s: %zu", sep, pyoci_severity_name(s), count[s]);
      sep = ", ";
    }
  strbuf_addstr(out, ")\n\n");
}

void pyoci_lint_report_table(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n, bool summary)
{
  if (n == 0) {
    if (summary) {
      add_clean(out, file);
      strbuf_addstr(out, ": no findings\n");
    }
    return;
  }
  if (summary)
    add_summary(out, file, v, n);
  strbuf_addf(out, "%-5s %-7s %-9s %s\n", "LINE", "CHECK", "SEVERITY", "MESSAGE");
  for (size_t i = 0; i < n; i++) {
    strbuf_addf(out, "%-5d %-7s %-9s ", v[i]->line, v[i]->check->id, pyoci_severity_name(v[i]->check->severity));
    add_clean(out, v[i]->message);
    strbuf_addch(out, '\n');
  }
}

void pyoci_lint_report_json(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n)
{
  cleanup_json json_t *doc = json_object();
  json_object_set_new(doc, "file", pyoci_json_string_lossy(file));
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    const pyoci_lint_check_t *c = v[i]->check;
    json_t *f = json_object();
    json_object_set_new(f, "id", json_string(c->id));
    json_object_set_new(f, "severity", json_string(pyoci_severity_name(c->severity)));
    json_object_set_new(f, "line", json_integer(v[i]->line));
    json_object_set_new(f, "title", json_string(c->title));
    json_object_set_new(f, "message", pyoci_json_string_lossy(v[i]->message));
    json_object_set_new(f, "hadolint", c->hadolint ? json_string(c->hadolint) : json_null());
    json_object_set_new(f, "trivy", c->trivy ? json_string(c->trivy) : json_null());
    json_array_append_new(arr, f);
  }
  json_object_set_new(doc, "findings", arr);
  char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  strbuf_addf(out, "%s\n", text ? text : "{}");
  free(text);
}

int pyoci_lint_report_sarif(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n,
                            pyoci_error_t **err)
{
  pyoci_sarif_t *s = pyoci_sarif_new("pyoci", PYOCI_VERSION, LINT_INFO_URI);
  size_t nc;
  const pyoci_lint_check_t *checks = pyoci_lint_checks(&nc);
  static const char *const tags[] = {"dockerfile", "misconfiguration", "security", NULL};
  for (size_t i = 0; i < nc; i++) {
    pyoci_sarif_rule_t r = {.id = checks[i].id,
                            .short_desc = checks[i].title,
                            .full_desc = checks[i].description,
                            .help_uri = LINT_INFO_URI,
                            .severity = checks[i].severity,
                            .tags = tags};
    pyoci_sarif_add_rule(s, &r);
  }
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++) {
    pyoci_sarif_result_t r = {.rule_id = v[i]->check->id,
                              .message = v[i]->message,
                              .uri = strcmp(file, "-") == 0 ? "Dockerfile" : file,
                              .start_line = v[i]->line};
    ret = pyoci_sarif_add_result(s, &r, err);
  }
  if (ret == 0) {
    char *text = pyoci_sarif_dump(s);
    strbuf_addstr(out, text);
    free(text);
  }
  pyoci_sarif_free(s);
  return ret;
}
