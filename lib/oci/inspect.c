/* Building docker image inspect's object (see inspect.h).  Field lists and
 * their order follow docker 20.10's types.ImageInspect and container.Config. */
#include "inspect.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"

/* Go's decoder: an exact key match wins, else the first case-insensitive one. */
static json_t *go_field(const json_t *obj, const char *name)
{
  if (!json_is_object(obj))
    return NULL;
  json_t *v = json_object_get(obj, name);
  if (v)
    return v;
  const char *k;
  json_object_foreach((json_t *)obj, k, v)
  {
    if (strcasecmp(k, name) == 0)
      return v;
  }
  return NULL;
}

static json_t *as_string(const json_t *v)
{
  return json_string(json_is_string(v) ? json_string_value(v) : "");
}

/* []string: null stays null (Go's nil slice); strslice also takes a string. */
static json_t *as_strings(const json_t *v, bool strslice)
{
  if (strslice && json_is_string(v))
    return json_pack("[s]", json_string_value(v));
  if (!json_is_array(v))
    return json_null();
  json_t *a = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(v, i, e)
  {
    if (json_is_string(e))
      json_array_append(a, e);
  }
  return a;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A Go map: encoding/json writes its keys sorted.  struct_values: values
 * are struct{} ({}); else strings. */
static json_t *as_map(const json_t *v, bool struct_values)
{
  if (!json_is_object(v))
    return json_null();
  size_t n = json_object_size(v), i = 0;
  const char **keys = xcalloc(n ? n : 1, sizeof(*keys));
  const char *k;
  json_t *e;
  json_object_foreach((json_t *)v, k, e) keys[i++] = k;
  qsort(keys, n, sizeof(*keys), cmp_str);
  json_t *m = json_object();
  for (i = 0; i < n; i++) {
    json_t *val = json_object_get(v, keys[i]);
    if (struct_values)
      json_object_set_new(m, keys[i], json_object());
    else
      json_object_set_new(m, keys[i], as_string(val));
  }
  free(keys);
  return m;
}

static json_t *healthcheck(const json_t *v)
{
  json_t *h = json_object();
  json_t *test = go_field(v, "Test");
  if (json_is_array(test) && json_array_size(test) > 0)
    json_object_set_new(h, "Test", as_strings(test, false));
  static const char *const durations[] = {"Interval", "Timeout", "StartPeriod", "Retries"};
  for (size_t i = 0; i < 4; i++) {
    json_t *d = go_field(v, durations[i]);
    if (json_is_integer(d) && json_integer_value(d) != 0)
      json_object_set_new(h, durations[i], json_integer(json_integer_value(d)));
  }
  return h;
}

json_t *pyoci_inspect_container_config(const json_t *src)
{
  json_t *c = json_object();
  static const char *const strings1[] = {"Hostname", "Domainname", "User"};
  for (size_t i = 0; i < 3; i++)
    json_object_set_new(c, strings1[i], as_string(go_field(src, strings1[i])));
  static const char *const bools1[] = {"AttachStdin", "AttachStdout", "AttachStderr"};
  for (size_t i = 0; i < 3; i++)
    json_object_set_new(c, bools1[i], json_boolean(json_is_true(go_field(src, bools1[i]))));
  json_t *ports = go_field(src, "ExposedPorts");
  if (json_is_object(ports) && json_object_size(ports) > 0) /* omitempty */
    json_object_set_new(c, "ExposedPorts", as_map(ports, true));
  static const char *const bools2[] = {"Tty", "OpenStdin", "StdinOnce"};
  for (size_t i = 0; i < 3; i++)
    json_object_set_new(c, bools2[i], json_boolean(json_is_true(go_field(src, bools2[i]))));
  json_object_set_new(c, "Env", as_strings(go_field(src, "Env"), false));
  json_object_set_new(c, "Cmd", as_strings(go_field(src, "Cmd"), true));
  json_t *hc = go_field(src, "Healthcheck");
  if (json_is_object(hc))
    json_object_set_new(c, "Healthcheck", healthcheck(hc));
  if (json_is_true(go_field(src, "ArgsEscaped")))
    json_object_set_new(c, "ArgsEscaped", json_true());
  json_object_set_new(c, "Image", as_string(go_field(src, "Image")));
  json_object_set_new(c, "Volumes", as_map(go_field(src, "Volumes"), true));
  json_object_set_new(c, "WorkingDir", as_string(go_field(src, "WorkingDir")));
  json_object_set_new(c, "Entrypoint", as_strings(go_field(src, "Entrypoint"), true));
  if (json_is_true(go_field(src, "NetworkDisabled")))
    json_object_set_new(c, "NetworkDisabled", json_true());
  json_t *mac = go_field(src, "MacAddress");
  if (json_is_string(mac) && json_string_length(mac) > 0)
    json_object_set_new(c, "MacAddress", json_copy(mac));
  json_object_set_new(c, "OnBuild", as_strings(go_field(src, "OnBuild"), false));
  json_object_set_new(c, "Labels", as_map(go_field(src, "Labels"), false));
  json_t *sig = go_field(src, "StopSignal");
  if (json_is_string(sig) && json_string_length(sig) > 0)
    json_object_set_new(c, "StopSignal", json_copy(sig));
  json_t *st = go_field(src, "StopTimeout");
  if (json_is_integer(st))
    json_object_set_new(c, "StopTimeout", json_copy(st));
  json_t *shell = go_field(src, "Shell");
  json_t *sh = as_strings(shell, true);
  if (json_is_array(sh) && json_array_size(sh) > 0)
    json_object_set_new(c, "Shell", sh);
  else
    json_decref(sh);
  return c;
}

char *pyoci_inspect_time(const char *s)
{
  if (s == NULL || *s == '\0')
    return xstrdup("0001-01-01T00:00:00Z");
  /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
  size_t len = strlen(s);
  if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return xstrdup(s);
  for (size_t i = 0; i < 19; i++)
    if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !isdigit((unsigned char)s[i]))
      return xstrdup(s);
  const char *p = s + 19;
  const char *frac = NULL;
  size_t nfrac = 0;
  if (*p == '.') {
    frac = ++p;
    while (isdigit((unsigned char)*p))
      p++;
    nfrac = (size_t)(p - frac);
    if (nfrac == 0)
      return xstrdup(s);
    if (nfrac > 9)
      nfrac = 9; /* Go keeps nanoseconds */
    while (nfrac > 0 && frac[nfrac - 1] == '0')
      nfrac--;
  }
  char zone[8];
  if (strcmp(p, "Z") == 0) {
    strcpy(zone, "Z");
  } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && isdigit((unsigned char)p[1]) &&
             isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
             isdigit((unsigned char)p[5])) {
    if (strcmp(p + 1, "00:00") == 0)
      strcpy(zone, "Z");
    else
      snprintf(zone, sizeof(zone), "%s", p);
  } else {
    return xstrdup(s);
  }
  char *out = NULL;
  out = xasprintf("%.19s%s%.*s%s", s, nfrac ? "." : "", (int)nfrac, frac ? frac : "", zone);
  return out;
}

