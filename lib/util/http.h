/* HTTP(S) downloads with libcurl, bounded: size limit, connect and stall
 * timeouts, at most 5 redirects that never switch to another protocol than
 * the ones allowed, and a non-2xx status as an error. */
#ifndef PYOCI_UTIL_HTTP_H
#define PYOCI_UTIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

typedef struct {
  uint64_t max_bytes;   /* larger bodies are an error (PYOCI_E_CORRUPT) */
  bool allow_http;      /* plain http as well as https (redirects included) */
  const char *label;    /* progress label, NULL = "downloading URL" */
} pyoci_http_opts_t;

typedef struct {
  uint64_t size;        /* bytes written */
  time_t last_modified; /* the Last-Modified header, -1 when absent */
} pyoci_http_info_t;

/* GET url, writing the body to fd.  info may be NULL. */
int pyoci_http_download(const char *url, int fd, const pyoci_http_opts_t *o, pyoci_http_info_t *info,
                        pyoci_error_t **err);

/* Many GETs at once on one libcurl multi handle (at most `parallel` in
 * flight, 0 = 8): each body to its job's fd, bounded by o->max_bytes.  The
 * first failure stops the rest and is returned; `failed` (may be NULL) gets
 * the index of the job that failed. */
typedef struct {
  const char *url;
  int fd;
} pyoci_http_job_t;
int pyoci_http_download_many(const pyoci_http_job_t *jobs, size_t n, int parallel, const pyoci_http_opts_t *o,
                             size_t *failed, pyoci_error_t **err);

#endif
