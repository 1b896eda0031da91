/* Go-compatible text forms of values, so output meant to match a Go tool
 * (docker inspect, dive) matches it byte for byte:
 *  - JSON as Go's encoding/json writes it: object keys in document order,
 *    control characters as \u00XX (only \n \r \t short), U+2028/2029
 *    escaped, optionally <>& as \u003c \u003e \u0026 (json.Marshal does that,
 *    docker's {{json}} template function does not), json.Indent layout;
 *  - float64 as fmt's %v prints it and as encoding/json prints it. */
#ifndef PYOCI_UTIL_GOJSON_H
#define PYOCI_UTIL_GOJSON_H

#include <jansson.h>
#include <stdbool.h>

#include "strbuf.h"

/* Encode j.  indent NULL = compact; else json.Indent(prefix "", indent). */
void pyoci_go_json_encode(strbuf_t *sb, const json_t *j, const char *indent, bool escape_html);
/* A string as a JSON string literal (with quotes). */
void pyoci_go_json_string(strbuf_t *sb, const char *s, size_t len, bool escape_html);

/* fmt.Sprint(float64): strconv 'g' with the shortest digits, %e form when the
 * decimal exponent is < -4 or >= 6 (strconv's rule for shortest 'g'),
 * "NaN", "+Inf", "-Inf". */
void pyoci_go_format_float(strbuf_t *sb, double d);
/* encoding/json's float64 form: 'f' unless exponent < -6 or >= 21. */
void pyoci_go_json_float(strbuf_t *sb, double d);
/* An integer, true or false, which fmt's %v and encoding/json write alike:
 * write it and return true; any other value: write nothing, return false. */
bool pyoci_go_write_int_or_bool(strbuf_t *sb, const json_t *j);

#endif
