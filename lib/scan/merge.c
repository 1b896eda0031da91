/* One row per vulnerability per package.
 *
 * OSV's PyPI export holds a GHSA and a PYSEC record for most
 * vulnerabilities, each aliasing the same CVE (and often each other); a
 * scan that printed both would show every problem twice, with fixed
 * versions and severities that disagree.  As trivy does, the records that
 * name each other (their IDs or aliases meet, transitively) are one row:
 *
 *   ID        the smallest CVE among the records' IDs and aliases, else the
 *             severity source's ID
 *   aliases   every other ID and alias of the group, sorted
 *   severity  from the first record in this order (documented in
 *             docs/pyoci-scan.md): a known severity before UNKNOWN; then
 *             the source rank below (GHSA, the distribution, PYSEC, other);
 *             then a CVSS-vector score before a label; then by ID
 *   fixed     the union of every record's fixed versions
 *   title, URL, CVSS   from the severity source */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "lib/util/utf8.h"
#include "lib/vuln/osv.h"
#include "lib/vuln/vercmp.h"
#include "scan_int.h"

/* The reviewed advisory databases first: GHSA, then the distributions',
 * then PyPA's PYSEC, then anything else. */
static int source_rank(const char *id)
{
  static const char *const prefixes[] = {"GHSA-", "DSA-", "DLA-", "DEBIAN-", "ALPINE-", "PYSEC-", NULL};
  for (int i = 0; prefixes[i] != NULL; i++)
    if (strncmp(id, prefixes[i], strlen(prefixes[i])) == 0)
      return i;
  return 100;
}

const char *pyoci_scan_severity_source(const pyoci_scan_vuln_t *v)
{
  static const char *const names[] = {"ghsa", "debian", "debian", "debian", "alpine", "pysec"};
  int r = source_rank(v->source_id ? v->source_id : v->id);
  return r < (int)(sizeof(names) / sizeof(names[0])) ? names[r] : "osv";
}

char *pyoci_scan_aliases_text(const pyoci_scan_vuln_t *v)
{
  cleanup_json json_t *a = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  strbuf_t sb = STRBUF_INIT;
  strbuf_addstr(&sb, "");
  size_t i;
  json_t *x;
  if (json_is_array(a))
    json_array_foreach(a, i, x) if (json_is_string(x)) strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", json_string_value(x));
  return strbuf_detach(&sb);
}

/* Lower is better: vector-scored, label, unknown. */
static int evidence_rank(const pyoci_scan_vuln_t *v)
{
  if (v->cvss_vector != NULL && v->cvss_score >= 0)
    return 0;
  return v->severity != PYOCI_SEV_UNKNOWN ? 1 : 2;
}

bool pyoci_scan_better_source(const pyoci_scan_vuln_t *a, const pyoci_scan_vuln_t *b)
{
  bool ka = a->severity != PYOCI_SEV_UNKNOWN, kb = b->severity != PYOCI_SEV_UNKNOWN;
  if (ka != kb)
    return ka;
  int ra = source_rank(a->id), rb = source_rank(b->id);
  if (ra != rb)
    return ra < rb;
  int ea = evidence_rank(a), eb = evidence_rank(b);
  if (ea != eb)
    return ea < eb;
  return strcmp(a->id, b->id) < 0;
}

typedef struct {
  char **v;
  size_t n;
} names_t;

static void names_add(names_t *s, const char *x)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->v[i], x) == 0)
      return;
  s->v = xrealloc(s->v, (s->n + 1) * sizeof(char *));
  s->v[s->n] = xstrdup(x);
  s->n++;
}

static void names_free(names_t *s)
{
  for (size_t i = 0; i < s->n; i++)
    free(s->v[i]);
  free(s->v);
}

/* A record's own ID plus its aliases. */
static void names_of(const pyoci_scan_vuln_t *v, names_t *out)
{
  names_add(out, v->id);
  cleanup_json json_t *a = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  size_t i;
  json_t *x;
  if (json_is_array(a))
    json_array_foreach(a, i, x) if (json_is_string(x)) names_add(out, json_string_value(x));
}

