/* Secret scanner: every rule finds its sample, near misses stay quiet, the
 * secret never appears in what is reported, allowed paths and binary files
 * are skipped, line numbers are right.  Sample tokens are generated at run
 * time so this file itself holds nothing a scanner would flag. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/layer/layer.h"
#include "lib/secret/scan.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/strbuf.h"
#include "tap.h"

/* ---- collecting findings ---- */

struct found {
  char rule[64], path[256], match[300], code[600];
  int line, end_line, layer_index;
  pyoci_severity_t sev;
};
struct results {
  struct found f[64];
  int n;
};

static int collect(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  struct results *r = ctx;
  if (r->n >= 64)
    return 0;
  struct found *x = &r->f[r->n++];
  snprintf(x->rule, sizeof(x->rule), "%s", f->rule_id);
  snprintf(x->path, sizeof(x->path), "%s", f->path);
  snprintf(x->match, sizeof(x->match), "%s", f->match);
  snprintf(x->code, sizeof(x->code), "%s", f->code);
  x->line = f->line;
  x->end_line = f->end_line;
  x->layer_index = f->layer_index;
  x->sev = f->severity;
  return 0;
}

static int scan(const char *path, const char *text, struct results *r)
{
  memset(r, 0, sizeof(*r));
  cleanup_error pyoci_error_t *err = NULL;
  int n = pyoci_secret_scan_buffer(path, text, strlen(text), collect, r, &err);
  if (n < 0)
    printf("# scan error: %s\n", err ? err->msg : "?");
  return n;
}

/* ---- fake tokens ---- */

/* n characters from set, deterministic per seed: format-valid, never real. */
static char *fake(const char *prefix, const char *set, size_t n, unsigned seed)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, prefix);
  size_t m = strlen(set);
  unsigned x = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    strbuf_addch(&sb, set[(x >> 16) % m]);
  }
  return strbuf_detach(&sb);
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define B64 ALNUM "+/"

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
  strbuf_t sb = STRBUF_INIT;
  va_list ap;
  va_start(ap, f);
  strbuf_vaddf(&sb, f, ap);
  va_end(ap);
  return strbuf_detach(&sb);
}

/* A PEM-ish block: header, 4 lines of base64, footer; `kind` like "RSA ". */
static char *pem(const char *kind, const char *block, unsigned seed, char **body_line)
{
  strbuf_t sb = STRBUF_INIT;
  strbuf_addf(&sb, "-----BEGIN %sPRIVATE KEY%s-----\n", kind, block);
  if (strcmp(kind, "PGP ") == 0)
    strbuf_addstr(&sb, "Version: GnuPG v2\n\n");
  for (int i = 0; i < 4; i++) {
    cleanup_free char *l = fake("", B64, 64, seed + (unsigned)i);
    if (i == 1 && body_line)
      *body_line = strdup(l);
    strbuf_addf(&sb, "%s\n", l);
  }
  strbuf_addf(&sb, "-----END %sPRIVATE KEY%s-----\n", kind, block);
  return strbuf_detach(&sb);
}

/* ---- checks ---- */

/* text must give exactly one finding of rule on line, whose match and code
 * do not contain secret, and whose match contains shown (the visible part). */
static void expect_hit(const char *rule, const char *text, int line, const char *secret, const char *shown)
{
  struct results r;
  int n = scan("app/settings.py", text, &r);
  is_int(n, 1, "%s: one finding", rule);
  if (n < 1)
    return;
  is_str(r.f[0].rule, rule, "%s: rule id", rule);
  is_int(r.f[0].line, line, "%s: line %d", rule, line);
  ok(strstr(r.f[0].match, secret) == NULL && strstr(r.f[0].code, secret) == NULL, "%s: secret masked (%s)", rule,
     r.f[0].match);
  ok(strchr(r.f[0].match, '*') != NULL && strchr(r.f[0].code, '*') != NULL, "%s: mask shown", rule);
  if (shown)
    ok(strstr(r.f[0].match, shown) != NULL, "%s: match shows '%s'", rule, shown);
}

