/* Opening the vulnerability DB, matching a package against it, and the
 * summary `pyoci db info` prints.  Writing lives in db_import.c. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "osv.h"
#include "vercmp.h"
#include "vulndb.h"

struct pyoci_vulndb {
  sqlite3 *db;
  char *path;
};

static int sql_fail(pyoci_error_t **err, sqlite3 *db, const char *path, const char *what)
{
  return pyoci_error_set(err, 0, "vulnerability database '%s': %s: %s", path, what,
                         db ? sqlite3_errmsg(db) : "out of memory");
}

pyoci_vulndb_t *pyoci_vulndb_open(const char *path, pyoci_error_t **err)
{
  struct stat st;
  if (stat(path, &st) < 0) {
    if (errno == ENOENT)
      pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0,
                           "vulnerability database '%s' does not exist; run 'pyoci db update' or 'pyoci db import'",
                           path);
    else
      pyoci_error_set(err, errno, "stat '%s'", path);
    return NULL;
  }
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    sql_fail(err, db, path, "open");
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_stmt *st_ver = NULL;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st_ver, NULL) == SQLITE_OK && sqlite3_step(st_ver) == SQLITE_ROW)
    version = sqlite3_column_int(st_ver, 0);
  sqlite3_finalize(st_ver);
  if (version != PYOCI_VULNDB_SCHEMA) {
    if (version < 0)
      sql_fail(err, db, path, "read schema version");
    else
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                           "vulnerability database '%s': schema version %d, expected %d; run 'pyoci db update'", path,
                           version, PYOCI_VULNDB_SCHEMA);
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, 5000);
  pyoci_vulndb_t *v = xcalloc(1, sizeof(*v));
  if (v == NULL || (v->path = xstrdup(path)) == NULL) {
    free(v);
    sqlite3_close(db);
    pyoci_error_set(err, ENOMEM, "open '%s'", path);
    return NULL;
  }
  v->db = db;
  return v;
}

void pyoci_vulndb_close(pyoci_vulndb_t *db)
{
  if (db == NULL)
    return;
  sqlite3_close(db->db);
  free(db->path);
  free(db);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
  return (const char *)sqlite3_column_text(st, i);
}

/* One vulnerability being assembled from its affected rows for this
 * package (a record may list the package more than once). */
struct pending {
  char *id;
  bool affected;
  char *fixed;
  const pyoci_verscheme_t *scheme;
  size_t skipped;
  pyoci_vuln_match_t m;
  /* strings m points into */
  char *summary, *aliases, *ecosystem, *package, *published, *modified, *severity, *vector;
};

static void pending_clear(struct pending *p)
{
  free(p->id);
  free(p->fixed);
  free(p->summary);
  free(p->aliases);
  free(p->ecosystem);
  free(p->package);
  free(p->published);
  free(p->modified);
  free(p->severity);
  free(p->vector);
  memset(p, 0, sizeof(*p));
}

static char *dup_or_null(const char *s)
{
  return s ? xstrdup(s) : NULL;
}

static int pending_flush(struct pending *p, pyoci_vuln_match_fn fn, void *data, int *count)
{
  int r = 0;
  if (p->id != NULL && p->affected) {
    p->m.id = p->id;
    p->m.summary = p->summary;
    p->m.aliases_json = p->aliases ? p->aliases : "[]";
    p->m.ecosystem = p->ecosystem;
    p->m.package = p->package;
    p->m.published = p->published;
    p->m.modified = p->modified;
    p->m.severity = p->severity ? p->severity : "UNKNOWN";
    p->m.cvss_vector = p->vector;
    p->m.fixed = p->fixed;
    p->m.skipped_ranges = p->skipped;
    (*count)++;
    r = fn(&p->m, data);
  }
  pending_clear(p);
  return r < 0 ? r : 0;
}

