/* OSV record parser: JSON (via jansson, duplicate keys rejected) into
 * pyoci_osv_record_t.  Records come from downloaded archives, so every
 * field is type-checked, every list is bounded, and a problem is reported
 * with the source name and the JSON path of the offending field. */
#include "lib/util/alloc.h"
#include "osv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/cleanup.h"
#include "lib/util/json.h"

struct pctx {
  const char *what;
  pyoci_error_t **err;
};

static int fail(struct pctx *c, const char *path, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct pctx *c, const char *path, const char *fmt, ...)
{
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return pyoci_error_set_code(c->err, PYOCI_E_CORRUPT, 0, "parse '%s': %s%s%s", c->what, path,
                              path[0] ? ": " : "", msg);
}

/* A string value: NUL bytes are refused (they would truncate silently). */
static int take_string(struct pctx *c, const json_t *v, const char *path, char **out)
{
  if (!json_is_string(v))
    return fail(c, path, "expected a string");
  if (strlen(json_string_value(v)) != json_string_length(v))
    return fail(c, path, "string contains a NUL byte");
  *out = xstrdup(json_string_value(v));
  return 0;
}

/* Optional string member: absent or null leaves *out NULL. */
static int opt_string(struct pctx *c, const json_t *obj, const char *key, const char *prefix, char **out)
{
  const json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v))
    return 0;
  char path[160];
  snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
  return take_string(c, v, path, out);
}

/* Optional array member: returns its size (0 when absent or null), -1 on a
 * type error or when it is longer than max. */
static long opt_array(struct pctx *c, const json_t *obj, const char *key, const char *prefix, size_t max,
                      const json_t **arr)
{
  const json_t *v = json_object_get(obj, key);
  *arr = NULL;
  if (v == NULL || json_is_null(v))
    return 0;
  char path[160];
  snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
  if (!json_is_array(v))
    return fail(c, path, "expected an array");
  if (json_array_size(v) > max)
    return fail(c, path, "%zu entries is over the limit of %zu", json_array_size(v), max);
  *arr = v;
  return (long)json_array_size(v);
}

static int string_list(struct pctx *c, const json_t *obj, const char *key, const char *prefix, size_t max,
                       char ***out, size_t *n)
{
  const json_t *arr;
  long len = opt_array(c, obj, key, prefix, max, &arr);
  if (len < 0)
    return -1;
  *out = xcalloc((size_t)len, sizeof(char *));
  for (size_t i = 0; i < (size_t)len; i++) {
    char path[200];
    snprintf(path, sizeof(path), "%s%s%s[%zu]", prefix, prefix[0] ? "." : "", key, i);
    if (take_string(c, json_array_get(arr, i), path, &(*out)[i]) < 0)
      return -1;
    *n = i + 1;
  }
  return 0;
}

static int severity_list(struct pctx *c, const json_t *obj, const char *prefix, pyoci_osv_severity_t **out,
                         size_t *n)
{
  const json_t *arr;
  long len = opt_array(c, obj, "severity", prefix, PYOCI_OSV_MAX_LIST, &arr);
  if (len < 0)
    return -1;
  *out = xcalloc((size_t)len, sizeof(**out));
  for (size_t i = 0; i < (size_t)len; i++) {
    char path[200];
    snprintf(path, sizeof(path), "%s%sseverity[%zu]", prefix, prefix[0] ? "." : "", i);
    const json_t *e = json_array_get(arr, i);
    if (!json_is_object(e))
      return fail(c, path, "expected an object");
    *n = i + 1;
    if (opt_string(c, e, "type", path, &(*out)[i].type) < 0 || opt_string(c, e, "score", path, &(*out)[i].score) < 0)
      return -1;
    if ((*out)[i].type == NULL || (*out)[i].score == NULL)
      return fail(c, path, "needs both type and score");
  }
  return 0;
}

/* A severity word kept in a free-form object ("severity", or Debian's
 * "urgency"); anything that is not a string is ignored, the object being
 * defined by its database. */
static char *label_from(const json_t *obj, const char *key)
{
  const json_t *v = json_object_get(obj, key);
  if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) || json_string_length(v) > 64)
    return NULL;
  return xstrdup(json_string_value(v));
}

static const char *const event_keys[] = {
    [PYOCI_OSV_INTRODUCED] = "introduced",
    [PYOCI_OSV_FIXED] = "fixed",
    [PYOCI_OSV_LAST_AFFECTED] = "last_affected",
    [PYOCI_OSV_LIMIT] = "limit",
};