static void expect_miss(const char *what, const char *text)
{
  struct results r;
  int n = scan("app/settings.py", text, &r);
  is_int(n, 0, "near miss: %s", what);
  if (n > 0)
    printf("#   reported %s: %s\n", r.f[0].rule, r.f[0].match);
}

static void test_token_rules(void)
{
  struct {
    const char *rule, *prefix, *set;
    size_t len;
  } t[] = {
      {"aws-access-key-id", "AKIA", UPPER, 16},
      {"aws-access-key-id", "ASIA", UPPER, 16},
      {"github-pat", "ghp_", ALNUM, 36},
      {"github-oauth", "gho_", ALNUM, 36},
      {"github-app-token", "ghu_", ALNUM, 36},
      {"github-app-token", "ghs_", ALNUM, 36},
      {"github-refresh-token", "ghr_", ALNUM, 76},
      {"gitlab-pat", "glpat-", ALNUM "-_", 20},
      {"slack-access-token", "xoxb-", "0123456789", 24},
      {"slack-access-token", "xoxp-", ALNUM, 40},
      {"stripe-secret-token", "sk_live_", ALNUM, 24},
      {"stripe-secret-token", "rk_live_", ALNUM, 24},
      {"pypi-upload-token", "pypi-AgEIcHlwaS5vcmc", ALNUM "-_", 120},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *secret = fake("", t[i].set, t[i].len, (unsigned)i);
    cleanup_free char *text = fmt("import os\n\n# credentials\nVALUE = %s%s\nprint(VALUE)\n", t[i].prefix, secret);
    expect_hit(t[i].rule, text, 4, secret, t[i].prefix);
  }

  /* GitHub fine-grained: github_pat_ + 22 + _ + 59. */
  cleanup_free char *a = fake("", ALNUM, 22, 1), *b = fake("", ALNUM, 59, 2);
  cleanup_free char *fg = fmt("token: github_pat_%s_%s\n", a, b);
  expect_hit("github-fine-grained-pat", fg, 1, b, "github_pat_");

  /* Slack webhook: the path after /services/ is the secret. */
  cleanup_free char *w1 = fake("T", UPPER, 8, 3), *w2 = fake("B", UPPER, 8, 4), *w3 = fake("", ALNUM, 24, 5);
  cleanup_free char *hook = fmt("WEBHOOK = 'https://hooks.slack.com/services/%s/%s/%s'\n", w1, w2, w3);
  expect_hit("slack-web-hook", hook, 1, w3, "hooks.slack.com");

  /* AWS secret access key: only in assignment context. */
  cleanup_free char *sk = fake("", B64, 40, 6);
  cleanup_free char *aws = fmt("[default]\naws_access_key_id = x\naws_secret_access_key = %s\n", sk);
  expect_hit("aws-secret-access-key", aws, 3, sk, "aws_secret_access_key");
  cleanup_free char *aws2 = fmt("export AWS_SECRET_ACCESS_KEY=\"%s\"\n", sk);
  expect_hit("aws-secret-access-key", aws2, 1, sk, NULL);
}

static void test_private_keys(void)
{
  const char *kinds[] = {"RSA ", "EC ", "DSA ", "OPENSSH ", "", "ENCRYPTED ", "PGP "};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    cleanup_free char *body = NULL;
    const char *block = strcmp(kinds[i], "PGP ") == 0 ? " BLOCK" : "";
    cleanup_free char *key = pem(kinds[i], block, (unsigned)(10 + i), &body);
    cleanup_free char *text = fmt("# deploy key\n%s", key);
    struct results r;
    scan("root/.ssh/id", text, &r);
    is_int(r.n, 1, "private key '%sPRIVATE KEY%s' found", kinds[i], block);
    if (r.n < 1)
      continue;
    is_str(r.f[0].rule, "private-key", "private key rule id");
    is_int(r.f[0].line, strcmp(kinds[i], "PGP ") == 0 ? 5 : 3, "line of the key body");
    is_int(r.f[0].end_line, strcmp(kinds[i], "PGP ") == 0 ? 8 : 6, "end line of the key body");
    ok(strstr(r.f[0].code, body) == NULL && strstr(r.f[0].match, body) == NULL, "key body masked");
  }

  /* GCP service-account JSON: one finding (not also private-key). */
  cleanup_free char *gbody = fake("", B64, 200, 20);
  cleanup_free char *gcp = fmt("{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n"
                               "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n\",\n"
                               "  \"client_email\": \"x@demo.iam.gserviceaccount.com\"\n}\n",
                               gbody);
  expect_hit("gcp-service-account", gcp, 4, gbody, "private_key");

  /* Regression (fuzz): a secret whose first byte is a line break is shown
   * on the next line, where its masked text is. */
  cleanup_free char *nl = fmt("{\"type\": \"service_account\", \"private_key\": \"\n%s\"}\n", gbody);
  struct results r;
  scan("key.json", nl, &r);
  ok(r.n == 1 && r.f[0].line == 2 && strchr(r.f[0].match, '*') && !strstr(r.f[0].code, gbody),
     "secret starting with a newline: reported on line 2, masked");
}

