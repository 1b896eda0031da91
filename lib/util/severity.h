/* Finding severities shared by the scanners (secrets, Dockerfile checks,
 * vulnerabilities): the four levels trivy and hadolint users know, ordered so
 * that a threshold is a plain comparison. */
#ifndef PYOCI_UTIL_SEVERITY_H
#define PYOCI_UTIL_SEVERITY_H

typedef enum {
  PYOCI_SEV_UNKNOWN = 0,
  PYOCI_SEV_LOW = 1,
  PYOCI_SEV_MEDIUM = 2,
  PYOCI_SEV_HIGH = 3,
  PYOCI_SEV_CRITICAL = 4,
} pyoci_severity_t;

/* "LOW", "MEDIUM", ...; "UNKNOWN" for anything else. */
const char *pyoci_severity_name(pyoci_severity_t s);
/* Case-insensitive; returns -1 for a name that is not a severity. */
int pyoci_severity_parse(const char *name);
/* A --severity list ("HIGH,CRITICAL") as a mask, bit (1u << sev) per
 * severity named.  Returns -1 on a name that is not a severity (*bad: a
 * copy of it, caller frees) or a list naming none (*bad: NULL). */
int pyoci_severity_parse_list(const char *list, unsigned *mask, char **bad);

#endif
