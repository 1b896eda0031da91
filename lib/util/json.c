#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fs.h"

json_t *pyoci_json_parse(const char *buf, size_t len, const char *what, pyoci_error_t **err)
{
  if (len > PYOCI_JSON_MAX) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "parse '%s': %zu bytes is over the JSON limit of %u", what,
                         len, PYOCI_JSON_MAX);
    return NULL;
  }
  json_error_t je;
  json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
  if (j == NULL)
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "parse '%s': invalid JSON at line %d column %d: %s", what,
                         je.line, je.column, je.text);
  return j;
}

json_t *pyoci_json_parse_object(const char *buf, size_t len, const char *what, pyoci_error_t **err)
{
  json_t *j = pyoci_json_parse(buf, len, what, err);
  if (j != NULL && !json_is_object(j)) {
    json_decref(j);
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "parse '%s': expected a JSON object", what);
    return NULL;
  }
  return j;
}

json_t *pyoci_json_load_file(const char *path, size_t max, pyoci_error_t **err)
{
  char *buf = NULL;
  size_t len = 0;
  if (pyoci_read_file(path, max, &buf, &len, err) < 0)
    return NULL;
  json_t *j = pyoci_json_parse(buf, len, path, err);
  free(buf);
  return j;
}

char *pyoci_json_dump_canonical(const json_t *j)
{
  char *s = pyoci_xcheck(json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY));
  return s;
}

char *pyoci_json_dump_text(const json_t *j, size_t flags)
{
  char *s = pyoci_xcheck(json_dumps(j, flags));
  size_t n = strlen(s);
  char *r = xrealloc(s, n + 2);
  r[n] = '\n';
  r[n + 1] = '\0';
  return r;
}

const char *pyoci_json_str(const json_t *obj, const char *key)
{
  json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

json_int_t pyoci_json_int(const json_t *obj, const char *key, json_int_t fallback)
{
  json_t *v = json_object_get(obj, key);
  return json_is_integer(v) ? json_integer_value(v) : fallback;
}

json_t *pyoci_json_member_object(json_t *obj, const char *key)
{
  json_t *m = json_object_get(obj, key);
  if (!json_is_object(m)) {
    m = json_object();
    json_object_set_new(obj, key, m);
  }
  return m;
}

json_t *pyoci_json_member_array(json_t *obj, const char *key)
{
  json_t *a = json_object_get(obj, key);
  if (!json_is_array(a)) {
    a = json_array();
    json_object_set_new(obj, key, a);
  }
  return a;
}
