/* Version comparison for the package ecosystems the scanner matches:
 *
 *   deb     dpkg's ordering and validity rules (Debian, Ubuntu)
 *   apk     apk-tools' ordering and validity rules (Alpine, Wolfi)
 *   pep440  PEP 440 as implemented by pypa/packaging's Version (PyPI)
 *   semver  SemVer 2.0 precedence (OSV "SEMVER" ranges)
 *
 * Each scheme is a small vtable (name, check, compare).  pyoci_vercmp() picks
 * the scheme from a scheme name ("deb", "apk", "pypi", "semver") or an OSV
 * ecosystem name ("Debian:12", "Alpine:v3.18", "PyPI"), validates both
 * versions and compares them.  The per-scheme *_cmp functions are total
 * orders defined on any string (invalid input included, so fuzzers can check
 * antisymmetry), but their answer is only meaningful for valid versions.
 * Every comparison returns <0, 0 or >0. */
#ifndef PYOCI_VULN_VERCMP_H
#define PYOCI_VULN_VERCMP_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"

/* Versions longer than this are rejected by every scheme (no real version
 * comes near it; it bounds the work a hostile record can cause). */
#define PYOCI_VERSION_MAX 1024

typedef struct pyoci_verscheme {
  const char *name; /* "deb", "apk", "pep440", "semver" */
  /* 0 when v is valid; else -1 and *err says why, naming v. */
  int (*check)(const char *v, pyoci_error_t **err);
  int (*compare)(const char *a, const char *b);
} pyoci_verscheme_t;

extern const pyoci_verscheme_t pyoci_scheme_deb, pyoci_scheme_apk, pyoci_scheme_pep440, pyoci_scheme_semver;

/* Scheme for a scheme name or an OSV ecosystem ("Debian", "Debian:12",
 * "Ubuntu:22.04:LTS", "Alpine:v3.18", "Wolfi", "PyPI", "pypi", "deb", ...);
 * NULL when unknown. */
const pyoci_verscheme_t *pyoci_verscheme_for(const char *ecosystem);

/* Compare a and b under the scheme of `ecosystem`: *result is -1, 0 or 1.
 * Unknown ecosystem or an invalid version is an error (PYOCI_E_INVALID). */
int pyoci_vercmp(const char *ecosystem, const char *a, const char *b, int *result, pyoci_error_t **err);

/* Debian (lib/dpkg/version.c semantics). */
int pyoci_deb_version_check(const char *v, pyoci_error_t **err);
int pyoci_deb_version_cmp(const char *a, const char *b);

/* Alpine (apk-tools src/version.c semantics, including ~hash). */
int pyoci_apk_version_check(const char *v, pyoci_error_t **err);
int pyoci_apk_version_cmp(const char *a, const char *b);

/* PEP 440. */
int pyoci_pep440_check(const char *v, pyoci_error_t **err);
int pyoci_pep440_cmp(const char *a, const char *b);
/* The normalised form, as str(packaging.version.Version(v)); caller frees. */
char *pyoci_pep440_normalize(const char *v, pyoci_error_t **err);
/* PEP 503 project-name normalisation: lowercase, runs of -_. become '-'. */
char *pyoci_pep503_normalize(const char *name);

/* SemVer 2.0 (leading 'v' and missing minor/patch tolerated). */
int pyoci_semver_check(const char *v, pyoci_error_t **err);
int pyoci_semver_cmp(const char *a, const char *b);

/* Numeric strings of any length: compare digit runs as numbers (leading
 * zeros ignored).  Shared by the schemes. */
int pyoci_numstr_cmp(const char *a, size_t alen, const char *b, size_t blen);

#endif
