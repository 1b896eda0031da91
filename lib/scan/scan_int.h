/* Pieces of the scan module shared between its files, not part of its API. */
#ifndef PYOCI_SCAN_SCAN_INT_H
#define PYOCI_SCAN_SCAN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/secret/scan.h"
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

/* config.c: text with every secret the rules find masked ("AKIA****");
 * caller frees.  Used on all text the report quotes. */
char *pyoci_scan_mask_text(const char *text);
/* Secrets in an image config's Env, Labels and history created_by,
 * reported with these paths and the entry's index + 1 as the line. */
#define PYOCI_SCAN_CONFIG_ENV "image config: Env"
#define PYOCI_SCAN_CONFIG_LABELS "image config: Labels"
#define PYOCI_SCAN_CONFIG_HISTORY "image config: history"
int pyoci_scan_config_secrets(const json_t *config, pyoci_secret_cb cb, void *ctx, pyoci_error_t **err);

#endif
