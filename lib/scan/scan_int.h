/* Pieces of the scan module shared between its files, not part of its API. */
#ifndef PYOCI_SCAN_SCAN_INT_H
#define PYOCI_SCAN_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "scan.h"

/* merge.c: fold the rows of one package's records that name each other
 * (IDs or aliases meet) into one row each; ecosystem picks the version
 * order of the merged fixed versions.  Returns the rows left in v[0..). */
size_t pyoci_scan_merge_aliases(pyoci_scan_vuln_t *v, size_t n, const char *ecosystem);
/* Is a the better severity source than b (the documented order)? */
bool pyoci_scan_better_source(const pyoci_scan_vuln_t *a, const pyoci_scan_vuln_t *b);

/* Where the severity came from, as trivy's SeveritySource names it: "ghsa",
 * "debian", "alpine", "pysec", else "osv". */
const char *pyoci_scan_severity_source(const pyoci_scan_vuln_t *v);

/* The aliases as "A, B" ("" when none); caller frees. */
char *pyoci_scan_aliases_text(const pyoci_scan_vuln_t *v);

#endif
