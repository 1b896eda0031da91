/* Internal to lib/lint: what lint.c and lint_rules.c share. */
#ifndef PYOCI_LINT_LINT_INT_H
#define PYOCI_LINT_LINT_INT_H

#include "dfview.h"
#include "lint.h"

/* Append a finding of check `id` (which must exist) at line. */
void pyoci_lint_add(pyoci_lint_result_t *out, const char *id, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Run every check over the view. */
void pyoci_lint_run_checks(const lint_view_t *view, pyoci_lint_result_t *out);

#endif