static void test_assignments(void)
{
  cleanup_free char *v = fake("", ALNUM, 24, 30);
  struct {
    const char *rule, *fmt;
  } t[] = {
      {"hardcoded-secret-key", "from flask import Flask\napp = Flask(__name__)\napp.secret_key = \"%s\"\n"},
      {"hardcoded-secret-key", "import flask\n\napp.config['SECRET_KEY'] = '%s'\n"},
      {"hardcoded-secret-key", "# settings\n\nSECRET_KEY = '%s'\n"},
      {"hardcoded-secret-key", "x = 1\napp.config.update(\nSECRET_KEY=\"%s\")\n"},
      {"generic-secret-assignment", "import db\n\nDB_PASSWORD = \"%s\"\n"},
      {"generic-secret-assignment", "services:\n  api:\n    api_key: '%s'\n"},
      {"generic-secret-assignment", "{\n  \"user\": \"u\",\n  \"token\": \"%s\"\n}\n"},
      {"generic-secret-assignment", "import psycopg2\nc = psycopg2.connect(\n    password=\"%s\")\n"},
      {"generic-secret-assignment", "a\nb\nexport GITHUB_TOKEN='%s'\n"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    cleanup_free char *text = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    text = fmt(t[i].fmt, v);
#pragma GCC diagnostic pop
    expect_hit(t[i].rule, text, 3, v, NULL);
  }
  /* The key stays visible, the value does not. */
  struct results r;
  cleanup_free char *p = fmt("PASSWORD = \"%s\"\n", v);
  scan("srv/app/config.py", p, &r);
  is_str(r.n ? r.f[0].code : "", "PASSWORD = \"************************\"", "code shows the line, value masked");
}

static void test_near_misses(void)
{
  cleanup_free char *k15 = fake("AKIA", UPPER, 15, 40), *k16 = fake("", UPPER, 16, 41);
  cleanup_free char *t1 = fmt("id = %s\n", k15);
  expect_miss("AKIA + 15 characters", t1);
  cleanup_free char *t2 = fmt("id = XAKIA%s\n", k16);
  expect_miss("AKIA inside a longer word", t2);
  cleanup_free char *t3 = fmt("id = AKIA%s9\n", k16);
  expect_miss("AKIA + 17 characters", t3);
  cleanup_free char *low = fake("akia", "abcdefghijklmnop", 16, 42);
  cleanup_free char *t4 = fmt("x = %s\n", low);
  expect_miss("lowercase akia", t4);
  cleanup_free char *g35 = fake("ghp_", ALNUM, 35, 43), *g37 = fake("ghp_", ALNUM, 37, 44);
  cleanup_free char *t5 = fmt("a = %s\nb = %s\n", g35, g37);
  expect_miss("ghp_ with 35 and 37 characters", t5);
  cleanup_free char *st = fake("sk_test_", ALNUM, 24, 45);
  cleanup_free char *t6 = fmt("STRIPE = '%s'\n", st);
  expect_miss("Stripe test key", t6);
  cleanup_free char *b40 = fake("", B64, 40, 46);
  cleanup_free char *t7 = fmt("checksum = %s\n", b40);
  expect_miss("40 base64 characters without an AWS name", t7);

  cleanup_free char *cert_body = fake("", B64, 64, 47);
  cleanup_free char *t8 = fmt("-----BEGIN CERTIFICATE-----\n%s\n%s\n-----END CERTIFICATE-----\n"
                              "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
                              cert_body, cert_body, cert_body);
  expect_miss("public certificate and public key", t8);
  expect_miss("documentation key", "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n");

  expect_miss("placeholder changeme", "password = \"changeme123\"\n");
  expect_miss("placeholder ${VAR}", "DB_PASSWORD = \"${DB_PASSWORD}\"\n");
  expect_miss("placeholder <...>", "api_key: \"<your-api-key>\"\n");
  expect_miss("placeholder xxxx", "token = 'xxxxxxxxxxxx'\n");
  expect_miss("placeholder in SECRET_KEY", "SECRET_KEY = 'change-me-in-production'\n");
  expect_miss("value from the environment", "password = os.environ[\"DB_PASSWORD\"]\n");
  expect_miss("value too short", "password = \"hunter2\"\n");
  expect_miss("comparison, not assignment", "if password == \"abcdefgh12\":\n");
  expect_miss("shell PWD", "PWD = \"/home/user/project\"\n");
  expect_miss("name continues past the keyword", "token_type = \"bearer_abcdefgh\"\n");
  expect_miss("prose with spaces", "password = \"Enter the password below\"\n");
}

static void test_masking_and_lines(void)
{
  /* Two secrets on one line: each finding's code masks both. */
  cleanup_free char *a = fake("", UPPER, 16, 50), *g = fake("", ALNUM, 36, 51);
  cleanup_free char *text = fmt("one\r\ntwo\r\nkeys = AKIA%s ghp_%s\r\n", a, g);
  struct results r;
  scan("etc/app.env", text, &r);
  is_int(r.n, 2, "two findings on one line");
  for (int i = 0; i < r.n; i++) {
    is_int(r.f[i].line, 3, "CRLF line counted (%s)", r.f[i].rule);
    ok(strstr(r.f[i].code, a) == NULL && strstr(r.f[i].code, g) == NULL, "both secrets masked in code (%s)",
       r.f[i].rule);
    ok(strchr(r.f[i].code, '\r') == NULL, "no carriage return in code");
  }
  if (r.n == 2) {
    is_str(r.f[0].match, "AKIA****************", "AWS match keeps the type prefix only");
    is_str(r.f[0].rule, "aws-access-key-id", "findings in file order");
  }

  /* A secret also matched by a generic rule is reported once, by the
   * specific rule. */
  cleanup_free char *t2 = fmt("api_token = \"ghp_%s\"\n", g);
  scan("app/x.py", t2, &r);
  is_int(r.n, 1, "overlapping rules report once");
  is_str(r.n ? r.f[0].rule : "", "github-pat", "the specific rule wins");

  /* Case-insensitive prefilter: an upper-case key still runs the rule. */
  cleanup_free char *t3 = fmt("\n\n\n\n\n\n\n\n\nMY_API_KEY=\"%s\"\n", g);
  scan("app/.env", t3, &r);
  is_int(r.n, 1, "upper-case name found");
  is_int(r.n ? r.f[0].line : 0, 10, "line 10");
  is_int(r.n ? r.f[0].sev : 0, PYOCI_SEV_HIGH, "severity HIGH");

  /* Control characters never reach the terminal. */
  cleanup_free char *t4 = fmt("\033[31mkey\033[0m = AKIA%s\n", a);
  scan("x", t4, &r);
  ok(r.n == 1 && strchr(r.f[0].code, '\033') == NULL, "escape characters replaced in code");

  /* A very long line is cut to a window around the secret, still masked. */
  strbuf_t sb = STRBUF_INIT;
  for (int i = 0; i < 5000; i++)
    strbuf_addstr(&sb, "abc;");
  strbuf_addf(&sb, " AKIA%s ", a);
  for (int i = 0; i < 5000; i++)
    strbuf_addstr(&sb, "xyz;");
  scan("static/app.min.js", strbuf_str(&sb), &r);
  ok(r.n == 1 && strlen(r.f[0].code) <= 512 && strstr(r.f[0].code, "AKIA****") != NULL,
     "long line: windowed code shows the masked key");
  strbuf_release(&sb);
}

static void test_binary_and_size(void)
{
  cleanup_free char *a = fake("", UPPER, 16, 60);
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "X%cY key=AKIA%s\n", 0, a);
  cleanup_error pyoci_error_t *err = NULL;
  struct results r = {0};
  is_int(pyoci_secret_scan_buffer("bin/tool", buf, (size_t)n, collect, &r, &err), 0, "binary content skipped");

  /* A NUL after the first 8 KiB does not make the file binary. */
  size_t len = 9000 + 40;
  cleanup_free char *big = malloc(len);
  memset(big, '\n', len);
  memcpy(big, "k = AKIA", 8);
  memcpy(big + 8, a, 16);
  big[9000] = '\0';
  memset(&r, 0, sizeof(r));
  is_int(pyoci_secret_scan_buffer("data.txt", big, len, collect, &r, &err), 1, "NUL after 8 KiB still scanned");

  /* Over 10 MiB: skipped. */
  size_t huge = PYOCI_SECRET_MAX_FILE + 1;
  cleanup_free char *h = malloc(huge);
  memset(h, ' ', huge);
  memcpy(h, "k = AKIA", 8);
  memcpy(h + 8, a, 16);
  memset(&r, 0, sizeof(r));
  is_int(pyoci_secret_scan_buffer("big.sql", h, huge, collect, &r, &err), 0, "file over 10 MiB skipped");
}

