/* Version comparators: apk case table (pairs taken from apk-tools'
 * test/version.data, plus hand-derived ~hash and leading-zero cases),
 * dpkg and PEP 440 corner cases, SemVer precedence, validity rules.
 * The random cross-checks against dpkg and packaging are in t050-vercmp. */
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/vuln/vercmp.h"
#include "tap.h"

struct pair {
  const char *a;
  char op;
  const char *b;
};

static int sym(int r)
{
  return r < 0 ? '<' : r > 0 ? '>' : '=';
}

static void run_table(const char *name, int (*cmp)(const char *, const char *), const struct pair *t, size_t n)
{
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    int got = sym(cmp(t[i].a, t[i].b));
    int back = sym(cmp(t[i].b, t[i].a));
    int want_back = t[i].op == '<' ? '>' : t[i].op == '>' ? '<' : '=';
    if (got != t[i].op || back != want_back) {
      bad++;
      printf("#   %s: %s %c %s, got %c (reverse %c)\n", name, t[i].a, t[i].op, t[i].b, got, back);
    }
  }
  ok(bad == 0, "%s: %zu pairs (both directions)", name, n);
}

/* From apk-tools test/version.data (all valid versions). */
static const struct pair apk_upstream[] = {
    {"2.34", '>', "0.1.0_alpha"},     {"0.1.0_alpha", '=', "0.1.0_alpha"}, {"0.1.0_alpha", '<', "0.1.3_alpha"},
    {"0.1.0_alpha2", '>', "0.1.0_alpha"}, {"0.1.0_alpha", '<', "2.2.39-r1"}, {"2.2.39-r1", '>', "1.0.4-r3"},
    {"1.0.4-r3", '<', "1.0.4-r4"},    {"1.0.4-r4", '<', "1.6"},           {"1.1", '>', "1.1_alpha1"},
    {"1.2.1", '>', "1.2"},            {"1.2", '<', "1.3_alpha"},          {"1.3_alpha", '<', "1.3_alpha2"},
    {"0.7.0", '<', "0.8_beta1"},      {"0.8_beta1", '<', "0.8_beta2"},    {"3.10.18-r1", '>', "2.3.0b-r1"},
    {"2.3.0b-r1", '<', "2.3.0b-r2"},  {"0.12.3", '>', "0.12"},            {"0.12", '<', "0.13_beta1"},
    {"0.13_beta5", '>', "0.9.12"},    {"1.2.11", '<', "1.2.12.1"},        {"1.2.12.1", '<', "1.2.13"},
    {"0.2.0-r1", '<', "3.1_p16"},     {"3.1_p16", '<', "3.1_p17"},        {"1.06-r6", '<', "006"},
    {"006", '>', "1.0.0"},            {"1.2.2-r1", '>', "1.2.2"},         {"9.3.4-r2", '>', "9.3.4"},
    {"2.59", '<', "20050718-r1"},     {"3.9.8-r5", '>', "2.01.01_alpha10"}, {"1.0", '>', "0.99.3.20040818"},
    {"1.00_beta2", '>', "0.9.2"},     {"4.2.52_p2-r1", '<', "4.2.52_p4-r2"}, {"1.02.07", '<', "1.02.10-r1"},
    {"2.18.3-r10", '>', "1.05-r18"},  {"20060720", '>', "3.0.20060720"},  {"2.1.9.200602141850", '>', "1.6"},
    {"2.5.1-r8", '<', "2.5.1a-r1"},   {"20040401", '>', "2.0.0_rc3-r1"},  {"2.6.15.20060110", '<', "2.6.16.20060323"},
    {"3.9_pre20060124", '>', "0.01"}, {"1.1.7", '<', "6b-r7"},            {"0.10.0-r1", '>', "0.10.0"},
    {"0.10.0", '<', "0.10.1_rc1"},    {"1.1a", '<', "1.3a"},              {"1.0-r1", '>', "0.15.1b"},
    {"0.15.1b-r2", '>', "0.15.1b"},   {"22.7.3-r1", '>', "22.7"},         {"2.1_pre20", '<', "2.1_pre26"},
    {"2.10.1", '>', "02.08.01b"},     {"3.81", '>', "1.6d"},              {"1.2.07.8", '<', "1.2.12.04"},
    {"0.20070118", '<', "0.20070207_rc1"}, {"4.5_p1-r1", '>', "4.5_p1"},  {"0.9.8c-r1", '<', "0.9.8d"},
    {"3.0.3-r5", '<', "3.0.6"},       {"1.7", '<', "1.7b"},               {"1.8.5", '<', "1.8.5_p2"},
    {"2.9.11_pre20051101-r3", '>', "2.9.11_pre20051101"}, {"0.9.28.1", '>', "0.9.28"},
    {"0.9.28.1", '<', "087-r1"},      {"104-r11", '>', "104-r9"},         {"1.2.5_rc2", '>', "0.1"},
    {"2.12r-r4", '<', "2.12r-r5"},    {"7.0.17", '<', "7.0.174"},         {"1.6.8_p12-r1", '>', "1.6.8_p9-r2"},
    {"1.3-r0", '<', "1.3.1-r0"},      {"1.3_pre1-r1", '<', "1.3.2"},      {"1.0_p10-r0", '>', "1.0_p9-r0"},
    {"0.1.0_alpha_pre2", '<', "0.1.0_alpha"},
    {"1.0.0_pre20191002222144-r0", '<', "1.0.0_pre20210530193627-r0"},
};

