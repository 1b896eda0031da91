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
  /* Prepared once, reset after each use: a scan asks once per package. */
  sqlite3_stmt *affected_st, *vuln_st;
  pyoci_strmap_t memo; /* "ecosystem\x1fpackage\x1fversion" -> match_list_t */
  size_t memo_matches;  /* matches held by memo */
};

#define VULNDB_MEMO_MAX 4096

static void match_list_free(void *ptr);

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
  /* A scan looks up every package of the image: with SQLite's default 2 MB
   * page cache it read the 26 MB bench DB ten times over (64k preads, 80% of
   * a warm scan).  The cache grows only as pages are read. */
  sqlite3_exec(db, "PRAGMA cache_size = -32768;", NULL, NULL, NULL);
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
  pyoci_strmap_clear(&db->memo, match_list_free);
  sqlite3_finalize(db->affected_st);
  sqlite3_finalize(db->vuln_st);
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

/* The matches of one (ecosystem, package, version) question.  Debian and
 * Alpine advisories name source packages, and the binaries built from one
 * source ask the same question: the answer is kept in db->memo and
 * replayed (a third of the queries of a Debian image). */
typedef struct {
  struct pending *v;
  size_t n, alloc;
} match_list_t;

static void match_list_free(void *ptr)
{
  match_list_t *l = ptr;
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n; i++)
    pending_clear(&l->v[i]);
  free(l->v);
  free(l);
}

/* Keep p in l when it affects the version; p is empty afterwards. */
static void pending_take(struct pending *p, match_list_t *l)
{
  if (p->id == NULL || !p->affected) {
    pending_clear(p);
    return;
  }
  ALLOC_GROW(l->v, l->n + 1, l->alloc);
  l->v[l->n++] = *p;
  memset(p, 0, sizeof(*p));
}

static int match_list_replay(match_list_t *l, pyoci_vuln_match_fn fn, void *data)
{
  for (size_t i = 0; i < l->n; i++) {
    struct pending *p = &l->v[i];
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
    int r = fn(&p->m, data);
    if (r < 0)
      return r; /* the callback's own code, as documented */
  }
  return (int)l->n;
}

static int prepare_once(pyoci_vulndb_t *db, sqlite3_stmt **st, const char *sql, pyoci_error_t **err)
{
  if (*st == NULL && sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
    return sql_fail(err, db->db, db->path, "query");
  return 0;
}

/* The record's own columns, read only for the rows that do affect the
 * package: most rows of a package are fixed below its version, and joining
 * vulns on every row was a third of a warm scan. */
static int vuln_details(pyoci_vulndb_t *db, const char *id, struct pending *p, pyoci_error_t **err)
{
  if (prepare_once(db, &db->vuln_st,
                   "SELECT summary, aliases_json, published, modified FROM vulns WHERE id = ?1", err) < 0)
    return -1;
  sqlite3_stmt *st = db->vuln_st;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    p->summary = dup_or_null(col_text(st, 0));
    p->aliases = dup_or_null(col_text(st, 1));
    p->published = dup_or_null(col_text(st, 2));
    p->modified = dup_or_null(col_text(st, 3));
  }
  sqlite3_reset(st);
  if (rc == SQLITE_ROW)
    return 0;
  if (rc == SQLITE_DONE)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "vulnerability database '%s': %s has no record", db->path,
                                id);
  return sql_fail(err, db->db, db->path, "query");
}

/* Evaluate one affected row into p. */
static int eval_row(pyoci_vulndb_t *db, sqlite3_stmt *st, const char *ecosystem, const char *version,
                    struct pending *p, pyoci_error_t **err)
{
  const char *id = col_text(st, 0);
  json_error_t je;
  cleanup_json json_t *ranges_j = json_loads(col_text(st, 1), 0, &je);
  /* Most records list no versions: skip parsing their "[]". */
  const char *versions_text = col_text(st, 2);
  cleanup_json json_t *versions_j =
      versions_text && strcmp(versions_text, "[]") == 0 ? json_array() : json_loads(versions_text, 0, &je);
  if (ranges_j == NULL || versions_j == NULL || !json_is_array(versions_j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "vulnerability database '%s': bad ranges of %s", db->path, id);
  pyoci_osv_range_t *ranges = NULL;
  size_t n_ranges = 0;
  /* The record ID names the problem; the DB's path is added only on error
   * (formatting it for every row was a tenth of a warm scan). */
  if (pyoci_osv_ranges_from_json(ranges_j, id, &ranges, &n_ranges, err) < 0)
    return pyoci_error_prefix(err, "%s", db->path);
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
    p->severity = dup_or_null(col_text(st, 3));
    p->vector = dup_or_null(col_text(st, 4));
    p->m.cvss_score = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1.0 : sqlite3_column_double(st, 5);
    return vuln_details(db, id, p, err);
  }
  return 0;
}

