/* HTTP(S) downloads with libcurl, bounded: size limit, connect and stall
 * timeouts, at most 5 redirects that never switch to another protocol than
 * the ones allowed, and a non-2xx status as an error. */
#ifndef PYOCI_UTIL_HTTP_H
#define PYOCI_UTIL_HTTP_H

#include <stdbool.h>
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

#endif
