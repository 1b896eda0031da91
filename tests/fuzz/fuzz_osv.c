/* libFuzzer harness: the OSV record parser, the stored-ranges round trip,
 * range evaluation on what was parsed, the import-time bound check and the
 * CVSS vector parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/vuln/cvss.h"
#include "lib/vuln/osv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  pyoci_error_t *err = NULL;
  pyoci_osv_record_t *r = pyoci_osv_parse((const char *)data, size, "fuzz.json", &err);
  if (r == NULL) {
    if (err == NULL || strstr(err->msg, "fuzz.json") == NULL)
      abort(); /* every rejection names the source */
    pyoci_error_free(err);
    return 0;
  }
  for (size_t i = 0; i < r->n_severity; i++) {
    double score;
    if (pyoci_cvss3_base_score(r->severity[i].score, &score, NULL) == 0 && (score < 0 || score > 10))
      abort();
  }
  for (size_t i = 0; i < r->n_affected; i++) {
    pyoci_osv_affected_t *a = &r->affected[i];
    json_t *j = pyoci_osv_ranges_to_json(a);
    pyoci_osv_range_t *back = NULL;
    size_t n = 0;
    if (pyoci_osv_ranges_from_json(j, "fuzz", &back, &n, NULL) < 0)
      abort(); /* what we store must read back */
    json_decref(j);
    const char *probe[] = {"0", "1.0", "2.36-9+deb12u3", "1.36.1-r1"};
    const char *eco = a->ecosystem ? a->ecosystem : "PyPI";
    for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
      pyoci_osv_eval_t ev;
      if (pyoci_osv_evaluate(eco, back, n, a->versions, a->n_versions, probe[k], &ev, NULL) < 0)
        abort();
      if (ev.fixed != NULL && !ev.affected)
        abort();
      free(ev.fixed);
    }
    for (size_t k = 0; k < a->n_versions && k < 8; k++) {
      pyoci_osv_eval_t ev;
      if (pyoci_osv_evaluate(eco, back, n, a->versions, a->n_versions, a->versions[k], &ev, NULL) < 0 || !ev.affected)
        abort(); /* a listed version is always affected */
      free(ev.fixed);
    }
    pyoci_osv_ranges_free(back, n);
    /* import-time bound check: after it, a lenient rewrite is readable */
    size_t lenient = 0;
    char *why = NULL;
    int rc = pyoci_osv_check_bounds(eco, a, &lenient, &why);
    if ((rc < 0) != (why != NULL))
      abort();
    free(why);
  }
  pyoci_osv_record_free(r);
  return 0;
}
