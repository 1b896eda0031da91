/* Pieces both SBOM writers share: deterministic ids and times. */
#include "sbom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util/hash.h"
#include "lib/util/json.h"
#include "lib/util/settings.h"
#include "lib/util/strbuf.h"

int64_t pyoci_sbom_now(void)
{
  int64_t v = pyoci_settings()->source_date_epoch;
  return v >= 0 ? v : (int64_t)time(NULL);
}

void pyoci_sbom_uuid(const char *seed, char out[37])
{
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(seed, strlen(seed), d);
  const char *h = d + 7;
  char x[33];
  memcpy(x, h, 32);
  x[32] = '\0';
  x[12] = '5'; /* version: name-based */
  static const char variant[] = "89ab";
  x[16] = variant[strtol((char[]){x[16], 0}, NULL, 16) & 3];
  snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", x, x + 8, x + 12, x + 16, x + 20);
}

char *pyoci_sbom_seed(const pyoci_catalog_result_t *r, const pyoci_sbom_subject_t *s)
{
  strbuf_t sb = STRBUF_INIT;
  if (s->digest != NULL) {
    strbuf_addf(&sb, "image\n%s\n", s->digest);
    return strbuf_detach(&sb);
  }
  strbuf_addf(&sb, "directory\n%s\n", s->name);
  for (size_t i = 0; i < r->n_packages; i++)
    strbuf_addf(&sb, "%s %s\n", r->packages[i].purl, r->packages[i].origin);
  return strbuf_detach(&sb);
}

void pyoci_sbom_time(int64_t t, char out[32])
{
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void pyoci_sbom_pkg_id(const pyoci_pkg_t *p, char out[17])
{
  cleanup_strbuf strbuf_t sb = STRBUF_INIT;
  strbuf_addf(&sb, "%s\n%s\n%d", p->purl, p->origin, p->layer_index);
  char d[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(sb.buf, sb.len, d);
  memcpy(out, d + 7, 16);
  out[16] = '\0';
}

char *pyoci_sbom_dump(json_t *doc)
{
  return pyoci_json_dump_text(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
}