/* Hand-derived from the token rules (see vercmp_apk.c):
 *  - a dotted number with a leading zero compares as a string;
 *  - suffix ranks alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p;
 *  - ~hash compares as a string;
 *  - where the two differ in the kind of their next token, the side whose
 *    token comes earlier in the grammar is newer (1.0~fff > 1.0-r0, and
 *    ending counts as the latest kind: 1.0 < 1.0~abc), unless that token
 *    is a pre-release suffix (1.0_rc1~abc < 1.0). */
static const struct pair apk_derived[] = {
    {"1.01", '<', "1.1"},         {"1.0", '<', "1.00"},          {"1.010", '>', "1.01"},
    {"1.0_alpha", '<', "1.0_beta"}, {"1.0_beta", '<', "1.0_pre"}, {"1.0_pre", '<', "1.0_rc"},
    {"1.0_rc", '<', "1.0"},       {"1.0", '<', "1.0_cvs"},       {"1.0_cvs", '<', "1.0_svn"},
    {"1.0_svn", '<', "1.0_git"},  {"1.0_git", '<', "1.0_hg"},    {"1.0_hg", '<', "1.0_p"},
    {"1.0_rc1", '<', "1.0_rc10"}, {"1.0a", '<', "1.0b"},         {"1.0z", '<', "1.0.1"},
    {"1.0~abc", '<', "1.0~abd"},  {"1.0~abc", '<', "1.0~abc1"},  {"1.0", '<', "1.0~abc"},
    {"1.0~abc", '<', "1.0~abc-r1"}, {"1.0~fff", '>', "1.0-r0"},  {"1.0_git20240101~0a1b", '>', "1.0"},
    {"1.0_rc1~abc", '<', "1.0"},  {"1.0-r1", '<', "1.0-r10"},    {"1.0-r0", '>', "1.0"},
    {"18446744073709551616", '<', "1"}, /* uint64 wraps, as in apk */
};

static void test_apk(void)
{
  run_table("apk upstream table", pyoci_apk_version_cmp, apk_upstream, sizeof(apk_upstream) / sizeof(apk_upstream[0]));
  run_table("apk derived table", pyoci_apk_version_cmp, apk_derived, sizeof(apk_derived) / sizeof(apk_derived[0]));
  /* apk's own "invalid, string sort" cases still order as apk orders them. */
  is_int(sym(pyoci_apk_version_cmp("1.0", "1.0bc")), '<', "apk: 1.0 < 1.0bc (invalid, as apk-tools)");
  is_int(sym(pyoci_apk_version_cmp("23_foo", "4_beta")), '>', "apk: 23_foo > 4_beta (invalid, as apk-tools)");
  static const char *const valid[] = {"1", "1.0", "1.0a", "1.0_alpha1_p2", "1.0~abc-r3", "1.2.3_rc1-r0", "006",
                                      "2.12r-r4", "1.0_git20240101~0a1b2c"};
  static const char *const invalid[] = {"", "a1", "1.0-r", "1.0bc", "1.0_foo", "1.0a1", "1..0", "1.0-x",
                                        "1.0-r1a", "1_alpha.1", "1.0~", "1.0~ABC", "1.0-r1~abc", "1.0_", "1.0 ",
                                        "v1.0", "1.0-r1-r2"};
  int bad = 0;
  for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
    if (pyoci_apk_version_check(valid[i], NULL) != 0) {
      bad++;
      printf("#   should be valid: '%s'\n", valid[i]);
    }
  for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
    if (pyoci_apk_version_check(invalid[i], NULL) == 0) {
      bad++;
      printf("#   should be invalid: '%s'\n", invalid[i]);
    }
  ok(bad == 0, "apk validity: %zu valid, %zu invalid", sizeof(valid) / sizeof(valid[0]),
     sizeof(invalid) / sizeof(invalid[0]));
  cleanup_error pyoci_error_t *err = NULL;
  pyoci_apk_version_check("1.0-x", &err);
  ok(err && strstr(err->msg, "invalid Alpine version '1.0-x'") && strstr(err->msg, "offset 3"),
     "apk: error names the version and the place: %s", err ? err->msg : "");
}

