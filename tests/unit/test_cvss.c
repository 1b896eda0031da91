/* CVSS v3 base scores against values published by FIRST/NVD for the same
 * vectors, the qualitative scale, and the vector parser's rejections. */
#include <math.h>
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

int main(void)
{
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