static int cmp_tags(const void *a, const void *b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names whose manifest has the same image ID, sorted like Docker's
 * reference store lists them. */
static json_t *repo_tags(pyoci_store_t *s, const pyoci_image_t *img, pyoci_error_t **err)
{
  pyoci_index_entry_t *v = NULL;
  size_t n = 0;
  if (pyoci_store_list(s, &v, &n, err) < 0)
    return NULL;
  const char **names = xcalloc(n ? n : 1, sizeof(*names));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i].name == NULL)
      continue;
    bool same = strcmp(v[i].digest, img->manifest_digest) == 0;
    if (!same) {
      char id[PYOCI_DIGEST_LEN];
      same = pyoci_store_image_id(s, v[i].digest, id, NULL) == 0 && strcmp(id, img->config_digest) == 0;
    }
    if (same)
      names[k++] = v[i].name;
  }
  qsort(names, k, sizeof(*names), cmp_tags);
  json_t *tags = json_array();
  for (size_t i = 0; i < k; i++)
    if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
      json_array_append_new(tags, json_string(names[i]));
  free(names);
  pyoci_index_entries_free(v, n);
  return tags;
}

json_t *pyoci_inspect_image(pyoci_store_t *s, const pyoci_image_t *img, int64_t size, pyoci_error_t **err)
{
  const json_t *cfg = img->config;
  json_t *tags = repo_tags(s, img, err);
  if (tags == NULL)
    return NULL;
  json_t *o = json_object();
  json_object_set_new(o, "Id", json_string(img->config_digest));
  json_object_set_new(o, "RepoTags", tags);
  json_object_set_new(o, "RepoDigests", json_array());
  json_object_set_new(o, "Parent", json_string(""));
  json_object_set_new(o, "Comment", as_string(go_field(cfg, "comment")));
  cleanup_free char *created = pyoci_inspect_time(pyoci_json_str(cfg, "created"));
  json_object_set_new(o, "Created", json_string(created ? created : ""));
  json_object_set_new(o, "Container", as_string(go_field(cfg, "container")));
  json_object_set_new(o, "ContainerConfig", pyoci_inspect_container_config(go_field(cfg, "container_config")));
  json_object_set_new(o, "DockerVersion", as_string(go_field(cfg, "docker_version")));
  json_object_set_new(o, "Author", as_string(go_field(cfg, "author")));
  json_t *cc = go_field(cfg, "config");
  json_object_set_new(o, "Config", json_is_object(cc) ? pyoci_inspect_container_config(cc) : json_null());
  json_object_set_new(o, "Architecture", as_string(go_field(cfg, "architecture")));
  const char *variant = pyoci_json_str(cfg, "variant");
  if (variant && *variant)
    json_object_set_new(o, "Variant", json_string(variant));
  json_object_set_new(o, "Os", as_string(go_field(cfg, "os")));
  const char *osv = pyoci_json_str(cfg, "os.version");
  if (osv && *osv)
    json_object_set_new(o, "OsVersion", json_string(osv));
  json_object_set_new(o, "Size", json_integer(size));
  json_object_set_new(o, "VirtualSize", json_integer(size));
  json_object_set_new(o, "GraphDriver", json_pack("{s:n, s:s}", "Data", "Name", "pyoci"));
  json_t *layers = json_array();
  for (size_t i = 0; i < img->n_layers; i++)
    json_array_append_new(layers, json_string(img->diff_ids[i]));
  json_t *rootfs = json_pack("{s:s}", "Type", "layers");
  if (json_array_size(layers) > 0) /* omitempty */
    json_object_set_new(rootfs, "Layers", layers);
  else
    json_decref(layers);
  json_object_set_new(o, "RootFS", rootfs);
  json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", "0001-01-01T00:00:00Z"));
  return o;
}

