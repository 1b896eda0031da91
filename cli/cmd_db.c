/* pyoci db: manage the vulnerability database (import, update, info) and
 * query it (match), the same lookups `pyoci scan` makes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/vuln/vulndb.h"
#include "cli.h"
#include "env.h"

static const char help[] =
    "Usage: pyoci db import [--db PATH] [--replace] SOURCE...\n"
    "       pyoci db update [--db PATH] [--ecosystem NAME]...\n"
    "       pyoci db info [--db PATH]\n"
    "       pyoci db match [--db PATH] ECOSYSTEM PACKAGE VERSION\n\n"
    "Manage the OSV vulnerability database that 'pyoci scan' uses.\n\n"
    "  import   add OSV records from directories of *.json, OSV all.zip\n"
    "           exports or single JSON files (one transaction; withdrawn\n"
    "           records are skipped; a bad record fails the whole import)\n"
    "  update   download <ECOSYSTEM>/all.zip from OSV for each ecosystem\n"
    "           (default: PyPI, Debian, Alpine) and rebuild the database\n"
    "  info     show the database's path, age and record counts\n"
    "  match    list the vulnerabilities affecting one package version\n\n"
    "Options:\n"
    "  --db PATH         database file (default $PYOCI_DB, else\n"
    "                    $XDG_CACHE_HOME/pyoci/vuln.db, else ~/.cache/pyoci/vuln.db)\n"
    "  --replace         import: start from an empty database\n"
    "  --ecosystem NAME  update: an OSV ecosystem (PyPI, Debian, Debian:12,\n"
    "                    Alpine:v3.18, ...); repeatable\n"
    "  -q, --quiet       no progress or summary output\n"
    CLI_LIMITS_HELP
    "  -h, --help        show this help\n\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

enum { OPT_DB = 0x2000, OPT_REPLACE, OPT_ECOSYSTEM, OPT_MIRROR };

static void format_age(char *buf, size_t size, time_t then)
{
  long long d = (long long)(time(NULL) - then);
  if (d < 0)
    snprintf(buf, size, "in the future");
  else if (d < 120)
    snprintf(buf, size, "%lld seconds ago", d);
  else if (d < 7200)
    snprintf(buf, size, "%lld minutes ago", d / 60);
  else if (d < 2 * 86400)
    snprintf(buf, size, "%lld hours ago", d / 3600);
  else
    snprintf(buf, size, "%lld days ago", d / 86400);
}

static int do_info(const char *path)
{
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_vulndb_t *db = pyoci_vulndb_open(path, &err);
  if (db == NULL)
    return cli_fail(err);
  pyoci_vulndb_info_t info;
  int r = pyoci_vulndb_info(db, &info, &err);
  pyoci_vulndb_close(db);
  if (r < 0)
    return cli_fail(err);
  char when[64] = "unknown", age[64] = "";
  if (info.imported_at > 0) {
    struct tm tm;
    gmtime_r(&info.imported_at, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    format_age(age, sizeof(age), info.imported_at);
  }
  printf("Path:            %s\n", path);
  printf("Imported:        %s%s%s%s\n", when, age[0] ? " (" : "", age, age[0] ? ")" : "");
  printf("Source:          %s\n", info.source ? info.source : "unknown");
  printf("Vulnerabilities: %llu (%llu withdrawn records skipped)\n", (unsigned long long)info.vulns,
         (unsigned long long)info.withdrawn_skipped);
  printf("Unreadable:      %zu records with a range bound no version scheme reads (those ranges are skipped)\n",
         info.n_unreadable);
  printf("\n%-24s %15s %9s\n", "ECOSYSTEM", "VULNERABILITIES", "PACKAGES");
  for (size_t i = 0; i < info.n_ecosystems; i++)
    printf("%-24s %15llu %9llu\n", info.ecosystems[i].ecosystem, (unsigned long long)info.ecosystems[i].vulns,
           (unsigned long long)info.ecosystems[i].packages);
  if (info.n_unreadable > 0)
    printf("\nUNREADABLE RECORDS\n");
  for (size_t i = 0; i < info.n_unreadable; i++)
    printf("%s\n", info.unreadable[i]);
  pyoci_vulndb_info_release(&info);
  return 0;
}

/* The summary on stdout; records that could not be read fully are named
 * on stderr even with -q (they silently lose matches otherwise). */
