/* HTTP(S) with libcurl, bounded: size limit, connect and stall timeouts,
 * only the protocols allowed (https, and http when asked).
 *
 * Two levels share one implementation:
 *   pyoci_http_download  GET a URL into an fd, redirects followed (at most
 *                        5, never to another protocol), non-2xx = error.
 *                        For `pyoci db update` and ADD <url>.
 *   pyoci_http_request   one request on a reusable connection handle, any
 *                        method, headers in and out, the body streamed to a
 *                        callback or collected; the status is returned, not
 *                        judged, and redirects are handed back to the caller
 *                        (the registry client decides where credentials go). */
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

/* ---- requests on a kept connection ---- */

/* TLS settings for one host.  ca_pem: extra CA certificates (PEM text),
 * added to the system bundle, like docker's certs.d/HOST/ca.crt. */
typedef struct {
  bool verify;            /* false: no peer or host verification */
  const char *ca_pem;     /* NULL = system CAs only */
  const char *client_cert, *client_key; /* PEM files, or NULL */
} pyoci_http_tls_t;

/* Body callback: return <0 (with *err set) to abort the transfer. */
typedef int (*pyoci_http_body_fn)(void *ctx, const void *buf, size_t len, pyoci_error_t **err);
/* Called once when a 2xx body starts, before its first byte reaches
 * on_body (ranges and restarts are judged here); <0 aborts. */
struct pyoci_http_resp;
typedef int (*pyoci_http_start_fn)(void *ctx, const struct pyoci_http_resp *resp, pyoci_error_t **err);
/* Progress callback: bytes moved so far in this request (down or up) and
 * the expected total (0 = unknown). */
typedef void (*pyoci_http_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct {
  const char *method;          /* NULL = GET; HEAD, PUT, POST, PATCH */
  const char *url;
  const char *const *headers;  /* NULL-terminated "Name: value" lines, or NULL */
  const void *body;            /* request body from memory ... */
  size_t body_len;
  int body_fd;                 /* ... or from a file when >= 0 (pread) */
  uint64_t body_offset, body_size;
  bool has_body;               /* send body/body_fd (an empty one too) */
  uint64_t max_bytes;          /* response body limit; 0 = 64 KiB */
  pyoci_http_body_fn on_body;  /* NULL: collect into resp->body (max_bytes) */
  pyoci_http_start_fn on_start;
  void *ctx;
  pyoci_http_progress_fn on_progress;
  void *progress_ctx;
  const pyoci_http_tls_t *tls; /* NULL = verify with system CAs */
  bool allow_http;
  bool follow_redirects;       /* let libcurl follow (only for credential-free requests) */
} pyoci_http_req_t;

#define PYOCI_HTTP_MAX_HEADERS 64

typedef struct pyoci_http_resp {
  long status;
  char *body;                  /* collected body, NUL-terminated (when on_body is NULL) */
  size_t body_len;
  uint64_t received;           /* body bytes received */
  char *headers[PYOCI_HTTP_MAX_HEADERS]; /* "name: value", name lowercased */
  size_t n_headers;
  char *redirect_url;          /* absolute target of a 3xx Location */
  bool retriable;              /* transport failure worth retrying (reset, timeout, cut short) */
  bool tls_failed;             /* TLS handshake failed (not a certificate problem) */
} pyoci_http_resp_t;

typedef struct pyoci_http_conn pyoci_http_conn_t;
pyoci_http_conn_t *pyoci_http_conn_new(void);
void pyoci_http_conn_free(pyoci_http_conn_t *c);

/* Perform req.  Returns 0 whenever a response status arrived (any status;
 * resp->status tells), -1 with err on transport failure or when the body
 * exceeds its limit (PYOCI_E_CORRUPT) or on_body refused it.  resp is
 * filled in both cases; free it with pyoci_http_resp_free. */
int pyoci_http_request(pyoci_http_conn_t *c, const pyoci_http_req_t *req, pyoci_http_resp_t *resp,
                       pyoci_error_t **err);
void pyoci_http_resp_free(pyoci_http_resp_t *r);

/* Many GETs at once (at most `parallel` in flight, 0 = 8), each on a kept
 * connection of its worker: each body to its job's fd, bounded by
 * o->max_bytes.  The first failure stops the rest and is returned; `failed`
 * (may be NULL) gets the index of the job that failed. */
typedef struct {
  const char *url;
  int fd;
} pyoci_http_job_t;
int pyoci_http_download_many(const pyoci_http_job_t *jobs, size_t n, int parallel, const pyoci_http_opts_t *o,
                             size_t *failed, pyoci_error_t **err);
/* Value of the last header called name (case-insensitive), or NULL. */
const char *pyoci_http_header(const pyoci_http_resp_t *r, const char *name);

/* ---- URLs (RFC 3986, by libcurl's parser) ---- */

/* ref resolved against base (an absolute http(s) URL): ref may be absolute,
 * scheme-relative ("//host/x"), rooted ("/x") or relative ("../x"; dot
 * segments removed).  NULL with *err set when either does not parse. */
char *pyoci_url_resolve(const char *base, const char *ref, pyoci_error_t **err);
/* Do a and b have the same scheme, host and port (default ports filled)? */
bool pyoci_url_same_origin(const char *a, const char *b);
/* The scheme of url ("http", "https"), NULL when it does not parse. */
char *pyoci_url_scheme(const char *url);

#endif
