/* VEX: statements that a product is not affected by a vulnerability, read
 * from OpenVEX (https://github.com/openvex/spec) or CycloneDX VEX
 * (a CycloneDX document's "vulnerabilities" with "analysis"), applied as
 * trivy's --vex does.
 *
 *   OpenVEX      statements[].vulnerability (a string, or {"name", "aliases"}),
 *                products[] and their subcomponents[] ("@id" purls, or
 *                strings), status not_affected or fixed
 *   CycloneDX    vulnerabilities[].id (+ references[].id), affects[].ref
 *                (a purl, or a bom-ref of the document's components,
 *                resolved to its purl), analysis.state not_affected,
 *                false_positive or resolved
 *
 * A statement suppresses a finding when it names the finding's ID or one
 * of its aliases and a purl that matches the finding's package: same type,
 * namespace and name; the version when the statement gives one; each
 * qualifier the statement gives.  Suppressed findings leave the report's
 * rows and are listed, with the statement, in JSON's ModifiedFindings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "scan_int.h"

static char *dup_str(const json_t *v)
{
  if (!json_is_string(v))
    return NULL;
  char *s = xstrdup(json_string_value(v));
  return s;
}

static void strv_add(char ***v, size_t *n, char *s)
{
  if (s == NULL)
    return;
  *v = xrealloc(*v, (*n + 1) * sizeof(char *));
  (*v)[(*n)++] = s;
}

static pyoci_vex_stmt_t *new_stmt(pyoci_vex_t *vex, const char *source)
{
  vex->v = xrealloc(vex->v, (vex->n + 1) * sizeof(*vex->v));
  pyoci_vex_stmt_t *s = &vex->v[vex->n++];
  memset(s, 0, sizeof(*s));
  s->source = xstrdup(source);
  return s;
}

/* A product or subcomponent: {"@id": purl, "identifiers": {"purl": ...}} or a string. */
static void add_product(pyoci_vex_stmt_t *s, const json_t *p)
{
  if (json_is_string(p)) {
    strv_add(&s->purls, &s->n_purls, dup_str(p));
    return;
  }
  strv_add(&s->purls, &s->n_purls, dup_str(json_object_get(p, "@id")));
  strv_add(&s->purls, &s->n_purls, dup_str(json_object_get(json_object_get(p, "identifiers"), "purl")));
  size_t i;
  const json_t *sub;
  json_array_foreach(json_object_get(p, "subcomponents"), i, sub) add_product(s, sub);
}

static int parse_openvex(const json_t *doc, const char *name, pyoci_vex_t *vex, pyoci_error_t **err)
{
  const json_t *stmts = json_object_get(doc, "statements");
  if (!json_is_array(stmts))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VEX '%s': OpenVEX document without a statements array",
                                name);
  size_t i;
  const json_t *st;
  json_array_foreach(stmts, i, st)
  {
    const char *status = json_string_value(json_object_get(st, "status"));
    if (status == NULL)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VEX '%s': statements[%zu] has no status", name, i);
    if (strcmp(status, "not_affected") != 0 && strcmp(status, "fixed") != 0)
      continue;
    char src[300];
    snprintf(src, sizeof(src), "OpenVEX %.200s statements[%zu]", name, i);
    pyoci_vex_stmt_t *s = new_stmt(vex, src);
    s->status = xstrdup(status);
    const json_t *v = json_object_get(st, "vulnerability");
    strv_add(&s->ids, &s->n_ids, dup_str(json_is_string(v) ? v : json_object_get(v, "name")));
    size_t k;
    const json_t *a;
    json_array_foreach(json_object_get(v, "aliases"), k, a) strv_add(&s->ids, &s->n_ids, dup_str(a));
    json_array_foreach(json_object_get(st, "products"), k, a) add_product(s, a);
    s->statement = dup_str(json_object_get(st, "justification"));
    if (s->statement == NULL)
      s->statement = dup_str(json_object_get(st, "impact_statement"));
    if (s->status == NULL || s->n_ids == 0 || s->n_purls == 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "VEX '%s': statements[%zu] needs a vulnerability and products", name, i);
  }
  return 0;
}

/* A CycloneDX affects ref: a purl, or a bom-ref of one of its components. */
static char *cdx_ref_purl(const json_t *doc, const char *ref)
{
  if (strncmp(ref, "pkg:", 4) == 0)
    return xstrndup(ref, strcspn(ref, "#"));
  size_t i;
  const json_t *c;
  json_array_foreach(json_object_get(doc, "components"), i, c)
  {
    const char *br = json_string_value(json_object_get(c, "bom-ref"));
    if (br != NULL && strcmp(br, ref) == 0)
      return dup_str(json_object_get(c, "purl"));
  }
  /* a BOM-Link "urn:cdx:SERIAL/VERSION#purl" names the purl after '#' */
  const char *hash = strchr(ref, '#');
  return hash != NULL && strncmp(hash + 1, "pkg:", 4) == 0 ? xstrdup(hash + 1) : NULL;
}

