/* Importing OSV records into the vulnerability DB.
 *
 * The new DB is built beside the old one ("<db>.tmp.<pid>"), starting as a
 * copy of it (or empty with `replace`), filled in one transaction, fsynced
 * and renamed over the old file: readers see either the old DB or the new
 * one, and a bad record leaves the old DB exactly as it was. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/inflate_limit.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "cvss.h"
#include "osv.h"
#include "vercmp.h"
#include "vulndb.h"

#define MAX_FILES 4000000u   /* records per import */
#define MAX_DEPTH 32         /* directory nesting */
#define MAX_TOTAL (16ull << 30) /* uncompressed bytes per archive */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS metadata(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS vulns(id TEXT PRIMARY KEY, modified TEXT NOT NULL, published TEXT, summary TEXT,"
    " severity_label TEXT NOT NULL, cvss_vector TEXT, cvss_score REAL, aliases_json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS affected(vuln_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL,"
    " purl TEXT, ranges_json TEXT NOT NULL, versions_json TEXT NOT NULL, severity_label TEXT NOT NULL,"
    " cvss_vector TEXT, cvss_score REAL);"
    "CREATE INDEX IF NOT EXISTS affected_pkg ON affected(ecosystem, package);"
    "CREATE INDEX IF NOT EXISTS affected_vuln ON affected(vuln_id);"
    /* records with a range bound no scheme reads (added without a schema
     * bump: older DBs simply have none) */
    "CREATE TABLE IF NOT EXISTS unreadable(vuln_id TEXT PRIMARY KEY, reason TEXT NOT NULL);"
    "PRAGMA user_version = 1;";

enum { ST_GET_MODIFIED, ST_DEL_AFFECTED, ST_DEL_UNREADABLE, ST_DEL_VULN, ST_INS_VULN, ST_INS_AFFECTED,
       ST_INS_UNREADABLE, N_ST };
static const char *const stmt_sql[N_ST] = {
    "SELECT modified FROM vulns WHERE id = ?1",
    "DELETE FROM affected WHERE vuln_id = ?1",
    "DELETE FROM unreadable WHERE vuln_id = ?1",
    "DELETE FROM vulns WHERE id = ?1",
    "INSERT INTO vulns(id, modified, published, summary, severity_label, cvss_vector, cvss_score, aliases_json)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO affected(vuln_id, ecosystem, package, purl, ranges_json, versions_json, severity_label,"
    " cvss_vector, cvss_score) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT OR REPLACE INTO unreadable(vuln_id, reason) VALUES (?1, ?2)",
};

struct importer {
  sqlite3 *db;
  const char *path; /* the temporary DB, for messages */
  sqlite3_stmt *st[N_ST];
  pyoci_vulndb_import_stats_t *stats;
};

static int sql_fail(struct importer *im, pyoci_error_t **err, const char *what)
{
  return pyoci_error_set(err, 0, "vulnerability database '%s': %s: %s", im->path, what, sqlite3_errmsg(im->db));
}

