/* Text from hostile input (file contents, Dockerfiles, layer paths) on its
 * way into JSON or a terminal: JSON strings must be valid UTF-8. */
#ifndef PYOCI_UTIL_UTF8_H
#define PYOCI_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool pyoci_utf8_valid(const char *s, size_t n);
/* A copy of s with every byte that is not part of a well-formed UTF-8
 * sequence replaced by '?'.  Caller frees. */
char *pyoci_utf8_sanitize(const char *s);
/* Code points in s[0..n): the columns a table gives UTF-8 text ("…" is one;
 * continuation bytes take none). */
size_t pyoci_utf8_width(const char *s, size_t n);
/* json_string() that never fails: invalid bytes become '?'; NULL -> "". */
json_t *pyoci_json_string_lossy(const char *s);

#endif
