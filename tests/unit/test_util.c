#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util/cleanup.h"
#include "lib/util/error.h"
#include "lib/util/fs.h"
#include "lib/util/hash.h"
#include "lib/util/json.h"
#include "lib/util/settings.h"
#include "lib/util/severity.h"
#include "lib/util/strbuf.h"
#include "tap.h"

static void test_error(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_error_set(&err, 2, "open '%s'", "x") == -1, "error_set returns -1");
  is_str(err->msg, "open 'x': No such file or directory", "errno text is appended");
  pyoci_error_prefix(&err, "load image");
  is_str(err->msg, "load image: open 'x': No such file or directory", "prefix adds context");
  pyoci_error_set(&err, 0, "second");
  is_str(err->msg, "load image: open 'x': No such file or directory", "first error wins");
}

static void test_strbuf(void)
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  is_str(strbuf_str(&sb), "", "empty strbuf is empty string");
  for (int i = 0; i < 1000; i++)
    strbuf_addf(&sb, "%d,", i);
  is_int(sb.len, 3890, "strbuf grows");
  ok(strncmp(sb.buf, "0,1,2,", 6) == 0, "strbuf content");
}

static void test_hash(void)
{
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf("abc", 3, d);
  is_str(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
  ok(pyoci_digest_valid(d), "valid digest");
  ok(!pyoci_digest_valid("sha256:BA78"), "short/uppercase digest invalid");
  ok(!pyoci_digest_valid("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
     "other algorithm rejected");
}

static void test_fs_json(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  ok(pyoci_mkdtemp(NULL, "pyoci-test-", &dir, &err) == 0, "mkdtemp");
  cleanup_free char *p = pyoci_path_join(dir, "a/b/c");
  ok(pyoci_mkdir_p(p, 0755, &err) == 0, "mkdir -p");
  cleanup_free char *f = pyoci_path_join(p, "x.json");
  ok(pyoci_write_file_atomic(f, "{\"a\":1}", 7, 0644, &err) == 0, "atomic write");
  cleanup_json json_t *j = pyoci_json_load_file(f, 100, &err);
  ok(j != NULL && pyoci_json_int(j, "a", 0) == 1, "json round trip");
  ok(pyoci_json_load_file(f, 3, &err) == NULL && err != NULL, "size limit enforced");
  ok(err && strstr(err->msg, "x.json") != NULL, "limit error names the file: %s", err ? err->msg : "");
  pyoci_error_release(&err);
  ok(pyoci_json_parse("{\"a\":1,\"a\":2}", 13, "dup.json", &err) == NULL, "duplicate keys rejected");
  pyoci_error_release(&err);
  ok(pyoci_rm_rf(dir, &err) == 0 && !pyoci_path_exists(dir), "rm -rf");
}

/* SOURCE_DATE_EPOCH is parsed once (cli/env.c hands it in), one way. */
static void test_settings(void)
{
  int64_t v = -7;
  ok(pyoci_parse_epoch("1700000000", &v) && v == 1700000000, "epoch: plain number");
  ok(pyoci_parse_epoch("0", &v) && v == 0, "epoch: 0");
  v = -7;
  ok(!pyoci_parse_epoch("12x", &v) && v == -7, "epoch: trailing junk refused, *out untouched");
  ok(!pyoci_parse_epoch("-1", &v) && !pyoci_parse_epoch(" 1", &v) && !pyoci_parse_epoch("", &v) &&
         !pyoci_parse_epoch(NULL, &v),
     "epoch: sign, space, empty, unset refused");
  ok(!pyoci_parse_epoch("253402300800", &v) && pyoci_parse_epoch("253402300799", &v),
     "epoch: year 10000 refused, 9999-12-31T23:59:59Z taken");
  pyoci_settings_t s;
  pyoci_settings_init(&s);
  pyoci_settings_set_epoch(&s, "12x");
  ok(s.source_date_epoch == -1 && strcmp(s.source_date_epoch_text, "12x") == 0,
     "a malformed value keeps its text (ARG SOURCE_DATE_EPOCH) but no number");
  pyoci_settings_set_epoch(&s, NULL);
  ok(s.source_date_epoch == -1 && s.source_date_epoch_text == NULL, "unset");
}

static void test_severity_list(void)
{
  unsigned m = 0;
  char *bad = NULL;
  ok(pyoci_severity_parse_list("HIGH,critical", &m, &bad) == 0 &&
         m == (1u << PYOCI_SEV_HIGH | 1u << PYOCI_SEV_CRITICAL) && bad == NULL,
     "severity list: case-insensitive, one bit each");
  ok(pyoci_severity_parse_list("LOW,BAD,HIGH", &m, &bad) < 0 && bad && strcmp(bad, "BAD") == 0,
     "severity list: the unknown name is handed back");
  free(bad);
  ok(pyoci_severity_parse_list(",,", &m, &bad) < 0 && bad == NULL, "severity list: naming none is an error");
}

int main(void)
{
  test_error();
  test_strbuf();
  test_hash();
  test_fs_json();
  test_settings();
  test_severity_list();
  return done_testing();
}
