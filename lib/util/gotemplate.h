/* Go text/template, the subset docker's --format users write, evaluated over
 * jansson values instead of Go structs:
 *
 *   text {{.A.B}} {{.}} {{$}} {{$v := .X}} {{$v}} {{"str"}} {{42}}
 *   {{if P}}..{{else if P}}..{{else}}..{{end}}   {{with P}}..{{else}}..{{end}}
 *   {{range P}}..{{else}}..{{end}}   {{range $i, $e := P}}..{{end}}
 *   pipelines  {{.Config.Env | json}}  {{(index .RootFS.Layers 0) | upper}}
 *   trim markers {{- and -}}, and Go comment actions
 *   functions: len index json join split upper lower title pad truncate
 *              print println printf not and or eq ne lt le gt ge
 *
 * Values print the way Go's fmt %v prints them: integers in full, floats
 * shortest ("0.85", "1e+06"), arrays "[a b c]", objects "map[k:v]" with
 * sorted keys, a missing map key or a null "<no value>" (null inside an
 * array or map "<nil>").
 *
 * Go knows the static type of a nil slice or map and prints it as "[]" or
 * "map[]"; JSON does not.  A caller may pass `kinds`, a JSON object that
 * mirrors the data and names Go types where that matters: a string such as
 * "[]string", "map[string]string", "map[string]struct{}", "string", "int",
 * "bool", "*T" (a pointer: null prints "<nil>"), or a nested object for a
 * struct.  A null or missing field with a
 * kind behaves as Go's zero value of that type ("" for string, 0 for int,
 * an empty slice that `json` still encodes as null, ...).
 *
 * {{json}} writes Go's encoding, keys in document order, and escapes <>&
 * only with PYOCI_GT_JSON_ESCAPE_HTML (json.Marshal does; docker's template
 * function turns that off). */
#ifndef PYOCI_UTIL_GOTEMPLATE_H
#define PYOCI_UTIL_GOTEMPLATE_H

#include <jansson.h>

#include "error.h"
#include "strbuf.h"

typedef struct pyoci_gotemplate pyoci_gotemplate_t;

/* PYOCI_GT_STRICT_FIELDS: a field the kinds' struct does not list is an
 * error ("can't evaluate field X in type T"), as on a Go struct, instead of
 * "<no value>" (docker images' --format is typed; inspect's falls back to
 * the raw map).  The struct's Go type name is its kinds' "" member. */
enum { PYOCI_GT_JSON_ESCAPE_HTML = 1u << 0, PYOCI_GT_STRICT_FIELDS = 1u << 1 };

/* Limits for templates typed by users (or read from files). */
#define PYOCI_GT_MAX_TEXT (1u << 20)
#define PYOCI_GT_MAX_DEPTH 64

/* Parse.  Errors read like Go's: "template: :LINE: message" (code
 * PYOCI_E_INVALID). */
int pyoci_gotemplate_parse(const char *text, unsigned flags, pyoci_gotemplate_t **out, pyoci_error_t **err);
/* Run against data ($ and the initial dot), appending to out.  Errors read
 * "template: :LINE:COL: executing \"\" at <CMD>: message". */
int pyoci_gotemplate_execute(const pyoci_gotemplate_t *t, json_t *data, const json_t *kinds, strbuf_t *out,
                             pyoci_error_t **err);
void pyoci_gotemplate_free(pyoci_gotemplate_t *t);

static inline void pyoci_gotemplate_freep(pyoci_gotemplate_t **t)
{
  pyoci_gotemplate_free(*t);
}
#define cleanup_gotemplate __attribute__((cleanup(pyoci_gotemplate_freep)))

#endif
