/* libFuzzer: the input is one RUN --mount value.  Parsed as the Dockerfile
 * parser does (no expander), then as the step does (an expander that returns
 * the value with each "$" dropped); a spec that parses gives its cache-key
 * JSON, and its size field is fed to the size parser. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dockerfile/run_mount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *drop_dollars(void *ctx, const char *v, pyoci_error_t **err)
{
  (void)ctx;
  (void)err;
  char *o = malloc(strlen(v) + 1);
  size_t w = 0;
  for (; o && *v; v++)
    if (*v != '$')
      o[w++] = *v;
  if (o)
    o[w] = '\0';
  return o;
}

static void one(const char *spec, pyoci_mount_expand_fn expand)
{
  pyoci_run_mount_t m;
  pyoci_error_t *err = NULL;
  if (pyoci_run_mount_parse(spec, expand, NULL, &m, &err) == 0 && !m.deferred) {
    json_t *j = pyoci_run_mount_json(&m);
    char *text = json_dumps(j, JSON_SORT_KEYS);
    free(text);
    json_decref(j);
  }
  pyoci_error_free(err);
  pyoci_run_mount_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *spec = strndup((const char *)data, size);
  if (spec == NULL)
    return 0;
  one(spec, NULL);
  one(spec, drop_dollars);
  int64_t v;
  pyoci_mount_parse_size(spec, &v);
  free(spec);
  return 0;
}
