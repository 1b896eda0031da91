/* JSON through jansson, with the limits every parser of outside data needs:
 * a size cap, duplicate keys rejected, errors that name the file and place. */
#ifndef PYOCI_UTIL_JSON_H
#define PYOCI_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* 16 MiB: far beyond any manifest, config or index we accept. */
#define PYOCI_JSON_MAX (16u << 20)

static inline void pyoci_json_decrefp(json_t **j)
{
  if (*j != NULL)
    json_decref(*j);
}
#define cleanup_json __attribute__((cleanup(pyoci_json_decrefp)))

/* Parse buf as JSON; `what` names the source for messages. */
json_t *pyoci_json_parse(const char *buf, size_t len, const char *what, pyoci_error_t **err);
/* Same, requiring a top-level object. */
json_t *pyoci_json_parse_object(const char *buf, size_t len, const char *what, pyoci_error_t **err);
json_t *pyoci_json_load_file(const char *path, size_t max, pyoci_error_t **err);
/* Serialize compactly with keys sorted (deterministic bytes). Caller frees. */
char *pyoci_json_dump_canonical(const json_t *j);
/* Serialize with jansson's flags and a trailing newline, for files and
 * terminals. Caller frees. */
char *pyoci_json_dump_text(const json_t *j, size_t flags);

/* Small typed getters; NULL / fallback when the key is missing or mistyped. */
const char *pyoci_json_str(const json_t *obj, const char *key);
json_int_t pyoci_json_int(const json_t *obj, const char *key, json_int_t fallback);

/* obj[key] to add to: when it is missing or of another type it becomes a
 * new empty object (array), as docker does with a config's maps and lists. */
json_t *pyoci_json_member_object(json_t *obj, const char *key);
json_t *pyoci_json_member_array(json_t *obj, const char *key);

#endif
