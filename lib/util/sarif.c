/* SARIF 2.1.0 document builder (see sarif.h), on jansson. */
#include "sarif.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "strbuf.h"
#include "utf8.h"

struct pyoci_sarif {
  json_t *doc;
  json_t *rules;   /* run.tool.driver.rules */
  json_t *results; /* run.results */
};

const char *pyoci_sarif_level(pyoci_severity_t sev)
{
  switch (sev) {
  case PYOCI_SEV_CRITICAL:
  case PYOCI_SEV_HIGH:
    return "error";
  case PYOCI_SEV_MEDIUM:
    return "warning";
  case PYOCI_SEV_LOW:
    return "note";
  default:
    return "none";
  }
}

/* GitHub code scanning ranks security results by this CVSS-like score. */
static const char *security_severity(pyoci_severity_t sev)
{
  switch (sev) {
  case PYOCI_SEV_CRITICAL:
    return "9.5";
  case PYOCI_SEV_HIGH:
    return "8.0";
  case PYOCI_SEV_MEDIUM:
    return "5.5";
  case PYOCI_SEV_LOW:
    return "2.0";
  default:
    return "0.0";
  }
}

/* Strings below come from scanned files and Dockerfiles: they go through
 * pyoci_json_string_lossy (json_pack's "s" fails on invalid UTF-8). */
#define S(x) pyoci_json_string_lossy(x)

static json_t *text_obj(const char *text)
{
  return json_pack("{s:o}", "text", S(text));
}

pyoci_sarif_t *pyoci_sarif_new(const char *tool_name, const char *tool_version, const char *info_uri)
{
  pyoci_sarif_t *s = xcalloc(1, sizeof(*s));
  s->rules = json_array();
  s->results = json_array();
  json_t *driver = json_pack("{s:o, s:o}", "name", S(tool_name), "rules", s->rules);
  if (tool_version)
    json_object_set_new(driver, "version", S(tool_version));
  if (info_uri)
    json_object_set_new(driver, "informationUri", S(info_uri));
  json_t *run = json_pack("{s:{s:o}, s:o, s:s}", "tool", "driver", driver, "results", s->results,
                          "columnKind", "utf16CodeUnits");
  s->doc = pyoci_xcheck(json_pack("{s:s, s:s, s:[o]}", "version", "2.1.0", "$schema", "https://json.schemastore.org/sarif-2.1.0.json",
                     "runs", run));
  return s;
}

static long rule_index(const pyoci_sarif_t *s, const char *id)
{
  for (size_t i = 0; i < json_array_size(s->rules); i++)
    if (strcmp(pyoci_json_str(json_array_get(s->rules, i), "id"), id) == 0)
      return (long)i;
  return -1;
}

void pyoci_sarif_add_rule(pyoci_sarif_t *s, const pyoci_sarif_rule_t *r)
{
  if (rule_index(s, r->id) >= 0)
    return;
  json_t *rule = json_pack("{s:o, s:o, s:{s:s}}", "id", S(r->id), "shortDescription", text_obj(r->short_desc),
                           "defaultConfiguration", "level", pyoci_sarif_level(r->severity));
  if (r->name)
    json_object_set_new(rule, "name", S(r->name));
  if (r->full_desc) {
    json_object_set_new(rule, "fullDescription", text_obj(r->full_desc));
    json_object_set_new(rule, "help", text_obj(r->full_desc));
  }
  if (r->help_uri)
    json_object_set_new(rule, "helpUri", S(r->help_uri));
  json_t *tags = json_array();
  for (const char *const *t = r->tags; t && *t; t++)
    json_array_append_new(tags, S(*t));
  json_object_set_new(rule, "properties",
                      json_pack("{s:o, s:s, s:s}", "tags", tags, "security-severity", security_severity(r->severity),
                                "precision", "very-high"));
  json_array_append_new(s->rules, rule);
}

/* RFC 3986 path characters stay; everything else is percent-encoded so the
 * uri is a valid uri-reference whatever the file is called. */
static char *uri_encode(const char *path)
{
  strbuf_t sb = STRBUF_INIT;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~/!$&'()*+,;=:@", *p))
      strbuf_addch(&sb, (char)*p);
    else
      strbuf_addf(&sb, "%%%02X", *p);
  }
  return strbuf_detach(&sb);
}

int pyoci_sarif_add_result(pyoci_sarif_t *s, const pyoci_sarif_result_t *r, pyoci_error_t **err)
{
  long idx = rule_index(s, r->rule_id);
  if (idx < 0)
    return pyoci_error_set(err, 0, "SARIF result for rule '%s', which was not described", r->rule_id);
  pyoci_severity_t sev = r->severity;
  const char *level = sev == PYOCI_SEV_UNKNOWN
                          ? pyoci_json_str(json_object_get(json_array_get(s->rules, (size_t)idx), "defaultConfiguration"),
                                           "level")
                          : pyoci_sarif_level(sev);
  json_t *res = json_pack("{s:o, s:I, s:s, s:o}", "ruleId", S(r->rule_id), "ruleIndex", (json_int_t)idx, "level", level,
                          "message", text_obj(r->message));
  if (r->uri) {
    char *uri = uri_encode(r->uri);
    json_t *phys = json_pack("{s:{s:o}}", "artifactLocation", "uri", S(uri));
    free(uri);
    if (r->start_line > 0) {
      int end = r->end_line >= r->start_line ? r->end_line : r->start_line;
      json_t *region = json_pack("{s:i, s:i}", "startLine", r->start_line, "endLine", end);
      if (r->snippet)
        json_object_set_new(region, "snippet", text_obj(r->snippet));
      json_object_set_new(phys, "region", region);
    }
    json_object_set_new(res, "locations", json_pack("[{s:o}]", "physicalLocation", phys));
  }
  json_array_append_new(s->results, res);
  return 0;
}

char *pyoci_sarif_dump(const pyoci_sarif_t *s)
{
  char *text = pyoci_xcheck(json_dumps(s->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER));
  size_t n = strlen(text);
  char *out = xrealloc(text, n + 2);
  out[n] = '\n';
  out[n + 1] = '\0';
  return out;
}

void pyoci_sarif_free(pyoci_sarif_t *s)
{
  if (s == NULL)
    return;
  json_decref(s->doc);
  free(s);
}