static bool names_meet(const names_t *a, const names_t *b)
{
  for (size_t i = 0; i < a->n; i++)
    for (size_t j = 0; j < b->n; j++)
      if (strcmp(a->v[i], b->v[j]) == 0)
        return true;
  return false;
}

static size_t find(size_t *parent, size_t i)
{
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fold group members (indices in idx[0..n)) into v[idx[best]]. */
static size_t fold(pyoci_scan_vuln_t *v, const size_t *idx, size_t n, const pyoci_verscheme_t *scheme)
{
  size_t best = idx[0];
  for (size_t k = 1; k < n; k++)
    if (pyoci_scan_better_source(&v[idx[k]], &v[best]))
      best = idx[k];
  pyoci_scan_vuln_t *dst = &v[best];
  names_t all = {0}, records = {0};
  char *fixed = NULL;
  for (size_t k = 0; k < n; k++) {
    const pyoci_scan_vuln_t *x = &v[idx[k]];
    names_of(x, &all);
    names_add(&records, x->source_id ? x->source_id : x->id);
    char *m = pyoci_fixed_list_merge(scheme, fixed, x->fixed);
    free(fixed);
    fixed = m;
    if (dst->title[0] == '\0' && x->title[0] != '\0') {
      free(dst->title);
      dst->title = xstrdup(x->title);
    }
  }
  if (all.n > 1)
    qsort(all.v, all.n, sizeof(char *), cmp_str);
  if (records.n > 1)
    qsort(records.v, records.n, sizeof(char *), cmp_str);
  const char *row = NULL;
  for (size_t i = 0; i < all.n && row == NULL; i++)
    if (strncmp(all.v[i], "CVE-", 4) == 0)
      row = all.v[i];
  if (dst->source_id == NULL)
    dst->source_id = dst->id;
  else
    free(dst->id);
  dst->id = xstrdup(row ? row : dst->source_id);
  cleanup_json json_t *aliases = json_array(), *recs = json_array();
  for (size_t i = 0; i < all.n; i++)
    if (strcmp(all.v[i], dst->id) != 0)
      json_array_append_new(aliases, pyoci_json_string_lossy(all.v[i]));
  for (size_t i = 0; i < records.n; i++)
    json_array_append_new(recs, pyoci_json_string_lossy(records.v[i]));
  free(dst->aliases_json);
  free(dst->records_json);
  dst->aliases_json = pyoci_xcheck(json_dumps(aliases, JSON_COMPACT));
  dst->records_json = pyoci_xcheck(json_dumps(recs, JSON_COMPACT));
  free(dst->fixed);
  dst->fixed = fixed ? fixed : xstrdup("");
  names_free(&all);
  names_free(&records);
  return best;
}

size_t pyoci_scan_merge_aliases(pyoci_scan_vuln_t *v, size_t n, const char *ecosystem)
{
  if (n == 0)
    return 0;
  const pyoci_verscheme_t *scheme = pyoci_verscheme_for(ecosystem);
  names_t *names = xcalloc(n, sizeof(*names));
  size_t *parent = xcalloc(n, sizeof(size_t)), *idx = xcalloc(n, sizeof(size_t));
  bool *keep = xcalloc(n, sizeof(bool));
  for (size_t i = 0; i < n; i++) {
    parent[i] = i;
    names_of(&v[i], &names[i]);
  }
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (find(parent, i) != find(parent, j) && names_meet(&names[i], &names[j]))
        parent[find(parent, i)] = find(parent, j);
  for (size_t root = 0; root < n; root++) {
    if (find(parent, root) != root)
      continue;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (find(parent, i) == root)
        idx[m++] = i;
    keep[fold(v, idx, m, scheme)] = true;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    names_free(&names[i]);
    if (keep[i])
      v[k++] = v[i];
    else
      pyoci_scan_vuln_clear(&v[i]);
  }
  free(names);
  free(parent);
  free(idx);
  free(keep);
  return k;
}
