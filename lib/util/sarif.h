/* SARIF 2.1.0 output (what GitHub code scanning and most CI dashboards
 * read), generic over the producer: `pyoci lint` and `pyoci scan` describe
 * their rules and results and get one document back.
 *
 *   s = pyoci_sarif_new("pyoci", version, uri);
 *   pyoci_sarif_add_rule(s, &rule) ...;      (once per rule id; repeats ignored)
 *   pyoci_sarif_add_result(s, &result) ...;  (rule_id must name an added rule)
 *   text = pyoci_sarif_dump(s);              (deterministic bytes)
 *
 * Severities map to SARIF levels (CRITICAL/HIGH -> error, MEDIUM -> warning,
 * LOW -> note) and to GitHub's "security-severity" score property. */
#ifndef PYOCI_UTIL_SARIF_H
#define PYOCI_UTIL_SARIF_H

#include "error.h"
#include "severity.h"

typedef struct {
  const char *id;          /* required */
  const char *name;        /* optional, PascalCase by convention */
  const char *short_desc;  /* required: one line */
  const char *full_desc;   /* optional */
  const char *help_uri;    /* optional */
  pyoci_severity_t severity;
  const char *const *tags; /* optional, NULL-terminated */
} pyoci_sarif_rule_t;

typedef struct {
  const char *rule_id;     /* required, an added rule */
  pyoci_severity_t severity; /* PYOCI_SEV_UNKNOWN: the rule's */
  const char *message;     /* required */
  const char *uri;         /* artifact path (relative), percent-encoded on output */
  int start_line, end_line; /* 0: no region (end_line 0 = start_line) */
  const char *snippet;     /* optional text of the region */
} pyoci_sarif_result_t;

typedef struct pyoci_sarif pyoci_sarif_t;

pyoci_sarif_t *pyoci_sarif_new(const char *tool_name, const char *tool_version, const char *info_uri);
void pyoci_sarif_add_rule(pyoci_sarif_t *s, const pyoci_sarif_rule_t *r);
/* Fails (err names the rule id) when rule_id was not added. */
int pyoci_sarif_add_result(pyoci_sarif_t *s, const pyoci_sarif_result_t *r, pyoci_error_t **err);
/* The document, indented, ending in a newline.  Caller frees. */
char *pyoci_sarif_dump(const pyoci_sarif_t *s);
void pyoci_sarif_free(pyoci_sarif_t *s);

/* SARIF level for a severity: "error", "warning", "note" or "none". */
const char *pyoci_sarif_level(pyoci_severity_t sev);

#endif
