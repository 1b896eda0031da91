/* Error values in the style of crun: a function that can fail takes
 * `pyoci_error_t **err`, returns a negative number (or NULL) and fills *err
 * with a message naming what failed and on what.  Callers add context with
 * pyoci_error_prefix() while passing the error up; only cli/ prints it. */
#ifndef PYOCI_UTIL_ERROR_H
#define PYOCI_UTIL_ERROR_H

#include <stdarg.h>

typedef struct pyoci_error {
  int errno_value; /* 0 when the failure is not a system call's */
  int code;        /* optional classification, see PYOCI_E_* */
  char *msg;
} pyoci_error_t;

/* Classification used by the CLI to pick exit codes (cli/common.c holds the
 * table, docs/exit-codes.md the list). */
enum {
  PYOCI_E_GENERIC = 0,
  PYOCI_E_NOT_FOUND = 1, /* image/ref/blob not found */
  PYOCI_E_INVALID = 2,   /* bad user input */
  PYOCI_E_CORRUPT = 3,   /* hostile or damaged data */
  PYOCI_E_USAGE = 4,     /* the request itself is malformed (an option value the library parses) */
};

/* Fill *err (if err != NULL and *err is NULL) and return -1.  When errno_value
 * is non-zero, ": strerror(errno_value)" is appended. */
int pyoci_error_set(pyoci_error_t **err, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pyoci_error_setv(pyoci_error_t **err, int errno_value, const char *fmt, va_list ap);
/* Same, with a classification code. */
int pyoci_error_set_code(pyoci_error_t **err, int code, int errno_value, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prepend "context: " to an existing error; returns -1. */
int pyoci_error_prefix(pyoci_error_t **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand up an error caught in a local (to look at it first): *err takes
 * *from whole -- code, errno and message as written, so the reason is not
 * appended a second time -- and *from is left NULL.  When *err is already
 * set, *from is freed (the first error wins).  Add context afterwards with
 * pyoci_error_prefix().  Returns -1. */
int pyoci_error_propagate(pyoci_error_t **err, pyoci_error_t **from);
/* The same for an error kept to be reported again (*from stays). */
int pyoci_error_copy(pyoci_error_t **err, const pyoci_error_t *from);
void pyoci_error_free(pyoci_error_t *e);
void pyoci_error_release(pyoci_error_t **e);

#define cleanup_error __attribute__((cleanup(pyoci_error_release)))

#endif