static void report_import(const char *path, pyoci_vulndb_import_stats_t *st)
{
  for (size_t i = 0; i < st->n_unreadable_ids && i < 20; i++)
    fprintf(stderr, "warning: unreadable range bound, ranges skipped: %s\n", st->unreadable_ids[i]);
  if (st->unreadable > 20)
    fprintf(stderr, "warning: ... and %llu more records with unreadable bounds ('pyoci db info' lists them all)\n",
            (unsigned long long)(st->unreadable - 20));
  if (!pyoci_globals.quiet)
    printf("imported %llu of %llu records (%llu withdrawn skipped, %llu with unreadable bounds, %llu bounds read "
           "leniently); %llu vulnerabilities in %s\n",
           (unsigned long long)st->imported, (unsigned long long)st->records, (unsigned long long)st->withdrawn,
           (unsigned long long)st->unreadable, (unsigned long long)st->lenient, (unsigned long long)st->total, path);
  pyoci_vulndb_import_stats_release(st);
}

static int print_match(const pyoci_vuln_match_t *m, void *data)
{
  char score[16] = "-";
  if (m->cvss_score >= 0)
    snprintf(score, sizeof(score), "%.1f", m->cvss_score);
  printf("%s\t%s\t%s\t%s\t%s\n", m->id, m->severity, score, m->fixed ? m->fixed : "-", m->summary ? m->summary : "");
  return 0;
}

int cmd_db(int argc, char **argv)
{
  static const struct option opts[] = {
      CLI_COMMON_LONGOPTS,
      {"db", required_argument, NULL, OPT_DB},
      {"replace", no_argument, NULL, OPT_REPLACE},
      {"ecosystem", required_argument, NULL, OPT_ECOSYSTEM},
      {"mirror", required_argument, NULL, OPT_MIRROR}, /* testing: see docs/pyoci-db.md */
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *db_opt = NULL, *mirror = NULL;
  bool replace = false;
  const char *ecos[64];
  size_t n_ecos = 0;
  int c;
  while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    if (cli_common_option(c, optarg))
      continue;
    switch (c) {
    case OPT_DB:
      db_opt = optarg;
      break;
    case OPT_REPLACE:
      replace = true;
      break;
    case OPT_ECOSYSTEM:
      if (n_ecos == sizeof(ecos) / sizeof(ecos[0]))
        return cli_usage_error("db", "too many --ecosystem options");
      ecos[n_ecos++] = optarg;
      break;
    case OPT_MIRROR:
      mirror = optarg;
      break;
    case 'h':
      return cli_help(help);
    default:
      return cli_bad_option("db");
    }
  }
  if (optind >= argc)
    return cli_usage_error("db", "expected a subcommand: import, update, info or match");
  const char *sub = argv[optind++];
  int nargs = argc - optind;
  cleanup_free char *path = xstrdup(db_opt ? db_opt : cli_env()->vulndb);
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_vulndb_import_stats_t st;

  if (strcmp(sub, "import") == 0) {
    if (nargs < 1)
      return cli_usage_error("db", "import needs at least one SOURCE");
    if (pyoci_vulndb_import(path, (const char *const *)argv + optind, NULL, (size_t)nargs, replace, NULL, &st, &err) <
        0)
      return cli_fail(err);
    report_import(path, &st);
    return 0;
  }
  if (strcmp(sub, "update") == 0) {
    if (nargs != 0)
      return cli_usage_error("db", "update takes no arguments (use --ecosystem)");
    static const char *const defaults[] = {"PyPI", "Debian", "Alpine"};
    const char *const *list = n_ecos ? ecos : defaults;
    size_t n = n_ecos ? n_ecos : sizeof(defaults) / sizeof(defaults[0]);
    if (pyoci_vulndb_update(path, list, n, mirror ? mirror : cli_env()->osv_mirror, cli_env()->osv_max_download, &st,
                            &err) < 0) {
      pyoci_error_prefix(&err, "db update");
      return cli_fail(err);
    }
    report_import(path, &st);
    return 0;
  }
  if (strcmp(sub, "info") == 0) {
    if (nargs != 0)
      return cli_usage_error("db", "info takes no arguments");
    return do_info(path);
  }
  if (strcmp(sub, "match") == 0) {
    if (nargs != 3)
      return cli_usage_error("db", "match needs ECOSYSTEM PACKAGE VERSION");
    pyoci_vulndb_t *db = pyoci_vulndb_open(path, &err);
    if (db == NULL)
      return cli_fail(err);
    int n = pyoci_vulndb_match(db, argv[optind], argv[optind + 1], argv[optind + 2], print_match, NULL, &err);
    pyoci_vulndb_close(db);
    return n < 0 ? cli_fail(err) : 0;
  }
  return cli_usage_error("db", "unknown subcommand '%s'", sub);
}
