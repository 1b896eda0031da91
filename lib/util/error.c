#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

int pyoci_error_setv(pyoci_error_t **err, int errno_value, const char *fmt, va_list ap)
{
  if (err == NULL || *err != NULL)
    return -1;
  char *base = NULL;
  if (vasprintf(&base, fmt, ap) < 0)
    base = NULL;
  pyoci_error_t *e = xcalloc(1, sizeof(*e));
  if (e == NULL) {
    free(base);
    return -1;
  }
  e->errno_value = errno_value;
  if (base != NULL && errno_value != 0) {
    if (asprintf(&e->msg, "%s: %s", base, strerror(errno_value)) < 0)
      e->msg = NULL;
    free(base);
  } else {
    e->msg = base;
  }
  if (e->msg == NULL)
    e->msg = xstrdup("out of memory");
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
  char *ctx = NULL, *joined = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end(ap);
  if (ctx != NULL && asprintf(&joined, "%s: %s", ctx, (*err)->msg) >= 0) {
    free((*err)->msg);
    (*err)->msg = joined;
  }
  free(ctx);
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
