#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static pyoci_log_fn log_fn;
static void *log_data;
static pyoci_progress_fn progress_fn;
static void *progress_data;

void pyoci_set_log_handler(pyoci_log_fn fn, void *data)
{
  log_fn = fn;
  log_data = data;
}

void pyoci_set_progress_handler(pyoci_progress_fn fn, void *data)
{
  progress_fn = fn;
  progress_data = data;
}

void pyoci_log(int level, const char *fmt, ...)
{
  if (log_fn == NULL)
    return;
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&msg, fmt, ap);
  va_end(ap);
  if (n >= 0)
    log_fn(level, msg, log_data);
  free(msg);
}

void pyoci_progress(const char *label, uint64_t done, uint64_t total, int finished)
{
  if (progress_fn != NULL)
    progress_fn(label, done, total, finished, progress_data);
}
