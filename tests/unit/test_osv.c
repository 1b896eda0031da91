/* OSV record parser: fields of real-shaped records, and the errors (with
 * file name and JSON path) for malformed or oversized ones. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "lib/vuln/osv.h"
#include "tap.h"

static char *fixture(const char *rel, size_t *len)
{
  const char *top = getenv("PYOCI_TOP");
  cleanup_free char *p = NULL;
  if (asprintf(&p, "%s/tests/data/osv/%s", top && *top ? top : ".", rel) < 0)
    abort();
  char *buf = NULL;
  pyoci_error_t *err = NULL;
  if (pyoci_read_file(p, 1 << 20, &buf, len, &err) < 0) {
    printf("# %s\n", err->msg);
    pyoci_error_free(err);
    return NULL;
  }
  return buf;
}

static void test_fixtures(void)
{
  size_t len;
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *buf = fixture("PyPI/GHSA-m2qf-hxjv-5gpq.json", &len);
  cleanup_osv_record pyoci_osv_record_t *r = buf ? pyoci_osv_parse(buf, len, "flask.json", &err) : NULL;
  ok(r != NULL, "flask advisory parses%s%s", err ? ": " : "", err ? err->msg : "");
  if (r == NULL)
    return;
  is_str(r->id, "GHSA-m2qf-hxjv-5gpq", "id");
  is_str(r->modified, "2024-02-16T08:10:36Z", "modified");
  is_str(r->published, "2023-05-02T18:21:13Z", "published");
  ok(r->withdrawn == NULL, "not withdrawn");
  ok(r->n_aliases == 2 && strcmp(r->aliases[0], "CVE-2023-30861") == 0, "aliases");
  ok(r->n_severity == 1 && strcmp(r->severity[0].type, "CVSS_V3") == 0 &&
         strcmp(r->severity[0].score, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N") == 0,
     "severity entry");
  is_str(r->severity_label, "HIGH", "database_specific.severity");
  ok(r->n_affected == 1, "one affected entry");
  pyoci_osv_affected_t *a = &r->affected[0];
  is_str(a->ecosystem, "PyPI", "affected ecosystem");
  is_str(a->name, "flask", "affected name");
  is_str(a->purl, "pkg:pypi/flask", "affected purl");
  ok(a->n_ranges == 1 && a->ranges[0].type == PYOCI_OSV_RANGE_ECOSYSTEM && a->ranges[0].n_events == 4,
     "one ECOSYSTEM range of four events");
  ok(a->ranges[0].events[0].kind == PYOCI_OSV_INTRODUCED && strcmp(a->ranges[0].events[0].version, "2.3.0") == 0 &&
         a->ranges[0].events[3].kind == PYOCI_OSV_FIXED && strcmp(a->ranges[0].events[3].version, "2.2.5") == 0,
     "events kept in record order");

  cleanup_free char *b2 = fixture("Debian/DEBIAN-CVE-2023-4911.json", &len);
  cleanup_osv_record pyoci_osv_record_t *d = b2 ? pyoci_osv_parse(b2, len, "glibc.json", &err) : NULL;
  ok(d && d->n_affected == 2 && strcmp(d->affected[0].ecosystem, "Debian:12") == 0 &&
         strcmp(d->affected[0].severity_label, "high") == 0 && d->affected[1].severity_label == NULL,
     "Debian urgency read from ecosystem_specific");
  cleanup_free char *b3 = fixture("PyPI/PYSEC-2019-217.json", &len);
  cleanup_osv_record pyoci_osv_record_t *p = b3 ? pyoci_osv_parse(b3, len, "pysec.json", &err) : NULL;
  ok(p && p->affected[0].n_versions == 6 && strcmp(p->affected[0].versions[3], "2.10") == 0 &&
         p->affected[0].ranges[0].type == PYOCI_OSV_RANGE_GIT &&
         strcmp(p->affected[0].ranges[0].repo, "https://github.com/pallets/jinja") == 0,
     "versions list and GIT range");
  cleanup_json json_t *stored = p ? pyoci_osv_ranges_to_json(&p->affected[0]) : NULL;
  cleanup_free char *s = stored ? json_dumps(stored, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  is_str(s, "[{\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.10.1\"}],\"type\":\"ECOSYSTEM\"}]",
         "stored ranges drop GIT ranges");
}

static void bad(const char *json, const char *want, const char *desc)
{
  pyoci_error_t *err = NULL;
  pyoci_osv_record_t *r = pyoci_osv_parse(json, strlen(json), "bad.json", &err);
  ok(r == NULL && err && strstr(err->msg, want) != NULL, "%s: %s", desc, err ? err->msg : "accepted");
  if (r == NULL && err && strstr(err->msg, want) == NULL)
    printf("#   want: %s\n", want);
  pyoci_osv_record_free(r);
  pyoci_error_free(err);
}

static void test_errors(void)
{
  bad("[]", "parse 'bad.json': expected a JSON object", "array at top level");
  bad("{\"modified\":\"x\"}", "parse 'bad.json': id: missing or empty", "missing id");
  bad("{\"id\":\"X-1\"}", "parse 'bad.json': modified: missing", "missing modified");
  bad("{\"id\":1,\"modified\":\"x\"}", "parse 'bad.json': id: expected a string", "id of wrong type");
  bad("{\"id\":\"X\\u0000Y\",\"modified\":\"x\"}", "id: string contains a NUL byte", "NUL in a string");
  bad("{\"id\":\"X\\nY\",\"modified\":\"x\"}", "id: control character in id", "control character in id");
  bad("{\"id\":\"X\",\"id\":\"Y\",\"modified\":\"x\"}", "duplicate object key", "duplicate keys");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"aliases\":\"CVE-1\"}", "aliases: expected an array", "aliases not a list");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":"
      "[{\"introduced\":\"0\"},{\"introduced\":\"1\",\"fixed\":\"2\"}]}]}]}",
      "parse 'bad.json': affected[0].ranges[0].events[1]: has both 'introduced' and 'fixed'", "two kinds in one event");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{}]}]}]}",
      "affected[0].ranges[0].events[0]: expected one of introduced", "empty event");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"ranges\":[{\"type\":\"RPM\",\"events\":[{\"introduced\":\"0\"}]}]}]}",
      "affected[0].ranges[0]: unknown range type 'RPM'", "unknown range type");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"ranges\":[{\"type\":\"SEMVER\",\"events\":[]}]}]}",
      "affected[0].ranges[0]: no events", "range without events");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"versions\":[\"1\",2]}]}",
      "affected[0].versions[1]: expected a string", "non-string version");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"severity\":[{\"type\":\"CVSS_V3\"}]}", "severity[0]: needs both type and score",
      "severity without score");
  bad("{\"id\":\"X\",\"modified\":\"x\",\"affected\":[{\"package\":[]}]}", "affected[0].package: expected an object",
      "package not an object");

  /* Limits: more aliases than allowed, and a record over 4 MiB. */
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "{\"id\":\"X\",\"modified\":\"x\",\"aliases\":[");
  for (int i = 0; i <= PYOCI_OSV_MAX_LIST; i++)
    strbuf_addf(&sb, "%s\"A%d\"", i ? "," : "", i);
  strbuf_addstr(&sb, "]}");
  bad(sb.buf, "aliases: 10001 entries is over the limit of 10000", "alias count limit");
  strbuf_reset(&sb);
  strbuf_addstr(&sb, "{\"id\":\"X\",\"modified\":\"x\",\"details\":\"");
  while (sb.len < PYOCI_OSV_MAX_RECORD)
    strbuf_addstr(&sb, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
  strbuf_addstr(&sb, "\"}");
  bad(sb.buf, "over the OSV record limit of 4194304", "record size limit");
  strbuf_release(&sb);

  /* Ranges read back from the DB are checked the same way. */
  pyoci_error_t *err = NULL;
  pyoci_osv_range_t *ranges;
  size_t n;
  json_t *j = json_loads("[{\"type\":\"ECOSYSTEM\",\"events\":[{\"fixed\":1}]}]", 0, NULL);
  ok(pyoci_osv_ranges_from_json(j, "db: X", &ranges, &n, &err) < 0 && err &&
         strstr(err->msg, "parse 'db: X': ranges[0].events[0].fixed: expected a string"),
     "stored ranges are validated: %s", err ? err->msg : "");
  json_decref(j);
  pyoci_error_free(err);
}

int main(void)
{
  test_fixtures();
  test_errors();
  return done_testing();
}
