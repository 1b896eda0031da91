/* The vulnerability database: OSV records imported into SQLite, and the
 * matcher the scanner calls.
 *
 *   db.c         open, schema, pyoci_vulndb_match(), pyoci_vulndb_info()
 *   db_import.c  import a directory of *.json, an OSV all.zip or one JSON
 *                file; built in "<db>.tmp.<pid>" and renamed over the DB,
 *                so a failed import leaves the old DB untouched
 *   db_update.c  download <mirror>/<ECOSYSTEM>/all.zip with libcurl, import
 *
 * Location: --db PATH, else $PYOCI_DB, else $XDG_CACHE_HOME/pyoci/vuln.db,
 * else ~/.cache/pyoci/vuln.db (the CLI picks it: cli/env.c; the library takes
 * a path).
 *
 * Tables (PRAGMA user_version = 1):
 *   vulns(id PRIMARY KEY, modified, published, summary, severity_label,
 *         cvss_vector, cvss_score, aliases_json)
 *   affected(vuln_id, ecosystem, package, purl, ranges_json, versions_json,
 *            severity_label, cvss_vector, cvss_score), INDEX (ecosystem, package)
 *   metadata(key PRIMARY KEY, value): schema_version, imported_at (Unix
 *            seconds), source, vulns, withdrawn_skipped
 *   unreadable(vuln_id PRIMARY KEY, reason): records with a range bound no
 *            version scheme reads (created on import; may be absent)
 * Ecosystems are spelled as OSV does ("PyPI", "Debian:12", "Alpine:v3.18");
 * PyPI package names are stored PEP 503-normalised. */
#ifndef PYOCI_VULN_VULNDB_H
#define PYOCI_VULN_VULNDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/util/error.h"

#define PYOCI_VULNDB_SCHEMA 1
#define PYOCI_OSV_DEFAULT_MIRROR "https://osv-vulnerabilities.storage.googleapis.com"

typedef struct pyoci_vulndb pyoci_vulndb_t;

/* Open for matching (read-only).  A missing DB is PYOCI_E_NOT_FOUND with a
 * hint to run `pyoci db update`. */
pyoci_vulndb_t *pyoci_vulndb_open(const char *path, pyoci_error_t **err);
void pyoci_vulndb_close(pyoci_vulndb_t *db);
static inline void pyoci_vulndb_closep(pyoci_vulndb_t **db)
{
  pyoci_vulndb_close(*db);
}
#define cleanup_vulndb __attribute__((cleanup(pyoci_vulndb_closep)))

typedef struct {
  const char *id;
  const char *summary;      /* may be NULL */
  const char *aliases_json; /* JSON array of strings */
  const char *ecosystem, *package;
  const char *published, *modified; /* published may be NULL */
  /* LOW, MEDIUM, HIGH, CRITICAL or UNKNOWN: from the CVSS v3 base score when
   * the record has a vector, else the database's own label. */
  const char *severity;
  const char *cvss_vector; /* NULL when none */
  double cvss_score;       /* -1 when none */
  /* Every fixed version above the installed one, ascending, ", "-separated
   * ("2.3.8, 3.0.1"); NULL when none is known. */
  const char *fixed;
  /* Ranges this entry could not evaluate (unreadable versions). */
  size_t skipped_ranges;
} pyoci_vuln_match_t;

/* Return <0 to stop (that value is returned by pyoci_vulndb_match). */
typedef int (*pyoci_vuln_match_fn)(const pyoci_vuln_match_t *m, void *data);

/* Call fn once per vulnerability affecting `package` at `version` in
 * `ecosystem` (OSV spelling), in id order.  Returns the number of matches
 * or <0.  A version the ecosystem's scheme rejects is only matched against
 * the records' explicit versions lists (a warning is logged). */
int pyoci_vulndb_match(pyoci_vulndb_t *db, const char *ecosystem, const char *package, const char *version,
                       pyoci_vuln_match_fn fn, void *data, pyoci_error_t **err);

typedef struct {
  char *ecosystem;
  uint64_t vulns; /* distinct vulnerabilities with an entry in the ecosystem */
  uint64_t packages;
} pyoci_vulndb_eco_count_t;

typedef struct {
  time_t imported_at;
  char *source;
  uint64_t vulns, withdrawn_skipped;
  /* records whose ranges hold a version no scheme reads: "ID: reason" */
  char **unreadable;
  size_t n_unreadable;
  size_t n_ecosystems;
  pyoci_vulndb_eco_count_t *ecosystems; /* sorted by name */
} pyoci_vulndb_info_t;

int pyoci_vulndb_info(pyoci_vulndb_t *db, pyoci_vulndb_info_t *info, pyoci_error_t **err);
void pyoci_vulndb_info_release(pyoci_vulndb_info_t *info);

/* Unreadable records named in import stats (all are in the DB's table). */
#define PYOCI_VULNDB_MAX_NAMED 1000

typedef struct {
  uint64_t records;   /* records read */
  uint64_t imported;  /* records stored (a newer copy of an id wins) */
  uint64_t withdrawn; /* withdrawn records skipped */
  uint64_t total;     /* vulns in the DB afterwards */
  /* records stored with a range bound no scheme reads (those ranges are
   * skipped when matching), and bounds read leniently ("2.6.0-cu124" as
   * 2.6.0; see pyoci_osv_check_bounds) */
  uint64_t unreadable, lenient;
  char **unreadable_ids; /* "ID: reason", the first PYOCI_VULNDB_MAX_NAMED */
  size_t n_unreadable_ids;
} pyoci_vulndb_import_stats_t;

void pyoci_vulndb_import_stats_release(pyoci_vulndb_import_stats_t *s);

/* Import each source (directory, .zip, or .json file) in one transaction.
 * names: how messages call each source (NULL: its path).  replace: start
 * from an empty DB instead of the current one.  `label` names the sources
 * in metadata (NULL: the paths).  Any bad record fails the whole import,
 * with the file (or zip member) named. */
int pyoci_vulndb_import(const char *db_path, const char *const *sources, const char *const *names, size_t n_sources,
                        bool replace, const char *label, pyoci_vulndb_import_stats_t *stats, pyoci_error_t **err);

/* Download <mirror>/<ecosystem>/all.zip for each ecosystem (mirror NULL or
 * empty: PYOCI_OSV_DEFAULT_MIRROR; the CLI passes $PYOCI_OSV_MIRROR) into the
 * DB's directory, each at most max_download bytes (0: the default cap),
 * then import them all with replace semantics. */
int pyoci_vulndb_update(const char *db_path, const char *const *ecosystems, size_t n_ecosystems,
                        const char *mirror, uint64_t max_download, pyoci_vulndb_import_stats_t *stats,
                        pyoci_error_t **err);

/* Download url to path (libcurl: TLS verified, timeouts, size cap). */
int pyoci_vulndb_download(const char *url, const char *path, uint64_t max_bytes, pyoci_error_t **err);

#endif
