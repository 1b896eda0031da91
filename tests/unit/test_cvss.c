/* CVSS v3 base scores against values published by FIRST/NVD for the same
 * vectors, the qualitative scale, and the vector parser's rejections. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vuln/cvss.h"
#include "tap.h"

static void score_is(const char *vector, double want)
{
  double got = -1;
  pyoci_error_t *err = NULL;
  int r = pyoci_cvss3_base_score(vector, &got, &err);
  ok(r == 0 && fabs(got - want) < 1e-9, "%s = %.1f (got %.1f%s%s)", vector, want, got, err ? ": " : "",
     err ? err->msg : "");
  pyoci_error_free(err);
}

static void invalid(const char *vector, const char *why)
{
  double got;
  pyoci_error_t *err = NULL;
  int r = pyoci_cvss3_base_score(vector, &got, &err);
  ok(r < 0 && err && strstr(err->msg, why) && strstr(err->msg, vector), "rejects '%s': %s", vector,
     err ? err->msg : "accepted");
  pyoci_error_free(err);
}

/* Every vector of one file of tests/data/cvss4 (its README names where
 * each file comes from) scores as FIRST's calculator says. */
static void vector_file(const char *name)
{
  const char *top = getenv("PYOCI_TOP");
  char path[4096];
  snprintf(path, sizeof(path), "%s/tests/data/cvss4/%s", top && *top ? top : ".", name);
  FILE *f = fopen(path, "r");
  ok(f != NULL, "open %s", path);
  if (f == NULL)
    return;
  char line[512], first_bad[600] = "";
  int n = 0, bad = 0;
  while (fgets(line, sizeof(line), f)) {
    char *sep = strstr(line, " - ");
    if (sep == NULL)
      continue;
    *sep = '\0';
    const char *num = sep + 3;
    if (*num == '(')
      num++;
    double want = strtod(num, NULL), got = -1;
    n++;
    if (pyoci_cvss4_score(line, &got, NULL) < 0 || fabs(got - want) > 1e-9) {
      if (bad++ == 0)
        snprintf(first_bad, sizeof(first_bad), "%s: got %.1f, want %.1f", line, got, want);
    }
  }
  fclose(f);
  ok(n > 0 && bad == 0, "%s: %d vectors, %d wrong%s%s", name, n, bad, bad ? "; first: " : "", first_bad);
}

static void cvss4(void)
{
  vector_file("vectors_simple4");
  vector_file("vectors_threat4");
  vector_file("vectors_security4");
  double s = -1;
  /* Modified metrics replace the base ones and supplemental metrics change
   * nothing: the first vector of vectors_simple4 (9.2, RedHatProductSecurity/
   * cvss tests/vectors_simple4 line 1) written as modified values over a
   * no-impact base. */
  ok(pyoci_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MVC:L/MVI:H/MVA:L/MSI:H/MSA:L/"
                       "S:P/U:Red",
                       &s, NULL) == 0 &&
         fabs(s - 9.2) < 1e-9,
     "modified impacts count, supplemental metrics do not (%.1f)", s);
  pyoci_error_t *err = NULL;
  ok(pyoci_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N", &s, &err) < 0 && err &&
         strstr(err->msg, "missing base metric"),
     "a missing base metric is an error");
  pyoci_error_free(err);
  err = NULL;
  ok(pyoci_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", &s, &err) < 0 && err &&
         strstr(err->msg, "bad metric value"),
     "SI:S is only a modified value");
  pyoci_error_free(err);
  err = NULL;
  ok(pyoci_cvss4_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s, &err) < 0, "a v3 vector is not v4");
  pyoci_error_free(err);
}

int main(void)
{
  cvss4();
  score_is("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8);
  score_is("AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0);
  score_is("AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5);
  score_is("AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1);
  score_is("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1);
  score_is("CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 5.4);
  score_is("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8);
  score_is("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1);
  score_is("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5);
  score_is("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3);
  score_is("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6);
  score_is("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0);
  score_is("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8);

  invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing base metric");
  invalid("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "repeated metric");
  invalid("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "bad metric value");
  invalid("CVSS:3.1/XX:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown metric");
  invalid("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unsupported version");
  invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "trailing");
  invalid("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:", "empty metric value");

  is_str(pyoci_severity_from_score(0.0), "LOW", "0.0 is shown as LOW");
  is_str(pyoci_severity_from_score(3.9), "LOW", "3.9 LOW");
  is_str(pyoci_severity_from_score(4.0), "MEDIUM", "4.0 MEDIUM");
  is_str(pyoci_severity_from_score(6.9), "MEDIUM", "6.9 MEDIUM");
  is_str(pyoci_severity_from_score(7.0), "HIGH", "7.0 HIGH");
  is_str(pyoci_severity_from_score(8.9), "HIGH", "8.9 HIGH");
  is_str(pyoci_severity_from_score(9.0), "CRITICAL", "9.0 CRITICAL");
  is_str(pyoci_severity_from_score(10.0), "CRITICAL", "10.0 CRITICAL");
  is_str(pyoci_severity_from_label("MODERATE"), "MEDIUM", "GHSA MODERATE is MEDIUM");
  is_str(pyoci_severity_from_label("unimportant"), "LOW", "Debian unimportant is LOW");
  is_str(pyoci_severity_from_label("negligible"), "LOW", "Ubuntu negligible is LOW");
  is_str(pyoci_severity_from_label("high"), "HIGH", "labels are case-insensitive");
  ok(pyoci_severity_from_label("not yet assigned") == NULL, "Debian 'not yet assigned' means unknown");
  return done_testing();
}