static int exec(struct importer *im, const char *sql, pyoci_error_t **err)
{
  char *msg = NULL;
  if (sqlite3_exec(im->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    pyoci_error_set(err, 0, "vulnerability database '%s': %s", im->path, msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

/* Severity of a list of OSV severity entries: the CVSS v3 vector's score,
 * else the CVSS v4.0 vector's, else an Ubuntu-style word. */
struct severity {
  const char *label; /* LOW..CRITICAL, NULL when unknown */
  const char *vector;
  double score;
};

static void severity_from_entries(const pyoci_osv_severity_t *s, size_t n, struct severity *out)
{
  for (size_t i = 0; i < n && out->vector == NULL; i++) {
    double score;
    if (strcmp(s[i].type, "CVSS_V3") == 0 && pyoci_cvss3_base_score(s[i].score, &score, NULL) == 0) {
      out->vector = s[i].score;
      out->score = score;
      out->label = pyoci_severity_from_score(score);
    }
  }
  /* only a v4.0 vector: FIRST's macro-vector score (a v3 one wins, being
   * what most databases and trivy show) */
  for (size_t i = 0; i < n && out->vector == NULL; i++) {
    double score;
    if (strcmp(s[i].type, "CVSS_V4") == 0 && pyoci_cvss4_score(s[i].score, &score, NULL) == 0) {
      out->vector = s[i].score;
      out->score = score;
      out->label = score > 0 ? pyoci_severity_from_score(score) : NULL;
    }
  }
  for (size_t i = 0; i < n && out->label == NULL; i++)
    if (strcmp(s[i].type, "Ubuntu") == 0)
      out->label = pyoci_severity_from_label(s[i].score);
}

/* Affected-level information first, then the record's. */
static void effective_severity(const pyoci_osv_record_t *r, const pyoci_osv_affected_t *a, struct severity *out)
{
  memset(out, 0, sizeof(*out));
  out->score = -1;
  if (a != NULL)
    severity_from_entries(a->severity, a->n_severity, out);
  if (out->vector == NULL) {
    struct severity top = {NULL, NULL, -1};
    severity_from_entries(r->severity, r->n_severity, &top);
    if (top.vector != NULL)
      *out = top;
    else if (out->label == NULL)
      out->label = top.label;
  }
  if (out->label == NULL && a != NULL)
    out->label = pyoci_severity_from_label(a->severity_label);
  if (out->label == NULL)
    out->label = pyoci_severity_from_label(r->severity_label);
  if (out->label == NULL)
    out->label = "UNKNOWN";
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s == NULL)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static void bind_severity(sqlite3_stmt *st, int i, const struct severity *s)
{
  sqlite3_bind_text(st, i, s->label, -1, SQLITE_STATIC);
  bind_text(st, i + 1, s->vector);
  if (s->score >= 0)
    sqlite3_bind_double(st, i + 2, s->score);
  else
    sqlite3_bind_null(st, i + 2);
}

static int step_done(struct importer *im, sqlite3_stmt *st, pyoci_error_t **err)
{
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return sql_fail(im, err, "write");
  return 0;
}

/* A short summary: the record's, else the first line of its details. */
static char *summary_of(const pyoci_osv_record_t *r)
{
  const char *s = r->summary && r->summary[0] ? r->summary : r->details;
  if (s == NULL)
    return NULL;
  size_t n = strcspn(s, "\n");
  if (n > 300)
    n = 300;
  return xstrndup(s, n);
}

static char *strings_json(char *const *v, size_t n)
{
  cleanup_json json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_string(v[i]));
  return pyoci_json_dump_canonical(arr);
}

/* A record with a bound no scheme reads: its ranges are skipped when
 * matching, so say so (db import names it, db info lists it). */
static int note_unreadable(struct importer *im, const char *id, const char *why, pyoci_error_t **err)
{
  sqlite3_stmt *st = im->st[ST_INS_UNREADABLE];
  bind_text(st, 1, id);
  bind_text(st, 2, why);
  if (step_done(im, st, err) < 0)
    return -1;
  pyoci_vulndb_import_stats_t *s = im->stats;
  s->unreadable++;
  if (s->n_unreadable_ids < PYOCI_VULNDB_MAX_NAMED) {
    char *line = NULL;
    line = xasprintf("%s: %s", id, why);
    s->unreadable_ids = xrealloc(s->unreadable_ids, (s->n_unreadable_ids + 1) * sizeof(char *));
    s->unreadable_ids[s->n_unreadable_ids++] = line;
  }
  return 0;
}

static int store_record(struct importer *im, const pyoci_osv_record_t *r, pyoci_error_t **err)
{
  sqlite3_stmt *st = im->st[ST_GET_MODIFIED];
  sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  bool newer_exists = rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), r->modified) > 0;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(im, err, "read");
  if (newer_exists)
    return 0; /* an older copy of a record we already have */

  for (int k = ST_DEL_AFFECTED; k <= ST_DEL_VULN; k++) { /* affected, unreadable, vulns */
    sqlite3_bind_text(im->st[k], 1, r->id, -1, SQLITE_STATIC);
    if (step_done(im, im->st[k], err) < 0)
      return -1;
  }
  if (r->withdrawn != NULL) {
    im->stats->withdrawn++;
    return 0;
  }
  struct severity sev;
  effective_severity(r, NULL, &sev);
  cleanup_free char *summary = summary_of(r);
  cleanup_free char *aliases = strings_json(r->aliases, r->n_aliases);
  st = im->st[ST_INS_VULN];
  bind_text(st, 1, r->id);
  bind_text(st, 2, r->modified);
  bind_text(st, 3, r->published);
  bind_text(st, 4, summary);
  bind_severity(st, 5, &sev);
  bind_text(st, 8, aliases);
  if (step_done(im, st, err) < 0)
    return -1;

  cleanup_free char *unreadable = NULL;
  for (size_t i = 0; i < r->n_affected; i++) {
    pyoci_osv_affected_t *a = &r->affected[i];
    if (a->ecosystem == NULL || a->name == NULL)
      continue; /* e.g. GIT-only entries: nothing a package can match */
    size_t lenient = 0;
    char *why = NULL;
    if (pyoci_osv_check_bounds(a->ecosystem, a, &lenient, &why) < 0 && unreadable == NULL)
      unreadable = steal_pointer(&why);
    free(why);
    im->stats->lenient += lenient;
    /* OSV ecosystems may carry a suffix ("PyPI" never does; "Debian:12"). */
    cleanup_free char *name = strcmp(a->ecosystem, "PyPI") == 0 ? pyoci_pep503_normalize(a->name) : xstrdup(a->name);
    cleanup_json json_t *ranges = pyoci_osv_ranges_to_json(a);
    cleanup_free char *ranges_s = pyoci_json_dump_canonical(ranges);
    cleanup_free char *versions_s = strings_json(a->versions, a->n_versions);
    effective_severity(r, a, &sev);
    st = im->st[ST_INS_AFFECTED];
    bind_text(st, 1, r->id);
    bind_text(st, 2, a->ecosystem);
    bind_text(st, 3, name);
    bind_text(st, 4, a->purl);
    bind_text(st, 5, ranges_s);
    bind_text(st, 6, versions_s);
    bind_severity(st, 7, &sev);
    if (step_done(im, st, err) < 0)
      return -1;
  }
  if (unreadable != NULL && note_unreadable(im, r->id, unreadable, err) < 0)
    return -1;
  im->stats->imported++;
  return 0;
}

static int import_buffer(struct importer *im, const char *buf, size_t len, const char *what, pyoci_error_t **err)
{
  cleanup_osv_record pyoci_osv_record_t *r = pyoci_osv_parse(buf, len, what, err);
  if (r == NULL)
    return -1;
  im->stats->records++;
  if (im->stats->records > MAX_FILES)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: more than %u records", MAX_FILES);
  if (store_record(im, r, err) < 0)
    return pyoci_error_prefix(err, "import '%s'", what);
  if (im->stats->records % 1000 == 0)
    pyoci_progress("importing OSV records", im->stats->records, 0, 0);
  return 0;
}

static bool ends_with_json(const char *name)
{
  size_t n = strlen(name);
  return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static int import_zip(struct importer *im, const char *path, const char *name_of_path, pyoci_error_t **err)
{
  struct archive *a = pyoci_xcheck(archive_read_new());
  archive_read_support_format_zip(a);
  int ret = -1;
  char *buf = NULL;
  uint64_t total = 0;
  /* Bomb limits (inflate_limit.h): the zip's own size is the input. */
  struct stat zst;
  uint64_t zip_size = stat(path, &zst) == 0 && zst.st_size > 0 ? (uint64_t)zst.st_size : 0;
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: open zip '%s': %s", name_of_path, archive_error_string(a));
    goto out;
  }
  struct archive_entry *e;
  int rc;
  while ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(e);
    if (name == NULL || archive_entry_filetype(e) != AE_IFREG || !ends_with_json(name))
      continue;
    char what[4200];
    snprintf(what, sizeof(what), "%s:%s", name_of_path, name);
    /* Read at most one byte past the limit: the header's size may lie. */
    size_t cap = PYOCI_OSV_MAX_RECORD + 1, len = 0;
    if (buf == NULL)
      buf = xmalloc(cap);
    la_ssize_t n = 0;
    while (len < cap && (n = archive_read_data(a, buf + len, cap - len)) > 0) {
      len += (size_t)n;
      if (pyoci_inflate_check(name_of_path, zip_size, total + len, err) < 0) {
        pyoci_error_prefix(err, "import: at '%s'", what);
        goto out;
      }
    }
    if (len < cap && n < 0) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: read '%s': %s", what, archive_error_string(a));
      goto out;
    }
    total += len;
    if (len > PYOCI_OSV_MAX_RECORD) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: '%s' is over the %u byte record limit", what,
                           PYOCI_OSV_MAX_RECORD);
      goto out;
    }
    if (total > MAX_TOTAL) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: '%s' holds more than %llu GiB of records", name_of_path,
                           MAX_TOTAL >> 30);
      goto out;
    }
    if (import_buffer(im, buf, len, what, err) < 0)
      goto out;
  }
  if (rc != ARCHIVE_EOF) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "import: read zip '%s': %s", name_of_path, archive_error_string(a));
    goto out;
  }
  ret = 0;
