/* The matcher the scanner calls: import tests/data/osv into a fresh DB and
 * check pyoci_vulndb_match() answers for every evaluation corner (two
 * intervals in one range, separate ranges, introduced "0", last_affected,
 * limit, SEMVER, versions list, withdrawn, severity sources, PEP 503 names,
 * Debian and Alpine ordering). */
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "lib/vuln/vulndb.h"
#include "tap.h"

static pyoci_vulndb_t *db;

static int collect(const pyoci_vuln_match_t *m, void *data)
{
  strbuf_t *sb = data;
  if (sb->len)
    strbuf_addch(sb, ';');
  strbuf_addf(sb, "%s|%s|", m->id, m->severity);
  if (m->cvss_score >= 0)
    strbuf_addf(sb, "%.1f", m->cvss_score);
  else
    strbuf_addch(sb, '-');
  strbuf_addf(sb, "|%s", m->fixed ? m->fixed : "-");
  if (m->skipped_ranges)
    strbuf_addf(sb, "|skipped=%zu", m->skipped_ranges);
  return 0;
}

static void match(const char *eco, const char *pkg, const char *ver, const char *want)
{
  strbuf_t sb = STRBUF_INIT;
  pyoci_error_t *err = NULL;
  int n = pyoci_vulndb_match(db, eco, pkg, ver, collect, &sb, &err);
  if (n < 0)
    strbuf_addf(&sb, "error: %s", err->msg);
  is_str(strbuf_str(&sb), want, "%s %s %s", eco, pkg, ver);
  pyoci_error_free(err);
  strbuf_release(&sb);
}

static int stop_early(const pyoci_vuln_match_t *m, void *data)
{
  (*(int *)data)++;
  return -7;
}