static void test_paths(void)
{
  const char *allowed[] = {
      "app/tests/test_login.py", "/src/test/keys.py", "srv/testdata/id_rsa", "README.md", "docs/setup.txt",
      "usr/share/doc/python3/README", "usr/lib/python3.11/ssl.py", "usr/local/lib/python3.9/smtplib.py",
      "usr/lib/python3/dist-packages/botocore/data/x.json",
      "root/.local/lib/python3.9/site-packages/boto3/examples/a.py", "app/node_modules/x/index.js",
      "./app/examples/settings.py", "opt/app/CHANGES.RST",
  };
  const char *scanned[] = {
      "app/config.py", "etc/app/secrets.env", "root/.ssh/id_rsa", "usr/lib/python3x/foo.py", "app/tests.py",
      "app/testing/conf.py", "usr/local/bin/run.sh", "home/app/.aws/credentials", "app/md", "latest/x",
  };
  for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
    ok(pyoci_secret_path_allowed(allowed[i]), "allowed: %s", allowed[i]);
  for (size_t i = 0; i < sizeof(scanned) / sizeof(scanned[0]); i++)
    ok(!pyoci_secret_path_allowed(scanned[i]), "scanned: %s", scanned[i]);
}

static void write_file(const char *dir, const char *rel, const char *content, size_t len)
{
  cleanup_free char *p = pyoci_path_join(dir, rel);
  cleanup_free char *parent = strdup(p);
  *strrchr(parent, '/') = '\0';
  pyoci_mkdir_p(parent, 0755, NULL);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    pyoci_write_all(fd, content, len, p, NULL);
    close(fd);
  }
}