static int parse_event(struct pctx *c, const json_t *e, const char *path, pyoci_osv_event_t *out)
{
  if (!json_is_object(e))
    return fail(c, path, "expected an object");
  int found = -1;
  for (int k = 0; k < 4; k++) {
    const json_t *v = json_object_get(e, event_keys[k]);
    if (v == NULL)
      continue;
    if (found >= 0)
      return fail(c, path, "has both '%s' and '%s'", event_keys[found], event_keys[k]);
    found = k;
    char vpath[240];
    snprintf(vpath, sizeof(vpath), "%s.%s", path, event_keys[k]);
    /* A version the scheme cannot read is not a parse error: the range is
     * skipped (and counted) when it is evaluated. */
    if (take_string(c, v, vpath, &out->version) < 0)
      return -1;
  }
  if (found < 0)
    return fail(c, path, "expected one of introduced, fixed, last_affected, limit");
  out->kind = (pyoci_osv_event_kind_t)found;
  return 0;
}

static int parse_range(struct pctx *c, const json_t *r, const char *path, pyoci_osv_range_t *out)
{
  if (!json_is_object(r))
    return fail(c, path, "expected an object");
  cleanup_free char *type = NULL;
  if (opt_string(c, r, "type", path, &type) < 0)
    return -1;
  if (type == NULL)
    return fail(c, path, "missing type");
  if (strcmp(type, "SEMVER") == 0)
    out->type = PYOCI_OSV_RANGE_SEMVER;
  else if (strcmp(type, "ECOSYSTEM") == 0)
    out->type = PYOCI_OSV_RANGE_ECOSYSTEM;
  else if (strcmp(type, "GIT") == 0)
    out->type = PYOCI_OSV_RANGE_GIT;
  else
    return fail(c, path, "unknown range type '%.40s'", type);
  if (opt_string(c, r, "repo", path, &out->repo) < 0)
    return -1;
  const json_t *events;
  long n = opt_array(c, r, "events", path, PYOCI_OSV_MAX_EVENTS, &events);
  if (n < 0)
    return -1;
  if (n == 0)
    return fail(c, path, "no events");
  out->events = xcalloc((size_t)n, sizeof(*out->events));
  for (size_t i = 0; i < (size_t)n; i++) {
    char epath[220];
    snprintf(epath, sizeof(epath), "%s.events[%zu]", path, i);
    out->n_events = i + 1;
    if (parse_event(c, json_array_get(events, i), epath, &out->events[i]) < 0)
      return -1;
  }
  return 0;
}

static int parse_affected(struct pctx *c, const json_t *a, const char *path, pyoci_osv_affected_t *out)
{
  if (!json_is_object(a))
    return fail(c, path, "expected an object");
  const json_t *pkg = json_object_get(a, "package");
  if (pkg != NULL && !json_is_null(pkg)) {
    char ppath[200];
    snprintf(ppath, sizeof(ppath), "%s.package", path);
    if (!json_is_object(pkg))
      return fail(c, ppath, "expected an object");
    if (opt_string(c, pkg, "ecosystem", ppath, &out->ecosystem) < 0 || opt_string(c, pkg, "name", ppath, &out->name) < 0 ||
        opt_string(c, pkg, "purl", ppath, &out->purl) < 0)
      return -1;
  }
  const json_t *ranges;
  long n = opt_array(c, a, "ranges", path, PYOCI_OSV_MAX_RANGES, &ranges);
  if (n < 0)
    return -1;
  out->ranges = xcalloc((size_t)n, sizeof(*out->ranges));
  for (size_t i = 0; i < (size_t)n; i++) {
    char rpath[200];
    snprintf(rpath, sizeof(rpath), "%s.ranges[%zu]", path, i);
    out->n_ranges = i + 1;
    if (parse_range(c, json_array_get(ranges, i), rpath, &out->ranges[i]) < 0)
      return -1;
  }
  if (string_list(c, a, "versions", path, PYOCI_OSV_MAX_VERSIONS, &out->versions, &out->n_versions) < 0 ||
      severity_list(c, a, path, &out->severity, &out->n_severity) < 0)
    return -1;
  const json_t *eco = json_object_get(a, "ecosystem_specific"), *db = json_object_get(a, "database_specific");
  out->severity_label = label_from(eco, "severity");
  if (out->severity_label == NULL)
    out->severity_label = label_from(eco, "urgency");
  if (out->severity_label == NULL)
    out->severity_label = label_from(db, "severity");
  return 0;
}