#define CFG_KINDS                                                                                              \
  "{\"Hostname\":\"string\",\"Domainname\":\"string\",\"User\":\"string\",\"AttachStdin\":\"bool\","          \
  "\"AttachStdout\":\"bool\",\"AttachStderr\":\"bool\",\"ExposedPorts\":\"map[string]struct{}\","             \
  "\"Tty\":\"bool\",\"OpenStdin\":\"bool\",\"StdinOnce\":\"bool\",\"Env\":\"[]string\",\"Cmd\":\"[]string\"," \
  "\"Healthcheck\":\"*HealthConfig\",\"ArgsEscaped\":\"bool\",\"Image\":\"string\","                         \
  "\"Volumes\":\"map[string]struct{}\",\"WorkingDir\":\"string\",\"Entrypoint\":\"[]string\","                \
  "\"NetworkDisabled\":\"bool\",\"MacAddress\":\"string\",\"OnBuild\":\"[]string\","                          \
  "\"Labels\":\"map[string]string\",\"StopSignal\":\"string\",\"StopTimeout\":\"*int\",\"Shell\":\"[]string\"}"

static json_t *kinds;
static pthread_once_t kinds_once = PTHREAD_ONCE_INIT;

static void kinds_init(void)
{
  static const char doc[] =
      "{\"Id\":\"string\",\"RepoTags\":\"[]string\",\"RepoDigests\":\"[]string\",\"Parent\":\"string\","
      "\"Comment\":\"string\",\"Created\":\"string\",\"Container\":\"string\",\"ContainerConfig\":" CFG_KINDS ","
      "\"DockerVersion\":\"string\",\"Author\":\"string\",\"Config\":" CFG_KINDS ","
      "\"Architecture\":\"string\",\"Variant\":\"string\",\"Os\":\"string\",\"OsVersion\":\"string\","
      "\"Size\":\"int64\",\"VirtualSize\":\"int64\","
      "\"GraphDriver\":{\"Data\":\"map[string]string\",\"Name\":\"string\"},"
      "\"RootFS\":{\"Type\":\"string\",\"Layers\":\"[]string\",\"BaseLayer\":\"string\"},"
      "\"Metadata\":{\"LastTagTime\":\"string\"}}";
  kinds = pyoci_xcheck(json_loads(doc, 0, NULL)); /* a constant: fails only without memory */
}

const json_t *pyoci_inspect_kinds(void)
{
  pthread_once(&kinds_once, kinds_init);
  return kinds;
}