static void test_dir(void)
{
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL, *outside = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-secret-", &dir, &err) < 0 || pyoci_mkdtemp(NULL, "pyoci-out-", &outside, &err) < 0) {
    ok(0, "mkdtemp: %s", err->msg);
    return;
  }
  cleanup_free char *a = fake("", UPPER, 16, 70);
  cleanup_free char *line = fmt("x = 1\nKEY = 'AKIA%s'\n", a);
  write_file(dir, "app/config.py", line, strlen(line));
  write_file(dir, "app/tests/conf.py", line, strlen(line));
  write_file(dir, "README.md", line, strlen(line));
  char bin[64];
  int n = snprintf(bin, sizeof(bin), "%c%cAKIA%s", 0x7f, 0, a);
  write_file(dir, "usr/bin/tool", bin, (size_t)n);
  write_file(outside, "leak.txt", line, strlen(line));
  cleanup_free char *target = pyoci_path_join(outside, "leak.txt");
  cleanup_free char *link = pyoci_path_join(dir, "app/link.txt");
  ok(symlink(target, link) == 0, "symlink to a file outside the tree");
  cleanup_free char *dlink = pyoci_path_join(dir, "outside");
  ok(symlink(outside, dlink) == 0, "symlink to a directory outside the tree");

  struct results r = {0};
  int got = pyoci_secret_scan_dir(dir, collect, &r, &err);
  is_int(got, 1, "directory scan: one finding (tests, docs, binary, symlinks skipped)");
  is_str(r.n ? r.f[0].path : "", "app/config.py", "path relative to the directory");
  is_int(r.n ? r.f[0].line : 0, 2, "line 2");
  is_int(r.n ? r.f[0].layer_index : 0, -1, "no layer for a directory scan");

  is_int(pyoci_secret_scan_dir("/nonexistent-pyoci-dir", collect, &r, &err), -1, "missing directory fails");
  ok(err && strstr(err->msg, "/nonexistent-pyoci-dir") != NULL, "error names the directory");
  pyoci_rm_rf(dir, NULL);
  pyoci_rm_rf(outside, NULL);
}

