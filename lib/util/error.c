#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int pyoci_error_setv(pyoci_error_t **err, int errno_value, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  char *base = xvasprintf(fmt, ap);
  pyoci_error_t *e = xcalloc(1, sizeof(*e));
  e->errno_value = errno_value;
  if (errno_value != 0) {
    e->msg = xasprintf("%s: %s", base, strerror(errno_value));
    free(base);
  } else {
    e->msg = base;
  }
  *err = e;
  return -1;
}

int pyoci_error_set(pyoci_error_t **err, int errno_value, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  pyoci_error_setv(err, errno_value, fmt, ap);
  va_end(ap);
  return -1;
}

int pyoci_error_set_code(pyoci_error_t **err, int code, int errno_value, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int fresh = err != NULL && *err == NULL;
  pyoci_error_setv(err, errno_value, fmt, ap);
  va_end(ap);
  if (fresh && *err != NULL)
    (*err)->code = code;
  return -1;
}

int pyoci_error_prefix(pyoci_error_t **err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start(ap, fmt);
  char *ctx = xvasprintf(fmt, ap);
  va_end(ap);
  char *joined = xasprintf("%s: %s", ctx, (*err)->msg);
  free((*err)->msg);
  (*err)->msg = joined;
  free(ctx);
  return -1;
}

int pyoci_error_propagate(pyoci_error_t **err, pyoci_error_t **from)
{
  if (from == NULL || *from == NULL)
    return -1;
  if (err != NULL && *err == NULL)
    *err = *from;
  else
    pyoci_error_free(*from);
  *from = NULL;
  return -1;
}

int pyoci_error_copy(pyoci_error_t **err, const pyoci_error_t *from)
{
  if (from == NULL || err == NULL || *err != NULL)
    return -1;
  pyoci_error_t *e = xcalloc(1, sizeof(*e));
  e->errno_value = from->errno_value;
  e->code = from->code;
  e->msg = xstrdup(from->msg);
  *err = e;
  return -1;
}

void pyoci_error_free(pyoci_error_t *e)
{
  if (e == NULL)
    return;
  free(e->msg);
  free(e);
}

void pyoci_error_release(pyoci_error_t **e)
{
  pyoci_error_free(*e);
  *e = NULL;
}
