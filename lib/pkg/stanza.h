/* Reader for the "Name: value" stanza formats the package databases use:
 * dpkg status (RFC 822 style, continuation lines start with a space or tab,
 * blank lines between stanzas), apk's installed db ("P:name", blank lines
 * between packages) and Python core metadata headers (email headers; the
 * body after the first blank line is not read).  Zero-copy: fields point
 * into the buffer.  Every line is bounded and bad input is an error naming
 * the file and line. */
#ifndef PYOCI_PKG_STANZA_H
#define PYOCI_PKG_STANZA_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/util/error.h"

typedef struct {
  const char *name;
  size_t name_len;
  const char *value; /* first line only, trimmed */
  size_t value_len;
  size_t line;
  const char *full;  /* the whole value: first line and continuation lines,
                        raw (Release's SHA256 list, Description) */
  size_t full_len;
} pyoci_field_t;

typedef struct {
  const char *path; /* for messages */
  const char *buf;
  size_t len, pos;
  size_t line;          /* number of the next line to read (1-based) */
  bool continuations;   /* lines starting with blank continue a field */
  pyoci_field_t *fields;
  size_t n, cap;
  size_t stanza_line;   /* line where the current stanza starts */
} pyoci_stanza_reader_t;

void pyoci_stanza_init(pyoci_stanza_reader_t *r, const char *path, const char *buf, size_t len,
                       bool continuations);
void pyoci_stanza_release(pyoci_stanza_reader_t *r);
/* 1 = a stanza is in r->fields, 0 = end of input, -1 = error. */
int pyoci_stanza_next(pyoci_stanza_reader_t *r, pyoci_error_t **err);
/* First field called name (ASCII case-insensitive), or NULL. */
const pyoci_field_t *pyoci_stanza_get(const pyoci_stanza_reader_t *r, const char *name);
/* Its value as a new string, or NULL when absent. */
char *pyoci_stanza_dup(const pyoci_stanza_reader_t *r, const char *name);

#endif
