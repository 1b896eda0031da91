/* OSV records (https://ossf.github.io/osv-schema/) parsed into plain
 * structs, and the OSV range evaluation the matcher runs.
 *
 * osv.c turns one JSON record into a pyoci_osv_record_t, with size and count
 * limits, checking types field by field; an error names the source and the
 * JSON path ("parse 'PyPI/GHSA-x.json': affected[0].ranges[1].events[2]: ...").
 * range.c evaluates "is version v affected" over parsed ranges exactly as the
 * schema's Evaluation pseudocode does. */
#ifndef PYOCI_VULN_OSV_H
#define PYOCI_VULN_OSV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"
#include "vercmp.h"

#define PYOCI_OSV_MAX_RECORD (4u << 20) /* bytes of JSON per record */
#define PYOCI_OSV_MAX_AFFECTED 10000
#define PYOCI_OSV_MAX_RANGES 1000      /* per affected entry */
#define PYOCI_OSV_MAX_EVENTS 10000     /* per range */
#define PYOCI_OSV_MAX_VERSIONS 200000  /* per affected entry */
#define PYOCI_OSV_MAX_LIST 10000       /* aliases, severity entries */
#define PYOCI_OSV_MAX_ID 256           /* bytes in an id */

typedef enum { PYOCI_OSV_RANGE_SEMVER, PYOCI_OSV_RANGE_ECOSYSTEM, PYOCI_OSV_RANGE_GIT } pyoci_osv_range_type_t;
typedef enum {
  PYOCI_OSV_INTRODUCED,
  PYOCI_OSV_FIXED,
  PYOCI_OSV_LAST_AFFECTED,
  PYOCI_OSV_LIMIT,
} pyoci_osv_event_kind_t;

typedef struct {
  pyoci_osv_event_kind_t kind;
  char *version;
} pyoci_osv_event_t;

typedef struct {
  pyoci_osv_range_type_t type;
  char *repo; /* GIT ranges; NULL otherwise */
  size_t n_events;
  pyoci_osv_event_t *events;
} pyoci_osv_range_t;

typedef struct {
  char *type;  /* CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, ... */
  char *score; /* a vector, or a word for Ubuntu */
} pyoci_osv_severity_t;

typedef struct {
  char *ecosystem, *name, *purl; /* any may be NULL */
  size_t n_ranges;
  pyoci_osv_range_t *ranges;
  size_t n_versions;
  char **versions;
  size_t n_severity;
  pyoci_osv_severity_t *severity;
  /* A severity word from ecosystem_specific / database_specific ("severity",
   * or Debian's "urgency"), if any. */
  char *severity_label;
} pyoci_osv_affected_t;

typedef struct {
  char *id, *modified;                  /* required */
  char *published, *withdrawn, *summary, *details; /* NULL when absent */
  size_t n_aliases;
  char **aliases;
  size_t n_severity;
  pyoci_osv_severity_t *severity;
  char *severity_label; /* database_specific.severity */
  size_t n_affected;
  pyoci_osv_affected_t *affected;
} pyoci_osv_record_t;

/* Parse one record; `what` names the source in messages. */
pyoci_osv_record_t *pyoci_osv_parse(const char *buf, size_t len, const char *what, pyoci_error_t **err);
pyoci_osv_record_t *pyoci_osv_parse_json(const json_t *root, const char *what, pyoci_error_t **err);
void pyoci_osv_record_free(pyoci_osv_record_t *r);
#define cleanup_osv_record __attribute__((cleanup(pyoci_osv_record_freep)))
static inline void pyoci_osv_record_freep(pyoci_osv_record_t **r)
{
  pyoci_osv_record_free(*r);
}

/* Ranges as the DB stores them: a JSON array of {"type", "events"} (GIT
 * ranges dropped, since only a commit graph could evaluate them), and back. */
json_t *pyoci_osv_ranges_to_json(const pyoci_osv_affected_t *a);
int pyoci_osv_ranges_from_json(const json_t *arr, const char *what, pyoci_osv_range_t **out, size_t *n,
                               pyoci_error_t **err);
void pyoci_osv_ranges_free(pyoci_osv_range_t *ranges, size_t n);

/* Range evaluation (range.c). */
typedef struct {
  bool affected;
  /* Every "fixed" of the evaluable ranges above the version, ascending,
   * ", "-separated ("2.3.8, 3.0.1"): the versions to upgrade to on each
   * release line.  NULL when none is known or not affected.  Caller frees. */
  char *fixed;
  /* Ranges that could not be evaluated (bad version strings, unknown
   * ecosystem); a caller may warn, as these could hide a match. */
  size_t skipped_ranges;
} pyoci_osv_eval_t;

/* Is `version` of a package in `ecosystem` affected by these ranges and
 * versions?  SEMVER ranges use SemVer order, ECOSYSTEM ranges the
 * ecosystem's scheme, GIT ranges are ignored.  The versions list is matched
 * by version equality (1.0 == 1.0.0 for PyPI), or literally when a version
 * does not parse.  A version the scheme rejects cannot be placed in a range:
 * those ranges count as skipped. Fails only on allocation failure. */
int pyoci_osv_evaluate(const char *ecosystem, const pyoci_osv_range_t *ranges, size_t n_ranges,
                       char *const *versions, size_t n_versions, const char *version, pyoci_osv_eval_t *out,
                       pyoci_error_t **err);

/* Union of two ", "-separated version lists (either may be NULL), sorted
 * by scheme s (NULL: as text), versions equal under s kept once.  NULL when
 * both are empty; caller frees. */
char *pyoci_fixed_list_merge(const pyoci_verscheme_t *s, const char *a, const char *b);

/* Import-time check of an affected entry's range bounds under its scheme.
 * A PyPI bound that is a PEP 440 release plus a build label ("2.6.0-cu124",
 * "2.6.0-NA": '-' or '_' then letters/digits/dots, at least one letter) is
 * read as the release ("2.6.0") and rewritten in place, counted in
 * *n_lenient.  Returns -1 with *why (caller frees) naming the first bound
 * that still cannot be read; such ranges are skipped when matching. */
int pyoci_osv_check_bounds(const char *ecosystem, pyoci_osv_affected_t *a, size_t *n_lenient, char **why);

#endif