out:
  free(buf);
  archive_read_free(a);
  return ret;
}

static int import_file(struct importer *im, const char *path, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  if (pyoci_read_file(path, PYOCI_OSV_MAX_RECORD, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "import");
  return import_buffer(im, buf, len, path, err);
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json under dir, in name order so imports are reproducible;
 * symlinks are not followed. */
static int import_dir(struct importer *im, const char *dir, int depth, pyoci_error_t **err)
{
  if (depth > MAX_DEPTH)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "import: '%s' is nested too deep", dir);
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return pyoci_error_set(err, errno, "import: open directory '%s'", dir);
  char **names = NULL;
  size_t n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
      continue;
    char **nn = xrealloc(names, (n + 1) * sizeof(*names));
    nn[n] = xstrdup(de->d_name);
    names = nn;
    n++;
  }
  if (n > 0)
    qsort(names, n, sizeof(*names), cmp_names);
  int ret = 0;
  for (size_t i = 0; i < n && ret == 0; i++) {
    cleanup_free char *p = pyoci_path_join(dir, names[i]);
    struct stat st;
    if (lstat(p, &st) < 0)
      ret = pyoci_error_set(err, errno, "import: stat '%s'", p);
    else if (S_ISDIR(st.st_mode))
      ret = import_dir(im, p, depth + 1, err);
    else if (S_ISREG(st.st_mode) && ends_with_json(names[i]))
      ret = import_file(im, p, err);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
  return ret;
}

static bool is_zip(const char *path)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  unsigned char magic[4];
  return fd >= 0 && read(fd, magic, 4) == 4 && memcmp(magic, "PK\x03\x04", 4) == 0;
}