static void test_rules_table(void)
{
  size_t n;
  const pyoci_secret_rule_t *rules = pyoci_secret_rules(&n);
  ok(n >= 15, "at least 15 rules (%zu)", n);
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    if (rules[i].keywords[0] == NULL || rules[i].severity == PYOCI_SEV_UNKNOWN)
      bad++;
    for (size_t k = 0; k < PYOCI_SECRET_MAX_KEYWORDS && rules[i].keywords[k]; k++)
      for (const char *c = rules[i].keywords[k]; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
          bad++;
    for (size_t j = 0; j < i; j++)
      if (strcmp(rules[i].id, rules[j].id) == 0)
        bad++;
  }
  is_int(bad, 0, "every rule has lowercase keywords, a severity and a unique id");
}


/* Two layers made by python3's tarfile (an independent tar writer): layer 1
 * adds app/config.py with a key, layer 2 deletes it with a whiteout and adds
 * another secret.  Each layer is scanned on its own, so the deleted key is
 * still reported, with layer 0; the whiteout itself is not a file to scan. */
static const char mk_layers_py[] =
    "import io, sys, tarfile\n"
    "d, key1, key2 = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "def add(t, name, data, typ=tarfile.REGTYPE, link=''):\n"
    "    i = tarfile.TarInfo(name); i.size = len(data); i.type = typ; i.mode = 0o644; i.linkname = link\n"
    "    t.addfile(i, io.BytesIO(data))\n"
    "with tarfile.open(d + '/l1.tar', 'w', format=tarfile.PAX_FORMAT) as t:\n"
    "    i = tarfile.TarInfo('app'); i.type = tarfile.DIRTYPE; i.mode = 0o755; t.addfile(i)\n"
    "    add(t, 'app/config.py', ('import os\\nDEBUG = False\\nAWS_KEY = \"AKIA' + key1 + '\"\\n').encode())\n"
    "    add(t, 'app/tests/test_config.py', ('K = \"AKIA' + key1 + '\"\\n').encode())\n"
    "    add(t, 'usr/bin/tool', b'\\x7fELF\\x00\\x00AKIA' + key1.encode())\n"
    "    add(t, 'app/link.py', b'', tarfile.SYMTYPE, 'config.py')\n"
    "with tarfile.open(d + '/l2.tar.gz', 'w:gz', format=tarfile.GNU_FORMAT) as t:\n"
    "    add(t, 'app/.wh.config.py', b'')\n"
    "    add(t, 'etc/app/' + 'x' * 120 + '.env', ('\\n\\n\\nGITHUB_TOKEN=ghp_' + key2 + '\\n').encode())\n";

static int scan_layer_file(const char *path, int index, const char *digest, struct results *r, pyoci_error_t **err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return pyoci_error_set(err, errno, "open '%s'", path);
  pyoci_tar_reader_t *rd = NULL;
  if (pyoci_tar_reader_open(fd, path, &rd, err) < 0)
    return -1;
  int n = pyoci_secret_scan_layer(rd, index, digest, collect, r, err);
  pyoci_tar_reader_free(rd);
  return n;
}