pyoci_osv_record_t *pyoci_osv_parse_json(const json_t *root, const char *what, pyoci_error_t **err)
{
  struct pctx c = {what, err};
  if (!json_is_object(root)) {
    fail(&c, "", "expected a JSON object");
    return NULL;
  }
  pyoci_osv_record_t *r = xcalloc(1, sizeof(*r));
  if (opt_string(&c, root, "id", "", &r->id) < 0 || opt_string(&c, root, "modified", "", &r->modified) < 0)
    goto fail;
  if (r->id == NULL || r->id[0] == '\0') {
    fail(&c, "id", "missing or empty");
    goto fail;
  }
  if (strlen(r->id) > PYOCI_OSV_MAX_ID) {
    fail(&c, "id", "longer than %d bytes", PYOCI_OSV_MAX_ID);
    goto fail;
  }
  for (const char *p = r->id; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) {
      fail(&c, "id", "control character in id");
      goto fail;
    }
  if (r->modified == NULL) {
    fail(&c, "modified", "missing");
    goto fail;
  }
  if (opt_string(&c, root, "published", "", &r->published) < 0 ||
      opt_string(&c, root, "withdrawn", "", &r->withdrawn) < 0 || opt_string(&c, root, "summary", "", &r->summary) < 0 ||
      opt_string(&c, root, "details", "", &r->details) < 0 ||
      string_list(&c, root, "aliases", "", PYOCI_OSV_MAX_LIST, &r->aliases, &r->n_aliases) < 0 ||
      severity_list(&c, root, "", &r->severity, &r->n_severity) < 0)
    goto fail;
  r->severity_label = label_from(json_object_get(root, "database_specific"), "severity");
  const json_t *affected;
  long n = opt_array(&c, root, "affected", "", PYOCI_OSV_MAX_AFFECTED, &affected);
  if (n < 0)
    goto fail;
  r->affected = xcalloc((size_t)n, sizeof(*r->affected));
  for (size_t i = 0; i < (size_t)n; i++) {
    char path[64];
    snprintf(path, sizeof(path), "affected[%zu]", i);
    r->n_affected = i + 1;
    if (parse_affected(&c, json_array_get(affected, i), path, &r->affected[i]) < 0)
      goto fail;
  }
  return r;
fail:
  pyoci_osv_record_free(r);
  return NULL;
}

pyoci_osv_record_t *pyoci_osv_parse(const char *buf, size_t len, const char *what, pyoci_error_t **err)
{
  if (len > PYOCI_OSV_MAX_RECORD) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "parse '%s': %zu bytes is over the OSV record limit of %u", what,
                         len, PYOCI_OSV_MAX_RECORD);
    return NULL;
  }
  cleanup_json json_t *root = pyoci_json_parse(buf, len, what, err);
  if (root == NULL)
    return NULL;
  return pyoci_osv_parse_json(root, what, err);
}

static void free_severity(pyoci_osv_severity_t *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(s[i].type);
    free(s[i].score);
  }
  free(s);
}

static void free_strings(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void pyoci_osv_ranges_free(pyoci_osv_range_t *ranges, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < ranges[i].n_events; j++)
      free(ranges[i].events[j].version);
    free(ranges[i].events);
    free(ranges[i].repo);
  }
  free(ranges);
}

void pyoci_osv_record_free(pyoci_osv_record_t *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_affected; i++) {
    pyoci_osv_affected_t *a = &r->affected[i];
    free(a->ecosystem);
    free(a->name);
    free(a->purl);
    pyoci_osv_ranges_free(a->ranges, a->n_ranges);
    free_strings(a->versions, a->n_versions);
    free_severity(a->severity, a->n_severity);
    free(a->severity_label);
  }
  free(r->affected);
  free(r->id);
  free(r->modified);
  free(r->published);
  free(r->withdrawn);
  free(r->summary);
  free(r->details);
  free_strings(r->aliases, r->n_aliases);
  free_severity(r->severity, r->n_severity);
  free(r->severity_label);
  free(r);
}

static const char *const range_type_names[] = {"SEMVER", "ECOSYSTEM", "GIT"};

json_t *pyoci_osv_ranges_to_json(const pyoci_osv_affected_t *a)
{
  json_t *arr = json_array();
  for (size_t i = 0; i < a->n_ranges; i++) {
    const pyoci_osv_range_t *r = &a->ranges[i];
    if (r->type == PYOCI_OSV_RANGE_GIT)
      continue;
    json_t *events = json_array();
    for (size_t j = 0; j < r->n_events; j++)
      json_array_append_new(events, json_pack("{ss}", event_keys[r->events[j].kind], r->events[j].version));
    json_array_append_new(arr, json_pack("{ssso}", "type", range_type_names[r->type], "events", events));
  }
  return arr;
}

int pyoci_osv_ranges_from_json(const json_t *arr, const char *what, pyoci_osv_range_t **out, size_t *n,
                               pyoci_error_t **err)
{
  struct pctx c = {what, err};
  *out = NULL;
  *n = 0;
  if (!json_is_array(arr))
    return fail(&c, "ranges", "expected an array");
  if (json_array_size(arr) > PYOCI_OSV_MAX_RANGES)
    return fail(&c, "ranges", "too many ranges");
  size_t len = json_array_size(arr);
  pyoci_osv_range_t *ranges = xcalloc(len, sizeof(*ranges));
  for (size_t i = 0; i < len; i++) {
    char path[64];
    snprintf(path, sizeof(path), "ranges[%zu]", i);
    if (parse_range(&c, json_array_get(arr, i), path, &ranges[i]) < 0) {
      pyoci_osv_ranges_free(ranges, i + 1);
      return -1;
    }
  }
  *out = ranges;
  *n = len;
  return 0;
}