int main(void)
{
  const char *top = getenv("PYOCI_TOP");
  cleanup_free char *src = NULL, *dir = NULL, *path = NULL;
  if (asprintf(&src, "%s/tests/data/osv", top && *top ? top : ".") < 0)
    abort();
  cleanup_error pyoci_error_t *err = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-vulndb-", &dir, &err) < 0) {
    printf("Bail out! %s\n", err->msg);
    return 1;
  }
  path = pyoci_path_join(dir, "sub/vuln.db");
  pyoci_vulndb_import_stats_t st;
  const char *sources[] = {src};
  ok(pyoci_vulndb_import(path, sources, NULL, 1, false, NULL, &st, &err) == 0, "import fixtures%s%s",
     err ? ": " : "", err ? err->msg : "");
  ok(st.records == 16 && st.imported == 15 && st.withdrawn == 1 && st.total == 15,
     "16 records read, 15 stored, 1 withdrawn (%llu/%llu/%llu/%llu)", (unsigned long long)st.records,
     (unsigned long long)st.imported, (unsigned long long)st.withdrawn, (unsigned long long)st.total);
  db = pyoci_vulndb_open(path, &err);
  ok(db != NULL, "open");
  if (db == NULL)
    return done_testing();

  /* One range, two intervals; CVSS v3 score; every fix above the version. */
  match("PyPI", "flask", "0.1", "GHSA-m2qf-hxjv-5gpq|HIGH|7.5|2.2.5, 2.3.2");
  match("PyPI", "flask", "2.2.4", "GHSA-m2qf-hxjv-5gpq|HIGH|7.5|2.2.5, 2.3.2");
  match("PyPI", "flask", "2.2.5", "");
  match("PyPI", "Flask", "2.3.0", "GHSA-m2qf-hxjv-5gpq|HIGH|7.5|2.3.2");
  match("PyPI", "FLASK", "2.3.1", "GHSA-m2qf-hxjv-5gpq|HIGH|7.5|2.3.2");
  match("PyPI", "flask", "2.3.2", "");
  match("PyPI", "flask", "2.3.2.dev1", "GHSA-m2qf-hxjv-5gpq|HIGH|7.5|2.3.2");
  /* Two separate ranges; a record with only a CVSS v4.0 vector (6.9 by
   * cvss4.c, which test_cvss checks against FIRST's calculator vectors). */
  match("PyPI", "werkzeug", "2.3.7",
        "GHSA-2g68-c3qc-8985|HIGH|7.5|3.0.3;GHSA-hrfv-mqp8-q5rw|MEDIUM|6.9|2.3.8, 3.0.1");
  match("PyPI", "Werkzeug", "3.0.0",
        "GHSA-2g68-c3qc-8985|HIGH|7.5|3.0.3;GHSA-hrfv-mqp8-q5rw|MEDIUM|6.9|3.0.1");
  match("PyPI", "werkzeug", "3.0.1", "GHSA-2g68-c3qc-8985|HIGH|7.5|3.0.3");
  match("PyPI", "werkzeug", "3.0.3", "");
  /* Versions list and range; no severity at all; GIT range ignored. */
  match("PyPI", "jinja2", "2.10", "GHSA-h5c8-rqwp-cp95|MEDIUM|5.4|3.1.3;PYSEC-2019-217|UNKNOWN|-|2.10.1");
  match("PyPI", "Jinja2", "2.10.1", "GHSA-h5c8-rqwp-cp95|MEDIUM|5.4|3.1.3");
  match("PyPI", "jinja2", "3.1.3", "");
  /* last_affected is inclusive; limit bounds; labels from *_specific. */
  match("PyPI", "pyoci-fixture-pkg", "0.9", "x_pyoci-limit|CRITICAL|-|1.2");
  match("PyPI", "PyOCI.Fixture_Pkg", "1.0", "x_pyoci-last-affected|LOW|-|-;x_pyoci-limit|CRITICAL|-|1.2");
  match("PyPI", "pyoci-fixture-pkg", "1.2", "x_pyoci-last-affected|LOW|-|-");
  match("PyPI", "pyoci-fixture-pkg", "1.4", "x_pyoci-last-affected|LOW|-|-");
  match("PyPI", "pyoci-fixture-pkg", "1.4.post1", "");
  match("PyPI", "pyoci-fixture-pkg", "1.5", "x_pyoci-limit|CRITICAL|-|-");
  match("PyPI", "pyoci-fixture-pkg", "2.9.9", "x_pyoci-limit|CRITICAL|-|-");
  match("PyPI", "pyoci-fixture-pkg", "3.0", "");
  /* SEMVER range with a pre-release bound; a version SemVer cannot read
   * leaves that range skipped (reported), never guessed. */
  match("PyPI", "pyoci-fixture-pkg", "5.0.0-rc.0", "");
  match("PyPI", "pyoci-fixture-pkg", "5.0.0", "x_pyoci-semver|MEDIUM|5.5|5.0.1");
  match("PyPI", "pyoci-fixture-pkg", "5.0.1", "");
  /* Versions list only, compared as versions (7.0.0 == 7.0). */
  match("PyPI", "pyoci-fixture-pkg", "7.0.0", "x_pyoci-versions|UNKNOWN|-|-");
  match("PyPI", "pyoci-fixture-pkg", "7.1-1", "x_pyoci-versions|UNKNOWN|-|-");
  match("PyPI", "pyoci-fixture-pkg", "7.1", "");
  /* An invalid installed version only matches versions lists literally. */
  match("PyPI", "jinja2", "2.10-custom!", "");
  /* Debian: dpkg order, per-release ecosystems, urgency vs CVSS. */
  match("Debian:12", "glibc", "2.36-9+deb12u2",
        "DEBIAN-CVE-2010-4756|LOW|-|-;DEBIAN-CVE-2023-4911|HIGH|7.8|2.36-9+deb12u3");
  match("Debian:12", "glibc", "2.36-9+deb12u3", "DEBIAN-CVE-2010-4756|LOW|-|-");
  match("Debian:11", "glibc", "2.31-13+deb11u6", "DEBIAN-CVE-2023-4911|HIGH|7.8|2.31-13+deb11u7");
  match("Debian:12", "openssl", "3.0.11-1~deb12u1",
        "DEBIAN-CVE-2023-5678|MEDIUM|5.3|3.0.13-1~deb12u1;DSA-5532-1|UNKNOWN|-|3.0.11-1~deb12u2");
  match("Debian:12", "openssl", "3.0.11-1~deb12u2", "DEBIAN-CVE-2023-5678|MEDIUM|5.3|3.0.13-1~deb12u1");
  match("Debian:12", "openssl", "3.0.13-1~deb12u1", "");
  match("Debian:11", "openssl", "1.1.1n-0+deb11u5", "");
  /* Alpine: apk order. */
  match("Alpine:v3.18", "busybox", "1.36.1-r0",
        "ALPINE-CVE-2022-48174|CRITICAL|9.8|1.36.1-r1;ALPINE-CVE-2023-42366|MEDIUM|5.5|1.36.1-r6");
  match("Alpine:v3.18", "busybox", "1.36.1-r5", "ALPINE-CVE-2023-42366|MEDIUM|5.5|1.36.1-r6");
  match("Alpine:v3.18", "busybox", "1.36.1-r6", "");
  match("Alpine:v3.19", "busybox", "1.36.1-r0", "");
  match("PyPI", "no-such-package", "1.0", "");

  int calls = 0;
  pyoci_error_t *e2 = NULL;
  ok(pyoci_vulndb_match(db, "PyPI", "werkzeug", "2.0", stop_early, &calls, &e2) == -7 && calls == 1,
     "a callback's negative return stops the match and is returned");
  pyoci_error_free(e2);

  pyoci_vulndb_info_t info;
  ok(pyoci_vulndb_info(db, &info, &err) == 0 && info.vulns == 15 && info.withdrawn_skipped == 1 &&
         info.n_ecosystems == 4 && strcmp(info.ecosystems[3].ecosystem, "PyPI") == 0 &&
         info.ecosystems[3].vulns == 9 && info.ecosystems[3].packages == 4,
     "info: counts per ecosystem");
  pyoci_vulndb_info_release(&info);
  pyoci_vulndb_close(db);

  pyoci_error_t *e3 = NULL;
  cleanup_free char *missing = pyoci_path_join(dir, "none.db");
  ok(pyoci_vulndb_open(missing, &e3) == NULL && e3 && e3->code == PYOCI_E_NOT_FOUND &&
         strstr(e3->msg, "run 'pyoci db update'"),
     "missing DB: not found, with a hint");
  pyoci_error_free(e3);
  pyoci_rm_rf(dir, NULL);
  return done_testing();
}