static void test_layers(void)
{
  if (system("python3 -c 'import tarfile' >/dev/null 2>&1") != 0) {
    ok(1, "# SKIP python3 not available to write test layers");
    return;
  }
  cleanup_error pyoci_error_t *err = NULL;
  cleanup_free char *dir = NULL;
  if (pyoci_mkdtemp(NULL, "pyoci-secret-layers-", &dir, &err) < 0) {
    ok(0, "mkdtemp: %s", err->msg);
    return;
  }
  cleanup_free char *k1 = fake("", UPPER, 16, 90), *k2 = fake("", ALNUM, 36, 91);
  cleanup_free char *script = pyoci_path_join(dir, "mk.py");
  write_file(dir, "mk.py", mk_layers_py, strlen(mk_layers_py));
  cleanup_free char *cmd = fmt("python3 '%s' '%s' '%s' '%s'", script, dir, k1, k2);
  is_int(system(cmd), 0, "python3 tarfile wrote two layers");

  cleanup_free char *l1 = pyoci_path_join(dir, "l1.tar"), *l2 = pyoci_path_join(dir, "l2.tar.gz");
  struct results r = {0};
  const char *d1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  is_int(scan_layer_file(l1, 0, d1, &r, &err), 1, "layer 1: one finding (tests dir, binary, symlink skipped)");
  is_str(r.f[0].path, "app/config.py", "layer 1: the file that layer 2 deletes is still reported");
  is_int(r.f[0].layer_index, 0, "layer 1: layer index 0");
  is_int(r.f[0].line, 3, "layer 1: line 3");
  is_str(r.f[0].match, "AKIA****************", "layer 1: masked");

  struct results r2 = {0};
  is_int(scan_layer_file(l2, 1, "sha256:22", &r2, &err), 1, "layer 2 (gzip): one finding, the whiteout is not scanned");
  ok(r2.n == 1 && strncmp(r2.f[0].path, "etc/app/xxxx", 12) == 0 && strlen(r2.f[0].path) == 8 + 120 + 4,
     "layer 2: long (GNU longname) path read whole");
  is_int(r2.n ? r2.f[0].layer_index : -9, 1, "layer 2: layer index 1");
  is_int(r2.n ? r2.f[0].line : 0, 4, "layer 2: line 4");

  /* A truncated layer is an error naming it, not a silent partial scan. */
  cleanup_free char *cut = pyoci_path_join(dir, "cut.tar");
  cleanup_free char *whole = NULL;
  size_t len = 0;
  if (pyoci_read_file(l1, 1 << 20, &whole, &len, &err) == 0)
    write_file(dir, "cut.tar", whole, 700);
  pyoci_error_release(&err);
  struct results r3 = {0};
  is_int(scan_layer_file(cut, 0, d1, &r3, &err), -1, "truncated layer fails");
  ok(err && strstr(err->msg, "cut.tar"), "error names the layer (%s)", err ? err->msg : "");
  pyoci_rm_rf(dir, NULL);
}

static int stop_cb(const pyoci_secret_finding_t *f, void *ctx, pyoci_error_t **err)
{
  return pyoci_error_set(err, 0, "stop at %s", f->rule_id);
}

static void test_callback_stop(void)
{
  cleanup_free char *a = fake("", UPPER, 16, 80);
  cleanup_free char *t = fmt("AKIA%s\nAKIA%s\n", a, a);
  cleanup_error pyoci_error_t *err = NULL;
  is_int(pyoci_secret_scan_buffer("x", t, strlen(t), stop_cb, NULL, &err), -1, "callback error stops the scan");
  is_str(err ? err->msg : "", "stop at aws-access-key-id", "callback's error is passed up");
}

int main(void)
{
  test_rules_table();
  test_token_rules();
  test_private_keys();
  test_assignments();
  test_near_misses();
  test_masking_and_lines();
  test_binary_and_size();
  test_paths();
  test_dir();
  test_layers();
  test_callback_stop();
  return done_testing();
}