static const struct pair deb_cases[] = {
    {"1.0", '>', "1.0~rc1"},  {"1.0~rc1", '>', "1.0~~"},   {"1.0", '=', "1.0-0"},    {"1.0", '=', "0:1.0"},
    {"1:0.1", '>', "9.9"},    {"1.0a", '<', "1.0+"},       {"1.0a", '>', "1.0"},     {"1.0A", '<', "1.0a"},
    {"1.01", '=', "1.1"},     {"1.0-1", '<', "1.0-1.1"},   {"1.0-1~bpo1", '<', "1.0-1"}, {"2.36-9+deb12u3", '>', "2.36-9+deb12u2"},
    {"3.0.11-1~deb12u2", '<', "3.0.11-1"}, {"1-2-3", '>', "1-2"}, {"1.0 ", '=', "1.0"}, {"10:1", '>', "9:99"},
    {"1.0.0", '>', "1.0"},    {"1.0+b1", '>', "1.0"},      {"99999999999999999999999", '>', "99999999999999999999998"},
};

static void test_deb(void)
{
  run_table("deb cases", pyoci_deb_version_cmp, deb_cases, sizeof(deb_cases) / sizeof(deb_cases[0]));
  static const struct {
    const char *v, *msg;
  } bad[] = {
      {"", "version string is empty"},
      {"1.0 x", "version string has embedded spaces"},
      {":1.0", "epoch in version is empty"},
      {"1a:1.0", "epoch in version is not number"},
      {"a:1.0", "epoch in version is empty"},
      {"-1:1.0", "epoch in version is negative"},
      {"99999999999:1.0", "epoch in version is too big"},
      {"1:", "nothing after colon in version number"},
      {"1.0-", "revision number is empty"},
      {"-1", "version number is empty"},
      {"a1.0", "version number does not start with digit"},
      {"1.0_1", "invalid character in version number"},
      {"1.0-1_1", "invalid character in revision number"},
      {"1:1.0:2-1", NULL}, /* valid: colons are allowed once there is an epoch */
  };
  int fails = 0;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    cleanup_error pyoci_error_t *err = NULL;
    int r = pyoci_deb_version_check(bad[i].v, &err);
    if (bad[i].msg == NULL ? r != 0 : (r == 0 || strstr(err->msg, bad[i].msg) == NULL)) {
      fails++;
      printf("#   '%s': got %s\n", bad[i].v, err ? err->msg : "valid");
    }
  }
  ok(fails == 0, "deb: dpkg's parseversion messages for %zu cases", sizeof(bad) / sizeof(bad[0]));
}

static const struct pair pep_cases[] = {
    {"1.0.dev0", '<', "1.0a0"},     {"1.0a0", '<', "1.0b0"},          {"1.0b0", '<', "1.0rc0"},
    {"1.0rc0", '<', "1.0"},         {"1.0", '<', "1.0.post0"},        {"1.0.post0.dev0", '<', "1.0.post0"},
    {"1.0a1.dev1", '<', "1.0a1"},   {"1.0a1.post1.dev1", '<', "1.0a1.post1"}, {"1.0", '=', "1.0.0.0"},
    {"1.0", '=', "v1.0"},           {"1.0c1", '=', "1.0rc1"},         {"1.0pre1", '=', "1.0rc1"},
    {"1.0preview1", '=', "1.0RC1"}, {"1.0-1", '=', "1.0.post1"},      {"1.0r", '=', "1.0.post0"},
    {"1.0rev2", '=', "1.0-post-2"}, {"1!0.1", '>', "2.0"},            {"0!1.0", '=', "1.0"},
    {"1.0", '<', "1.0+local"},      {"1.0+abc", '<', "1.0+1"},        {"1.0+1", '<', "1.0+2"},
    {"1.0+abc.1", '<', "1.0+abc.2"}, {"1.0+abc", '<', "1.0+abc.0"},   {"1.0+ABC", '=', "1.0+abc"},
    {"1.0+1-2_3", '=', "1.0+1.2.3"}, {"1.0+01", '=', "1.0+1"},        {"1.0+abc", '<', "1.0+abd"},
    {"1.0.dev456", '<', "1.0a1"},   {"1.1.dev1", '<', "1.1a1"},       {" 1.0\t", '=', "1.0"},
    {"1.0a.", '=', "1.0a0"},        {"1.0a--post1", '=', "1.0a0.post1"}, {"1.0a-1", '=', "1.0a1"},
    {"100000000000000000000000000001", '>', "100000000000000000000000000000"},
};