static int import_source(struct importer *im, const char *src, const char *name, pyoci_error_t **err)
{
  struct stat st;
  if (stat(src, &st) < 0)
    return pyoci_error_set(err, errno, "import: '%s'", name);
  if (S_ISDIR(st.st_mode))
    return import_dir(im, src, 0, err);
  if (!S_ISREG(st.st_mode))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "import: '%s' is not a file or directory", name);
  if (is_zip(src))
    return import_zip(im, src, name, err);
  return import_file(im, src, err);
}

/* Copy the current DB into the temporary one with SQLite's backup API. */
static int copy_db(const char *from, sqlite3 *to, const char *to_path, pyoci_error_t **err)
{
  sqlite3 *src = NULL;
  int ret = -1;
  if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    pyoci_error_set(err, 0, "vulnerability database '%s': open: %s", from, sqlite3_errmsg(src));
    goto out;
  }
  sqlite3_backup *b = sqlite3_backup_init(to, "main", src, "main");
  if (b == NULL) {
    pyoci_error_set(err, 0, "copy vulnerability database to '%s': %s", to_path, sqlite3_errmsg(to));
    goto out;
  }
  int rc = sqlite3_backup_step(b, -1);
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) {
    pyoci_error_set(err, 0, "copy vulnerability database '%s': %s", from, sqlite3_errstr(rc));
    goto out;
  }
  ret = 0;
out:
  sqlite3_close(src);
  return ret;
}

static int check_schema(struct importer *im, pyoci_error_t **err)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(im->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (v != 0 && v != PYOCI_VULNDB_SCHEMA)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "vulnerability database: schema version %d, expected %d; use --replace", v,
                                PYOCI_VULNDB_SCHEMA);
  return 0;
}

static int set_meta(struct importer *im, const char *key, const char *value, pyoci_error_t **err)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(im->db, "INSERT OR REPLACE INTO metadata(key, value) VALUES (?1, ?2)", -1, &st, NULL) !=
      SQLITE_OK)
    return sql_fail(im, err, "metadata");
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : sql_fail(im, err, "metadata");
}

static int write_metadata(struct importer *im, const char *label, pyoci_error_t **err)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(im->db, "SELECT COUNT(*) FROM vulns", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return sql_fail(im, err, "count");
  }
  im->stats->total = (uint64_t)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  char num[32], at[32], wd[32];
  snprintf(num, sizeof(num), "%llu", (unsigned long long)im->stats->total);
  int64_t epoch = pyoci_settings()->source_date_epoch;
  snprintf(at, sizeof(at), "%lld", epoch >= 0 ? (long long)epoch : (long long)time(NULL));
  snprintf(wd, sizeof(wd), "%llu", (unsigned long long)im->stats->withdrawn);
  return set_meta(im, "schema_version", "1", err) < 0 || set_meta(im, "imported_at", at, err) < 0 ||
                 set_meta(im, "source", label, err) < 0 || set_meta(im, "vulns", num, err) < 0 ||
                 set_meta(im, "withdrawn_skipped", wd, err) < 0
             ? -1
             : 0;
}

