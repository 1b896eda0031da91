/* Inside the registry client: one host's connection state and the request
 * helper every operation goes through. */
#ifndef PYOCI_REGISTRY_REGISTRY_INT_H
#define PYOCI_REGISTRY_REGISTRY_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/oci/ref.h"
#include "lib/util/http.h"
#include "registry.h"

#define REG_MAX_TOKENS 16

struct reg_token {
  char *scope;  /* the scopes it was asked for, joined by ' ' */
  char *header; /* "Authorization: Bearer ..." */
  time_t expires;
};

struct auth_scheme;

typedef struct reg_client {
  char *name;           /* registry as the user names it ("docker.io", "localhost:5000") */
  char *host;           /* host[:port] actually contacted */
  char *base;           /* "https://host" or "http://host" */
  bool loopback;        /* 127.0.0.0/8, ::1, localhost: plain http allowed */
  pyoci_http_tls_t tls;
  char *ca_pem;         /* system bundle + certs.d/HOST/ca.crt, when present */
  char *client_cert, *client_key;
  char *user, *pass;    /* NULL = anonymous */
  const pyoci_registry_opts_t *o;
  pthread_mutex_t mu;   /* guards the auth state below */
  const struct auth_scheme *scheme;
  pyoci_auth_challenge_t challenge;
  struct reg_token tokens[REG_MAX_TOKENS];
  size_t n_tokens;
} reg_client_t;

/* Open a client for a registry name: credentials, TLS, then GET /v2/ to
 * learn the scheme (https, falling back to http where allowed) and the
 * auth challenge.  conn NULL (libcurl failed to start) is an error. */
int pyoci_reg_client_open(const char *registry, const pyoci_registry_opts_t *o, pyoci_http_conn_t *conn,
                    reg_client_t **out, pyoci_error_t **err);
void pyoci_reg_client_free(reg_client_t *r);
/* What a verb on one remote reference does first and last: parse refstr
 * (a bad one fails as it is, before anything opens), open a connection and
 * a client for its registry, run fn, and name the reference in an error of
 * the open or of fn as "<what><refstr>: ...". */
typedef int (*reg_ref_fn)(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, void *ctx,
                          pyoci_error_t **err);
int pyoci_reg_with_ref(const char *refstr, const pyoci_registry_opts_t *o, const char *what, reg_ref_fn fn,
                       void *ctx, pyoci_error_t **err);
#define cleanup_reg_client __attribute__((cleanup(reg_client_freep)))
static inline void reg_client_freep(reg_client_t **r)
{
  pyoci_reg_client_free(*r);
}
#define cleanup_http_conn __attribute__((cleanup(reg_http_conn_freep)))
static inline void reg_http_conn_freep(pyoci_http_conn_t **c)
{
  pyoci_http_conn_free(*c);
}

/* One registry request.  path is relative to base ("/v2/...") or an absolute
 * URL (upload locations).  scope: "repository:NAME:ACTIONS" list joined by
 * ' ' for bearer tokens. */
typedef struct {
  const char *method;
  const char *path;
  const char *scope;
  const char *const *headers;
  const void *body;
  size_t body_len;
  int body_fd;
  uint64_t body_offset, body_size;
  bool has_body;
  uint64_t max_bytes;
  pyoci_http_body_fn on_body;
  pyoci_http_start_fn on_start;
  void *ctx;
  pyoci_http_progress_fn on_progress;
  void *progress_ctx;
  /* Called before a retry of a request whose body went to on_body: returns
   * the Range header to send ("" for none), or NULL to give up. */
  const char *(*before_retry)(void *ctx);
  const char *range;    /* "Range: bytes=N-" on the first attempt, or NULL */
  bool no_retry;
  bool follow;          /* follow redirects (GET/HEAD of blobs and manifests) */
} reg_req_t;

/* Perform q with auth (one re-authentication on 401), retries on 429/5xx
 * and transport errors (backoff, Retry-After), and redirects (no
 * credentials to another host).  Returns 0 with resp->status set to the
 * final status (the caller judges it), -1 on transport failure. */
