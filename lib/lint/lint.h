/* Dockerfile checks (`pyoci lint`, and the misconfiguration part of
 * `pyoci scan`): a fixed set of checks, each with a stable ID (PYO001...),
 * a severity and a title, run over a Dockerfile's instructions.
 *
 *   lint.c        entry points, results, the checks table
 *   lint_rules.c  the checks themselves
 *   lint_shell.c  splitting RUN's shell text into simple commands
 *   dfview.c      the instruction view the checks read (stopgap, see dfview.h)
 *   report.c      the reports as bytes: table, JSON, SARIF
 *
 * docs/pyoci-lint.md lists the checks with their hadolint and trivy IDs. */
#ifndef PYOCI_LINT_LINT_H
#define PYOCI_LINT_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "lib/util/severity.h"
#include "lib/util/strbuf.h"

typedef struct {
  const char *id;          /* "PYO001" */
  pyoci_severity_t severity;
  const char *title;       /* one line, what is wrong */
  const char *description; /* why it matters and how to fix it */
  const char *hadolint;    /* equivalent hadolint rule, or NULL */
  const char *trivy;       /* equivalent trivy (AVD-DS) check, or NULL */
} pyoci_lint_check_t;

typedef struct {
  const pyoci_lint_check_t *check;
  int line;      /* 1-based line of the instruction concerned */
  char *message; /* specific to this finding (names the image, port, ...) */
} pyoci_lint_finding_t;

typedef struct {
  pyoci_lint_finding_t *v;
  size_t n, cap;
} pyoci_lint_result_t;

#define PYOCI_LINT_RESULT_INIT {NULL, 0, 0}

/* All checks, in ID order. */
const pyoci_lint_check_t *pyoci_lint_checks(size_t *count);
/* The check with this ID (case-insensitive), or NULL. */
const pyoci_lint_check_t *pyoci_lint_check_find(const char *id);

/* Run every check on a Dockerfile's text; name is used in error messages.
 * Findings are appended to out, sorted by line then ID.  Fails (naming the
 * file) only on input that is not a Dockerfile at all: too big, binary. */
int pyoci_lint_text(const char *name, const char *text, size_t len, pyoci_lint_result_t *out,
                    pyoci_error_t **err);
/* Same, reading the file (at most 4 MiB). */
int pyoci_lint_file(const char *path, pyoci_lint_result_t *out, pyoci_error_t **err);

void pyoci_lint_result_release(pyoci_lint_result_t *r);

/* `pyoci lint`'s reports of the findings v[0..n) of file ("-": stdin),
 * appended to out.  The table has a summary line unless summary is false
 * (--quiet); terminal control characters in it become '?'. */
void pyoci_lint_report_table(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n, bool summary);
void pyoci_lint_report_json(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n);
/* SARIF 2.1.0 with every check as a rule. */
int pyoci_lint_report_sarif(strbuf_t *out, const char *file, const pyoci_lint_finding_t **v, size_t n,
                            pyoci_error_t **err);
#define cleanup_lint_result __attribute__((cleanup(pyoci_lint_result_release)))

#endif