/* Evaluate one affected row into p. */
static int eval_row(pyoci_vulndb_t *db, sqlite3_stmt *st, const char *ecosystem, const char *version,
                    struct pending *p, pyoci_error_t **err)
{
  const char *id = col_text(st, 0);
  char what[512];
  snprintf(what, sizeof(what), "%s: %s", db->path, id);
  json_error_t je;
  cleanup_json json_t *ranges_j = json_loads(col_text(st, 1), 0, &je);
  cleanup_json json_t *versions_j = json_loads(col_text(st, 2), 0, &je);
  if (ranges_j == NULL || versions_j == NULL || !json_is_array(versions_j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "vulnerability database '%s': bad ranges of %s", db->path, id);
  pyoci_osv_range_t *ranges = NULL;
  size_t n_ranges = 0;
  if (pyoci_osv_ranges_from_json(ranges_j, what, &ranges, &n_ranges, err) < 0)
    return -1;
  size_t n_versions = json_array_size(versions_j);
  char **versions = xcalloc(n_versions ? n_versions : 1, sizeof(char *));
  for (size_t i = 0; i < n_versions; i++) {
    const char *s = json_string_value(json_array_get(versions_j, i));
    versions[i] = (char *)(s ? s : "");
  }
  pyoci_osv_eval_t ev;
  int r = pyoci_osv_evaluate(ecosystem, ranges, n_ranges, versions, n_versions, version, &ev, err);
  free(versions);
  pyoci_osv_ranges_free(ranges, n_ranges);
  if (r < 0)
    return -1;
  p->skipped += ev.skipped_ranges;
  if (!ev.affected) {
    free(ev.fixed);
    return 0;
  }
  bool first = !p->affected;
  p->affected = true;
  if (ev.fixed != NULL) {
    char *merged = pyoci_fixed_list_merge(p->scheme, p->fixed, ev.fixed);
    free(p->fixed);
    p->fixed = merged;
  }
  free(ev.fixed);
  if (first) {
    p->summary = dup_or_null(col_text(st, 3));
    p->aliases = dup_or_null(col_text(st, 4));
    p->published = dup_or_null(col_text(st, 5));
    p->modified = dup_or_null(col_text(st, 6));
    p->severity = dup_or_null(col_text(st, 7));
    p->vector = dup_or_null(col_text(st, 8));
    p->m.cvss_score = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1.0 : sqlite3_column_double(st, 9);
  }
  return 0;
}

int pyoci_vulndb_match(pyoci_vulndb_t *db, const char *ecosystem, const char *package, const char *version,
                       pyoci_vuln_match_fn fn, void *data, pyoci_error_t **err)
{
  const pyoci_verscheme_t *scheme = pyoci_verscheme_for(ecosystem);
  cleanup_free char *name = strcmp(ecosystem, "PyPI") == 0 ? pyoci_pep503_normalize(package) : xstrdup(package);
  if (scheme == NULL)
    pyoci_log(PYOCI_LOG_DEBUG, "no version scheme for ecosystem '%s': only exact versions are matched", ecosystem);
  else if (scheme->check(version, NULL) < 0)
    pyoci_log(PYOCI_LOG_WARN,
              "%s package '%s': version '%s' is not valid for its ecosystem; only versions listed exactly by "
              "advisories are matched",
              ecosystem, package, version);
  static const char sql[] =
      "SELECT a.vuln_id, a.ranges_json, a.versions_json, v.summary, v.aliases_json, v.published, v.modified, "
      "a.severity_label, a.cvss_vector, a.cvss_score FROM affected a JOIN vulns v ON v.id = a.vuln_id "
      "WHERE a.ecosystem = ?1 AND a.package = ?2 ORDER BY a.vuln_id";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_fail(err, db->db, db->path, "query");
  sqlite3_bind_text(st, 1, ecosystem, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  struct pending p = {0};
  int count = 0, rc, ret = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = col_text(st, 0);
    if (p.id == NULL || strcmp(p.id, id) != 0) {
      if ((ret = pending_flush(&p, fn, data, &count)) < 0)
        goto out;
      p.id = xstrdup(id);
      p.ecosystem = xstrdup(ecosystem);
      p.package = xstrdup(name);
      p.scheme = scheme;
    }
    if (eval_row(db, st, ecosystem, version, &p, err) < 0) {
      ret = -1;
      goto out;
    }
  }
  if (rc != SQLITE_DONE) {
    ret = sql_fail(err, db->db, db->path, "query");
    goto out;
  }
  ret = pending_flush(&p, fn, data, &count);
out:
  pending_clear(&p);
  sqlite3_finalize(st);
  return ret < 0 ? ret : count;
}

static char *meta(sqlite3 *db, const char *key)
{
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(db, "SELECT value FROM metadata WHERE key = ?1", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      v = dup_or_null(col_text(st, 0));
  }
  sqlite3_finalize(st);
  return v;
}

int pyoci_vulndb_info(pyoci_vulndb_t *db, pyoci_vulndb_info_t *info, pyoci_error_t **err)
{
  memset(info, 0, sizeof(*info));
  cleanup_free char *at = meta(db->db, "imported_at");
  cleanup_free char *vulns = meta(db->db, "vulns");
  cleanup_free char *wd = meta(db->db, "withdrawn_skipped");
  info->imported_at = at ? (time_t)strtoll(at, NULL, 10) : 0;
  info->vulns = vulns ? strtoull(vulns, NULL, 10) : 0;
  info->withdrawn_skipped = wd ? strtoull(wd, NULL, 10) : 0;
  info->source = meta(db->db, "source");
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db,
                         "SELECT ecosystem, COUNT(DISTINCT vuln_id), COUNT(DISTINCT package) FROM affected "
                         "GROUP BY ecosystem ORDER BY ecosystem",
                         -1, &st, NULL) != SQLITE_OK)
    return sql_fail(err, db->db, db->path, "count");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    pyoci_vulndb_eco_count_t *n = xrealloc(info->ecosystems, (info->n_ecosystems + 1) * sizeof(*n));
    info->ecosystems = n;
    n[info->n_ecosystems].ecosystem = xstrdup(col_text(st, 0));
    n[info->n_ecosystems].vulns = (uint64_t)sqlite3_column_int64(st, 1);
    n[info->n_ecosystems].packages = (uint64_t)sqlite3_column_int64(st, 2);
    info->n_ecosystems++;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return sql_fail(err, db->db, db->path, "count");
  /* an older DB has no such table: nothing unreadable was recorded */
  if (sqlite3_prepare_v2(db->db, "SELECT vuln_id || ': ' || reason FROM unreadable ORDER BY vuln_id", -1, &st,
                         NULL) != SQLITE_OK)
    return 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    info->unreadable = realloc(info->unreadable, (info->n_unreadable + 1) * sizeof(char *));
    if (info->unreadable == NULL || (info->unreadable[info->n_unreadable++] = strdup(col_text(st, 0))) == NULL)
      abort();
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sql_fail(err, db->db, db->path, "read unreadable records");
}

void pyoci_vulndb_info_release(pyoci_vulndb_info_t *info)
{
  for (size_t i = 0; i < info->n_unreadable; i++)
    free(info->unreadable[i]);
  free(info->unreadable);
  for (size_t i = 0; i < info->n_ecosystems; i++)
    free(info->ecosystems[i].ecosystem);
  free(info->ecosystems);
  free(info->source);
  memset(info, 0, sizeof(*info));
}