static int fsync_path(const char *path, pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fsync(fd) < 0)
    return pyoci_error_set(err, errno, "fsync '%s'", path);
  return 0;
}

static int fill(struct importer *im, const char *db_path, const char *const *sources, const char *const *names,
                size_t n_sources, bool replace, const char *label, pyoci_error_t **err)
{
  if (!replace && pyoci_path_exists(db_path) && copy_db(db_path, im->db, im->path, err) < 0)
    return -1;
  if (check_schema(im, err) < 0 || exec(im, "PRAGMA journal_mode = MEMORY; PRAGMA synchronous = OFF;", err) < 0 ||
      exec(im, schema_sql, err) < 0 || exec(im, "BEGIN", err) < 0)
    return -1;
  for (int k = 0; k < N_ST; k++)
    if (sqlite3_prepare_v2(im->db, stmt_sql[k], -1, &im->st[k], NULL) != SQLITE_OK)
      return sql_fail(im, err, "prepare");
  for (size_t i = 0; i < n_sources; i++)
    if (import_source(im, sources[i], names ? names[i] : sources[i], err) < 0)
      return -1;
  pyoci_progress("importing OSV records", im->stats->records, 0, 1);
  if (write_metadata(im, label, err) < 0 || exec(im, "COMMIT", err) < 0)
    return -1;
  return 0;
}

void pyoci_vulndb_import_stats_release(pyoci_vulndb_import_stats_t *s)
{
  for (size_t i = 0; i < s->n_unreadable_ids; i++)
    free(s->unreadable_ids[i]);
  free(s->unreadable_ids);
  s->unreadable_ids = NULL;
  s->n_unreadable_ids = 0;
}

int pyoci_vulndb_import(const char *db_path, const char *const *sources, const char *const *names, size_t n_sources,
                        bool replace, const char *label, pyoci_vulndb_import_stats_t *stats, pyoci_error_t **err)
{
  memset(stats, 0, sizeof(*stats));
  cleanup_free char *dir = xstrdup(db_path);
  char *slash = strrchr(dir, '/');
  if (slash != NULL && slash != dir) {
    *slash = '\0';
    if (pyoci_mkdir_p(dir, 0755, err) < 0)
      return -1;
  }
  cleanup_strbuf strbuf_t lbl = STRBUF_INIT;
  if (label == NULL)
    for (size_t i = 0; i < n_sources; i++)
      strbuf_addf(&lbl, "%s%s", i ? " " : "", names ? names[i] : sources[i]);
  cleanup_free char *tmp = NULL;
  tmp = xasprintf("%s.tmp.%ld", db_path, (long)getpid());
  unlink(tmp);
  struct importer im = {.path = tmp, .stats = stats};
  int ret = -1;
  if (sqlite3_open_v2(tmp, &im.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    sql_fail(&im, err, "create");
    goto out;
  }
  if (fill(&im, db_path, sources, names, n_sources, replace, label ? label : strbuf_str(&lbl), err) < 0)
    goto out;
  for (int k = 0; k < N_ST; k++) {
    sqlite3_finalize(im.st[k]);
    im.st[k] = NULL;
  }
  if (sqlite3_close(im.db) != SQLITE_OK) {
    sql_fail(&im, err, "close");
    goto out;
  }
  im.db = NULL;
  if (fsync_path(tmp, err) < 0)
    goto out;
  if (rename(tmp, db_path) < 0) {
    pyoci_error_set(err, errno, "rename '%s' to '%s'", tmp, db_path);
    goto out;
  }
  if (slash != NULL && slash != dir)
    pyoci_fsync_dir(dir, NULL);
  ret = 0;
out:
  for (int k = 0; k < N_ST; k++)
    sqlite3_finalize(im.st[k]);
  if (im.db != NULL)
    sqlite3_close(im.db);
  if (ret < 0) {
    unlink(tmp);
    cleanup_free char *journal = xasprintf("%s-journal", tmp);
    unlink(journal);
  }
  return ret;
}
