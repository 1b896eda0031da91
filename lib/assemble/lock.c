/* image.lock.json: every input of an assembled image, by sha256.
 *
 *   {"lockVersion": 1, "architecture": "amd64",
 *    "packages": [what the spec asked], "requirementsSha256": "...",
 *    "debs": [{"name","version","architecture","sha256","size","url","source"}],
 *    "wheels": [{"name","version","filename","sha256","url"?}]}
 *
 * Written sorted and indented so it diffs well in review. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "asm_int.h"

static json_t *strv_json(char *const *v)
{
  json_t *a = json_array();
  for (; v && *v; v++)
    json_array_append_new(a, json_string(*v));
  return a;
}

char *pyoci_lock_dump(const pyoci_lock_t *l)
{
  cleanup_json json_t *root = json_object();
  json_object_set_new(root, "lockVersion", json_integer(1));
  json_object_set_new(root, "architecture", json_string(l->arch));
  json_object_set_new(root, "packages", strv_json(l->asked));
  if (l->requirements_sha256)
    json_object_set_new(root, "requirementsSha256", json_string(l->requirements_sha256));
  json_t *debs = json_array();
  for (size_t i = 0; i < l->n_debs; i++) {
    const pyoci_lock_deb_t *d = &l->debs[i];
    json_array_append_new(debs, json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "name", d->name, "version",
                                          d->version, "architecture", d->arch, "sha256", d->sha256, "size",
                                          (json_int_t)d->size, "url", d->url, "source", d->source));
  }
  json_object_set_new(root, "debs", debs);
  json_t *wheels = json_array();
  for (size_t i = 0; i < l->n_wheels; i++) {
    const pyoci_lock_wheel_t *w = &l->wheels[i];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", w->name, "version", w->version, "filename", w->file,
                          "sha256", w->sha256);
    if (w->url)
      json_object_set_new(o, "url", json_string(w->url));
    json_array_append_new(wheels, o);
  }
  json_object_set_new(root, "wheels", wheels);
  return pyoci_json_dump_text(root, JSON_INDENT(2) | JSON_SORT_KEYS);
}

static char *need_str(const json_t *o, const char *key, bool *bad)
{
  const char *s = pyoci_json_str(o, key);
  if (s == NULL || strlen(s) > 4096) {
    *bad = true;
    return NULL;
  }
  return xstrdup(s);
}

static int parse_debs(const char *path, const json_t *arr, pyoci_lock_t *l, pyoci_error_t **err)
{
  size_t n = json_array_size(arr);
  l->debs = xcalloc(n + 1, sizeof(*l->debs));
  for (size_t i = 0; i < n; i++) {
    const json_t *o = json_array_get(arr, i);
    pyoci_lock_deb_t *d = &l->debs[l->n_debs++];
    bool bad = !json_is_object(o);
    if (!bad) {
      d->name = need_str(o, "name", &bad);
      d->version = need_str(o, "version", &bad);
      d->arch = need_str(o, "architecture", &bad);
      d->sha256 = need_str(o, "sha256", &bad);
      d->url = need_str(o, "url", &bad);
      d->source = need_str(o, "source", &bad);
      json_int_t size = pyoci_json_int(o, "size", -1);
      bad |= size < 0;
      d->size = (uint64_t)size;
    }
    if (bad)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: debs[%zu]: needs name, version, architecture, sha256, size, url, source",
                                  path, i);
  }
  return 0;
}

static int parse_wheels(const char *path, const json_t *arr, pyoci_lock_t *l, pyoci_error_t **err)
{
  size_t n = json_array_size(arr);
  l->wheels = xcalloc(n + 1, sizeof(*l->wheels));
  for (size_t i = 0; i < n; i++) {
    const json_t *o = json_array_get(arr, i);
    pyoci_lock_wheel_t *w = &l->wheels[l->n_wheels++];
    bool bad = !json_is_object(o);
    if (!bad) {
      w->name = need_str(o, "name", &bad);
      w->version = need_str(o, "version", &bad);
      w->file = need_str(o, "filename", &bad);
      w->sha256 = need_str(o, "sha256", &bad);
      const char *url = pyoci_json_str(o, "url");
      w->url = url ? xstrdup(url) : NULL;
    }
    if (bad)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s: wheels[%zu]: needs name, version, filename, sha256",
                                  path, i);
  }
  return 0;
}

int pyoci_lock_parse(const char *path, const char *buf, size_t len, pyoci_lock_t *l, pyoci_error_t **err)
{
  memset(l, 0, sizeof(*l));
  cleanup_json json_t *root = pyoci_json_parse_object(buf, len, path, err);
  if (root == NULL)
    return -1;
  const json_t *pk = json_object_get(root, "packages"), *debs = json_object_get(root, "debs"),
               *wheels = json_object_get(root, "wheels");
  const char *arch = pyoci_json_str(root, "architecture");
  if (pyoci_json_int(root, "lockVersion", 0) != 1 || arch == NULL || !json_is_array(pk) || !json_is_array(debs) ||
      !json_is_array(wheels))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s: not a pyoci lock (lockVersion 1, architecture, packages, debs, wheels)", path);
  l->arch = xstrdup(arch);
  for (size_t i = 0; i < json_array_size(pk); i++)
    if (json_is_string(json_array_get(pk, i)))
      pyoci_asm_strv_push(&l->asked, json_string_value(json_array_get(pk, i)));
  const char *rs = pyoci_json_str(root, "requirementsSha256");
  l->requirements_sha256 = rs ? xstrdup(rs) : NULL;
  if (parse_debs(path, debs, l, err) < 0 || parse_wheels(path, wheels, l, err) < 0) {
    pyoci_lock_release(l);
    return -1;
  }
  return 0;
}

void pyoci_lock_release(pyoci_lock_t *l)
{
  for (size_t i = 0; i < l->n_debs; i++) {
    pyoci_lock_deb_t *d = &l->debs[i];
    free(d->name), free(d->version), free(d->arch), free(d->sha256), free(d->url), free(d->source);
  }
  for (size_t i = 0; i < l->n_wheels; i++) {
    pyoci_lock_wheel_t *w = &l->wheels[i];
    free(w->name), free(w->version), free(w->file), free(w->sha256), free(w->url);
  }
  free(l->debs);
  free(l->wheels);
  free(l->arch);
  free(l->requirements_sha256);
  pyoci_strvfreep(&l->asked);
  memset(l, 0, sizeof(*l));
}