static int parse_cyclonedx(const json_t *doc, const char *name, pyoci_vex_t *vex, pyoci_error_t **err)
{
  size_t i;
  const json_t *v;
  json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v)
  {
    const json_t *analysis = json_object_get(v, "analysis");
    const char *state = json_string_value(json_object_get(analysis, "state"));
    if (state == NULL || (strcmp(state, "not_affected") != 0 && strcmp(state, "false_positive") != 0 &&
                          strcmp(state, "resolved") != 0))
      continue;
    char src[300];
    snprintf(src, sizeof(src), "CycloneDX VEX %.200s vulnerabilities[%zu]", name, i);
    pyoci_vex_stmt_t *s = new_stmt(vex, src);
    s->status = xstrdup(state);
    strv_add(&s->ids, &s->n_ids, dup_str(json_object_get(v, "id")));
    size_t k;
    const json_t *a;
    json_array_foreach(json_object_get(v, "references"), k, a) strv_add(&s->ids, &s->n_ids, dup_str(json_object_get(a, "id")));
    json_array_foreach(json_object_get(v, "affects"), k, a)
    {
      const char *ref = json_string_value(json_object_get(a, "ref"));
      strv_add(&s->purls, &s->n_purls, ref ? cdx_ref_purl(doc, ref) : NULL);
    }
    s->statement = dup_str(json_object_get(analysis, "justification"));
    if (s->statement == NULL)
      s->statement = dup_str(json_object_get(analysis, "detail"));
    if (s->status == NULL || s->n_ids == 0 || s->n_purls == 0)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                  "VEX '%s': vulnerabilities[%zu] needs an id and affects refs naming purls", name, i);
  }
  return 0;
}

int pyoci_vex_parse(const char *buf, size_t len, const char *name, pyoci_vex_t *vex, pyoci_error_t **err)
{
  if (len > PYOCI_VEX_MAX)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VEX '%s': over the %u byte limit", name, PYOCI_VEX_MAX);
  cleanup_json json_t *doc = pyoci_json_parse(buf, len, name, err);
  if (doc == NULL)
    return -1;
  const char *ctx = json_string_value(json_object_get(doc, "@context"));
  if (ctx != NULL && strstr(ctx, "openvex") != NULL)
    return parse_openvex(doc, name, vex, err);
  const char *fmt = json_string_value(json_object_get(doc, "bomFormat"));
  if (fmt != NULL && strcmp(fmt, "CycloneDX") == 0)
    return parse_cyclonedx(doc, name, vex, err);
  return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "VEX '%s': neither OpenVEX (@context) nor CycloneDX (bomFormat)",
                              name);
}

int pyoci_vex_load(const char *path, pyoci_vex_t *vex, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, PYOCI_VEX_MAX, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "VEX");
  return pyoci_vex_parse(buf, len, path, vex, err);
}

void pyoci_vex_release(pyoci_vex_t *vex)
{
  for (size_t i = 0; i < vex->n; i++) {
    pyoci_vex_stmt_t *s = &vex->v[i];
    for (size_t k = 0; k < s->n_ids; k++)
      free(s->ids[k]);
    for (size_t k = 0; k < s->n_purls; k++)
      free(s->purls[k]);
    free(s->ids);
    free(s->purls);
    free(s->status);
    free(s->statement);
    free(s->source);
  }
  free(vex->v);
  memset(vex, 0, sizeof(*vex));
}

/* ---- matching ---- */

/* "pkg:type/ns/name@version?q=1&r=2#sub": base without version, version
 * (NULL when none), qualifiers. */
static bool purl_matches(const char *stmt, const char *ours)
{
  if (stmt == NULL || ours == NULL)
    return false;
  size_t sb = strcspn(stmt, "?#"), ob = strcspn(ours, "?#");
  const char *sat = memchr(stmt, '@', sb), *oat = memchr(ours, '@', ob);
  size_t sname = sat ? (size_t)(sat - stmt) : sb, oname = oat ? (size_t)(oat - ours) : ob;
  if (sname != oname || strncasecmp(stmt, ours, sname) != 0)
    return false;
  if (sat != NULL && (oat == NULL || (size_t)(stmt + sb - sat) != (size_t)(ours + ob - oat) ||
                      memcmp(sat, oat, (size_t)(stmt + sb - sat)) != 0))
    return false;
  if (stmt[sb] != '?')
    return true;
  /* every qualifier of the statement must be one of ours */
  char *q = xstrndup(stmt + sb + 1, strcspn(stmt + sb + 1, "#"));
  bool ok = true;
  char *save = NULL;
  for (char *t = strtok_r(q, "&", &save); t && ok; t = strtok_r(NULL, "&", &save)) {
    const char *oq = ours + ob;
    size_t tl = strlen(t);
    bool found = false;
    while (*oq == '?' || *oq == '&') {
      oq++;
      size_t l = strcspn(oq, "&#");
      found |= l == tl && memcmp(oq, t, l) == 0;
      oq += l;
    }
    ok = found;
  }
  free(q);
  return ok;
}

static bool names_vuln(const pyoci_vex_stmt_t *s, const pyoci_scan_vuln_t *v)
{
  cleanup_json json_t *aliases = v->aliases_json ? json_loads(v->aliases_json, 0, NULL) : NULL;
  for (size_t k = 0; k < s->n_ids; k++) {
    if (strcmp(s->ids[k], v->id) == 0)
      return true;
    size_t i;
    json_t *a;
    json_array_foreach(aliases, i, a) if (json_is_string(a) && strcmp(json_string_value(a), s->ids[k]) == 0) return true;
  }
  return false;
}

const pyoci_vex_stmt_t *pyoci_vex_find(const pyoci_vex_t *vex, const pyoci_scan_vuln_t *v, const char *purl)
{
  for (size_t i = 0; vex != NULL && i < vex->n; i++) {
    const pyoci_vex_stmt_t *s = &vex->v[i];
    for (size_t k = 0; k < s->n_purls; k++)
      if (purl_matches(s->purls[k], purl) && names_vuln(s, v))
        return s;
  }
  return NULL;
}