static void test_pep440(void)
{
  run_table("pep440 cases", pyoci_pep440_cmp, pep_cases, sizeof(pep_cases) / sizeof(pep_cases[0]));
  static const char *const invalid[] = {"", "1.0.", "1..0", "abc", "1.0+", "1.0_1", "1.0.dev1.post1", "1.0-",
                                        "v", "1.0prev1", "1.0+a..b", "1!", "1.0 a", "1.0é"};
  int bad = 0;
  for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
    if (pyoci_pep440_check(invalid[i], NULL) == 0) {
      bad++;
      printf("#   should be invalid: '%s'\n", invalid[i]);
    }
  ok(bad == 0, "pep440: %zu invalid versions rejected", sizeof(invalid) / sizeof(invalid[0]));
  static const struct {
    const char *in, *out;
  } norm[] = {
      {"1.0", "1.0"},         {"V1.0-ALPHA", "1.0a0"}, {"1.0-1", "1.0.post1"}, {"00!01.002", "1.2"},
      {"1.0.rev.DEV", "1.0.post0.dev0"}, {"1.0+Ubuntu-1", "1.0+ubuntu.1"}, {"2!1.0c3", "2!1.0rc3"},
  };
  bad = 0;
  for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
    cleanup_free char *n = pyoci_pep440_normalize(norm[i].in, NULL);
    if (n == NULL || strcmp(n, norm[i].out) != 0) {
      bad++;
      printf("#   normalize '%s': got '%s', want '%s'\n", norm[i].in, n ? n : "(error)", norm[i].out);
    }
  }
  ok(bad == 0, "pep440: normal forms");
  cleanup_free char *a = pyoci_pep503_normalize("Foo__Bar.-baz");
  is_str(a, "foo-bar-baz", "PEP 503 name normalisation");
}

static const struct pair semver_cases[] = {
    {"1.0.0-alpha", '<', "1.0.0-alpha.1"}, {"1.0.0-alpha.1", '<', "1.0.0-alpha.beta"},
    {"1.0.0-alpha.beta", '<', "1.0.0-beta"}, {"1.0.0-beta", '<', "1.0.0-beta.2"},
    {"1.0.0-beta.2", '<', "1.0.0-beta.11"}, {"1.0.0-beta.11", '<', "1.0.0-rc.1"},
    {"1.0.0-rc.1", '<', "1.0.0"},          {"1.0.0+build", '=', "1.0.0"},
    {"2.0.0", '>', "1.10.0"},              {"v1.2", '=', "1.2.0"},
};

static void test_semver_and_dispatch(void)
{
  run_table("semver cases", pyoci_semver_cmp, semver_cases, sizeof(semver_cases) / sizeof(semver_cases[0]));
  ok(pyoci_semver_check("1.0.0-", NULL) < 0 && pyoci_semver_check("1.x", NULL) < 0, "semver: invalid rejected");
  ok(pyoci_verscheme_for("Debian:12") == &pyoci_scheme_deb && pyoci_verscheme_for("Ubuntu:22.04:LTS") == &pyoci_scheme_deb &&
         pyoci_verscheme_for("Alpine:v3.18") == &pyoci_scheme_apk && pyoci_verscheme_for("PyPI") == &pyoci_scheme_pep440 &&
         pyoci_verscheme_for("pypi") == &pyoci_scheme_pep440 && pyoci_verscheme_for("npm") == NULL &&
         pyoci_verscheme_for("Debianish") == NULL,
     "scheme lookup by name and OSV ecosystem");
  int r = 7;
  cleanup_error pyoci_error_t *err = NULL;
  ok(pyoci_vercmp("Debian:12", "1.0", "1.0~", &r, &err) == 0 && r == 1, "pyoci_vercmp dispatches");
  ok(pyoci_vercmp("npm", "1", "2", &r, &err) < 0 && err->code == PYOCI_E_INVALID, "unknown ecosystem is an error");
}

int main(void)
{
  test_apk();
  test_deb();
  test_pep440();
  test_semver_and_dispatch();
  return done_testing();
}