int pyoci_reg_do(reg_client_t *r, pyoci_http_conn_t *c, const reg_req_t *q, pyoci_http_resp_t *resp,
           pyoci_error_t **err);
/* Error for an unexpected status: the registry's error body in one line. */
int pyoci_reg_status_error(const pyoci_http_resp_t *resp, const char *what, pyoci_error_t **err);
/* Absolute URL for a Location header relative to the registry base. */
char *pyoci_reg_resolve_url(const reg_client_t *r, const char *location);
/* "repository:PATH:ACTIONS" */
char *pyoci_reg_scope(const char *path, const char *actions);

/* auth.c: the Authorization header line for scope (NULL when anonymous),
 * fetching a token when needed.  force: the last one was refused. */
int pyoci_reg_auth_header(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, bool force, char **out,
                    pyoci_error_t **err);
/* Forget tokens and the challenge (client teardown). */
void pyoci_reg_auth_free_tokens(reg_client_t *r);
/* Adopt the challenge of a 401 reply. */
int pyoci_reg_auth_challenge(reg_client_t *r, const pyoci_http_resp_t *resp, pyoci_error_t **err);

/* creds.c: base64 (docker config, basic auth).  Caller frees. */
char *pyoci_reg_base64(const char *in, size_t n);
/* creds.c: credentials for a registry from the docker config (helpers first). */
int pyoci_reg_creds_lookup(const char *config_path, const char *registry, char **user, char **pass, pyoci_error_t **err);
int pyoci_reg_creds_store(const char *config_path, const char *registry, const char *user, const char *pass,
                    pyoci_error_t **err);
int pyoci_reg_creds_erase(const char *config_path, const char *registry, pyoci_error_t **err);

/* manifest.c: fetch a manifest by tag or digest, verified (digest given, or
 * Docker-Content-Digest), bounded. */
typedef struct {
  char *bytes;
  size_t len;
  char digest[PYOCI_DIGEST_LEN];
  pyoci_wire_manifest_t m;
} reg_manifest_t;
/* remote.c: GET a small blob (a config) whole, at most max bytes, checked
 * against its digest.  *out is the caller's. */
int pyoci_reg_fetch_small_blob(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *digest, size_t max,
                               char **out, size_t *len, pyoci_error_t **err);
int pyoci_reg_fetch_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                       reg_manifest_t *out, pyoci_error_t **err);
void pyoci_reg_manifest_free(reg_manifest_t *m);
/* The Accept header for manifests. */
extern const char *const pyoci_reg_manifest_accept[];

/* pool.c: run fn(ctx, conn, i) for i in [0, n) on `jobs` threads (0 = 4),
 * each with its own connection; the first error wins. */
typedef int (*reg_job_fn)(void *ctx, pyoci_http_conn_t *c, size_t i, pyoci_error_t **err);
int pyoci_reg_pool_run(unsigned jobs, size_t n, reg_job_fn fn, void *ctx, pyoci_error_t **err);

/* push.c: PUT a manifest's bytes as repo's reference (tag or digest) with
 * push scope; the reply, whatever its status, in *resp (caller frees). */
int pyoci_reg_send_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                            const char *media_type, const void *bytes, size_t len, pyoci_http_resp_t *resp,
                            pyoci_error_t **err);
/* push.c: upload one manifest and return the digest the registry confirms. */
int pyoci_reg_put_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                     const char *media_type, const char *bytes, size_t len, pyoci_error_t **err);
/* push.c: make sure blob digest (from the store) is in repo. */
int pyoci_reg_push_blob(reg_client_t *r, pyoci_http_conn_t *c, pyoci_store_t *s, const char *repo, const char *mount_from,
                  const char *digest, int *how, pyoci_error_t **err);
/* push.c: upload bytes as a blob (small, from memory). */
int pyoci_reg_push_bytes(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const void *bytes, size_t len,
                   const char *digest, pyoci_error_t **err);

#endif
