/* Severity: the CVSS v3 base score or CVSS v4.0 score computed from a vector, the qualitative
 * rating for a score, and the labels databases use instead of a vector
 * (GHSA "MODERATE", Debian urgency "unimportant", Ubuntu "negligible")
 * mapped onto the scanner's scale LOW / MEDIUM / HIGH / CRITICAL / UNKNOWN. */
#ifndef PYOCI_VULN_CVSS_H
#define PYOCI_VULN_CVSS_H

#include "lib/util/error.h"

/* Base score of a CVSS v3.0/v3.1 vector ("CVSS:3.1/AV:N/AC:L/..."; the
 * prefix may be omitted).  Temporal and environmental metrics are accepted
 * and ignored; an unknown, repeated or missing base metric is an error. */
int pyoci_cvss3_base_score(const char *vector, double *score, pyoci_error_t **err);

/* CVSS v4.0 score of a vector ("CVSS:4.0/AV:N/..."; base metrics required,
 * threat, environmental and supplemental ones allowed) by FIRST's
 * macro-vector method (cvss4.c).  An unknown, repeated or missing base
 * metric, or a bad value, is an error. */
int pyoci_cvss4_score(const char *vector, double *score, pyoci_error_t **err);

/* 9.0-10 CRITICAL, 7.0-8.9 HIGH, 4.0-6.9 MEDIUM, otherwise LOW (0.0, CVSS
 * "None", is shown as LOW rather than hidden: the record still lists it). */
const char *pyoci_severity_from_score(double score);

/* Map a database's severity word onto the scale (case-insensitive); NULL
 * when the word means nothing ("not yet assigned", "unknown", ...). */
const char *pyoci_severity_from_label(const char *label);

#endif