/* Run the affected-rows query for name into l. */
static int query_matches(pyoci_vulndb_t *db, const char *ecosystem, const char *name, const char *version,
                         match_list_t *l, pyoci_error_t **err)
{
  static const char sql[] = "SELECT vuln_id, ranges_json, versions_json, severity_label, cvss_vector, cvss_score "
                            "FROM affected WHERE ecosystem = ?1 AND package = ?2 ORDER BY vuln_id";
  if (prepare_once(db, &db->affected_st, sql, err) < 0)
    return -1;
  sqlite3_stmt *st = db->affected_st;
  sqlite3_bind_text(st, 1, ecosystem, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  const pyoci_verscheme_t *scheme = pyoci_verscheme_for(ecosystem);
  struct pending p = {0};
  int rc, ret = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = col_text(st, 0);
    if (p.id == NULL || strcmp(p.id, id) != 0) {
      pending_take(&p, l);
      p.id = xstrdup(id);
      p.ecosystem = xstrdup(ecosystem);
      p.package = xstrdup(name);
      p.scheme = scheme;
    }
    if (eval_row(db, st, ecosystem, version, &p, err) < 0) {
      ret = -1;
      break;
    }
  }
  if (ret == 0 && rc != SQLITE_DONE)
    ret = sql_fail(err, db->db, db->path, "query");
  if (ret == 0)
    pending_take(&p, l);
  pending_clear(&p);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ret;
}

int pyoci_vulndb_match(pyoci_vulndb_t *db, const char *ecosystem, const char *package, const char *version,
                       pyoci_vuln_match_fn fn, void *data, pyoci_error_t **err)
{
  cleanup_free char *name = strcmp(ecosystem, "PyPI") == 0 ? pyoci_pep503_normalize(package) : xstrdup(package);
  cleanup_free char *key = xasprintf("%s\x1f%s\x1f%s", ecosystem, name, version);
  pyoci_strmap_slot_t *slot = pyoci_strmap_find(&db->memo, key);
  if (slot != NULL)
    return match_list_replay(slot->val.ptr, fn, data);
  const pyoci_verscheme_t *scheme = pyoci_verscheme_for(ecosystem);
  if (scheme == NULL)
    pyoci_log(PYOCI_LOG_DEBUG, "no version scheme for ecosystem '%s': only exact versions are matched", ecosystem);
  else if (scheme->check(version, NULL) < 0)
    pyoci_log(PYOCI_LOG_WARN,
              "%s package '%s': version '%s' is not valid for its ecosystem; only versions listed exactly by "
              "advisories are matched",
              ecosystem, package, version);
  match_list_t *l = xcalloc(1, sizeof(*l));
  if (query_matches(db, ecosystem, name, version, l, err) < 0) {
    match_list_free(l);
    return -1;
  }
  int r = match_list_replay(l, fn, data);
  /* Bounded: a DB in which everything affects the image (90k findings)
   * would otherwise keep every finding twice. */
  if (db->memo_matches + l->n > VULNDB_MEMO_MAX) {
    match_list_free(l);
    return r;
  }
  db->memo_matches += l->n;
  bool added;
  pyoci_strmap_insert(&db->memo, key, &added)->val.ptr = l;
  return r;
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
    info->unreadable = xrealloc(info->unreadable, (info->n_unreadable + 1) * sizeof(char *));
    info->unreadable[info->n_unreadable++] = xstrdup(col_text(st, 0));
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
