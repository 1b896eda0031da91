/* One registry host: where it is (https, or http where allowed), how to
 * trust it (system CAs plus docker's certs.d/HOST[:PORT]/ *.crt, client
 * certificates), who we are (credentials), and the request loop every
 * operation uses: auth, one re-authentication on 401, retries with backoff
 * honouring Retry-After, redirects that never carry credentials to another
 * host. */
#include <ctype.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/log.h"
#include "lib/util/strbuf.h"
#include "registry_int.h"

#define CA_FILE_MAX (4u << 20)

static bool host_is_loopback(const char *host)
{
  cleanup_free char *h = xstrdup(host);
  if (h[0] == '[') { /* [::1]:5000 */
    char *end = strchr(h, ']');
    if (end)
      *end = '\0';
    return strcmp(h + 1, "::1") == 0;
  }
  char *colon = strchr(h, ':');
  if (colon)
    *colon = '\0';
  return strcmp(h, "localhost") == 0 || strncmp(h, "127.", 4) == 0;
}

/* System CA bundle + every *.crt of certs.d/HOST (docker's rule: they are
 * added to, not substituted for, the system roots). */
static int load_certs_d(reg_client_t *r, pyoci_error_t **err)
{
  if (r->o->certs_dir == NULL)
    return 0;
  cleanup_free char *dir = pyoci_path_join(r->o->certs_dir, r->name);
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL)
    return 0;
  strbuf_t pem = STRBUF_INIT;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    cleanup_free char *path = pyoci_path_join(dir, e->d_name);
    if (strcmp(e->d_name, "client.cert") == 0)
      r->client_cert = xstrdup(path);
    else if (strcmp(e->d_name, "client.key") == 0)
      r->client_key = xstrdup(path);
    if (n < 5 || strcmp(e->d_name + n - 4, ".crt") != 0)
      continue;
    cleanup_free char *buf = NULL;
    size_t len = 0;
    if (pyoci_read_file(path, CA_FILE_MAX, &buf, &len, err) < 0) {
      strbuf_release(&pem);
      return -1;
    }
    strbuf_add(&pem, buf, len);
    strbuf_addch(&pem, '\n');
  }
  if (pem.len == 0)
    return 0;
  CURL *c = curl_easy_init();
  char *sys = NULL;
  if (c && curl_easy_getinfo(c, CURLINFO_CAINFO, &sys) == CURLE_OK && sys != NULL) {
    cleanup_free char *buf = NULL;
    size_t len = 0;
    pyoci_error_t *ignored = NULL;
    if (pyoci_read_file(sys, CA_FILE_MAX, &buf, &len, &ignored) == 0)
      strbuf_add(&pem, buf, len);
    pyoci_error_free(ignored);
  }
  curl_easy_cleanup(c);
  r->ca_pem = strbuf_detach(&pem);
  return 0;
}

/* The schemes to ask /v2/ over, in order.  Loopback asks plain http first:
 * a local registry is nearly always plain (docker treats 127.0.0.0/8 as
 * insecure), no network attacker can stand between the two ends, and
 * starting TLS costs a command more than the whole warm pull's own work
 * (OpenSSL's start-up, ~7 ms).  A TLS server answers the plain request with
 * an error (Go's: 400), and https follows, verified as the options say.
 * Elsewhere https comes first, and http only with --tls-verify=false. */
static size_t ping_schemes(const reg_client_t *r, const char *out[2])
{
  out[0] = r->loopback ? "http" : "https";
  out[1] = r->loopback ? "https" : "http";
  return r->loopback || !r->o->tls_verify ? 2 : 1;
}

/* A reply that shows a distribution registry speaks this scheme. */
static bool is_registry_reply(long status)
{
  return status == 200 || status == 401; /* 401: the challenge is adopted */
}

static int ping(reg_client_t *r, pyoci_http_conn_t *c, pyoci_error_t **err)
{
  const char *schemes[2];
  size_t n = ping_schemes(r, schemes);
  for (size_t i = 0; i < n; i++) {
    free(r->base);
    r->base = xasprintf("%s://%s", schemes[i], r->host);
    /* No retries here: an unreachable registry is reported at once. */
    reg_req_t q = {.path = "/v2/", .body_fd = -1, .no_retry = true};
    pyoci_http_resp_t resp;
    pyoci_error_t *e = NULL;
    int rc = pyoci_reg_do(r, c, &q, &resp, &e);
    long st = resp.status;
    bool other_scheme = rc < 0 ? resp.tls_failed || resp.retriable : !is_registry_reply(st);
    pyoci_http_resp_free(&resp);
    if (rc == 0 && is_registry_reply(st))
      return 0;
    if (other_scheme && i + 1 < n) {
      pyoci_log(PYOCI_LOG_DEBUG, "%s: %s failed (%s); trying %s", r->name, schemes[i],
                e ? e->msg : "not a registry", schemes[i + 1]);
      pyoci_error_free(e);
      continue;
    }
    if (rc < 0) {
      *err = e;
      return pyoci_error_prefix(err, "registry %s", r->name);
    }
    return pyoci_error_set(err, 0, "registry %s: /v2/ answered HTTP %ld: not a distribution registry", r->name, st);
  }
  return pyoci_error_set(err, 0, "registry %s: unreachable", r->name);
}

const char *pyoci_registry_endpoint(const char *registry)
{
  if (strcmp(registry, "docker.io") == 0 || strcmp(registry, "index.docker.io") == 0)
    return "registry-1.docker.io";
  return registry;
}

int pyoci_reg_client_open(const char *registry, const pyoci_registry_opts_t *o, pyoci_http_conn_t *conn,
                    reg_client_t **out, pyoci_error_t **err)
{
  if (conn == NULL)
    return pyoci_error_set(err, 0, "registry %s: cannot initialise libcurl", registry);
  reg_client_t *r = xcalloc(1, sizeof(*r));
  pthread_mutex_init(&r->mu, NULL);
  r->o = o;
  r->name = xstrdup(registry);
  r->host = xstrdup(pyoci_registry_endpoint(registry));
  r->loopback = host_is_loopback(r->host);
  r->tls.verify = o->tls_verify;
  int rc = load_certs_d(r, err);
  r->tls.ca_pem = r->ca_pem;
  r->tls.client_cert = r->client_cert;
  r->tls.client_key = r->client_key;
  if (rc == 0 && o->username != NULL) {
    r->user = xstrdup(o->username);
    r->pass = xstrdup(o->password ? o->password : "");
  } else if (rc == 0) {
    rc = pyoci_reg_creds_lookup(o->docker_config, registry, &r->user, &r->pass, err);
  }
  if (rc == 0)
    rc = ping(r, conn, err);
  if (rc < 0) {
    pyoci_reg_client_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

void pyoci_reg_client_free(reg_client_t *r)
{
  if (r == NULL)
    return;
  pyoci_reg_auth_free_tokens(r);
  pthread_mutex_destroy(&r->mu);
  free(r->name);
  free(r->host);
  free(r->base);
  free(r->ca_pem);
  free(r->client_cert);
  free(r->client_key);
  free(r->user);
  if (r->pass)
    explicit_bzero(r->pass, strlen(r->pass));
  free(r->pass);
  free(r);
}

char *pyoci_reg_scope(const char *path, const char *actions)
{
  char *s = NULL;
  s = xasprintf("repository:%s:%s", path, actions);
  return s;
}

char *pyoci_reg_resolve_url(const reg_client_t *r, const char *location)
{
  char *s = NULL;
  if (strncmp(location, "https://", 8) == 0 || strncmp(location, "http://", 7) == 0)
    return xstrdup(location);
  s = xasprintf("%s%s%s", r->base, location[0] == '/' ? "" : "/", location);
  return s;
}

int pyoci_reg_status_error(const pyoci_http_resp_t *resp, const char *what, pyoci_error_t **err)
{
  cleanup_free char *msg = pyoci_registry_error_text(resp->body, resp->body_len, resp->status, what);
  int code = resp->status == 404 ? PYOCI_E_NOT_FOUND : resp->status == 401 || resp->status == 403 ? PYOCI_E_INVALID : 0;
  return pyoci_error_set_code(err, code, 0, "%s", msg);
}

/* ---- the request loop ---- */

static bool same_host(const reg_client_t *r, const char *url)
{
  size_t n = strlen(r->base);
  return strncmp(url, r->base, n) == 0 && (url[n] == '/' || url[n] == '\0' || url[n] == '?');
}

/* Seconds to wait before retry number attempt (0-based). */
static unsigned retry_wait(const reg_client_t *r, const pyoci_http_resp_t *resp, unsigned attempt)
{
  unsigned cap = r->o->retry_max_wait ? r->o->retry_max_wait : 60;
  const char *ra = resp ? pyoci_http_header(resp, "retry-after") : NULL;
  long w = -1;
  if (ra != NULL && isdigit((unsigned char)*ra)) {
    w = strtol(ra, NULL, 10);
  } else if (ra != NULL) {
    time_t t = curl_getdate(ra, NULL);
    if (t > 0)
      w = t > time(NULL) ? (long)(t - time(NULL)) : 0;
  }
  if (w < 0)
    w = attempt < 6 ? 1L << attempt : 60; /* 1, 2, 4, ... */
  return w > (long)cap ? cap : (unsigned)w;
}

static void sleep_seconds(unsigned s)
{
  struct timespec ts = {.tv_sec = s};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

struct attempt {
  char *url;
  const char *range;
  unsigned tries, redirects;
  bool reauthed;
};

static int perform(reg_client_t *r, pyoci_http_conn_t *c, const reg_req_t *q, struct attempt *a,
                   pyoci_http_resp_t *resp, pyoci_error_t **err)
{
  memset(resp, 0, sizeof(*resp));
  cleanup_free char *auth = NULL;
  bool mine = same_host(r, a->url);
  if (mine && pyoci_reg_auth_header(r, c, q->scope, false, &auth, err) < 0)
    return -1;
  const char *hdrs[24];
  size_t n = 0;
  for (const char *const *h = q->headers; h && *h && n < 20; h++)
    hdrs[n++] = *h;
  if (auth)
    hdrs[n++] = auth;
  if (a->range && *a->range)
    hdrs[n++] = a->range;
  hdrs[n] = NULL;
  pyoci_http_req_t req = {.method = q->method, .url = a->url, .headers = hdrs, .body = q->body,
                          .body_len = q->body_len, .body_fd = q->body_fd, .body_offset = q->body_offset,
                          .body_size = q->body_size, .has_body = q->has_body, .max_bytes = q->max_bytes,
                          .on_body = q->on_body, .on_start = q->on_start, .ctx = q->ctx, .on_progress = q->on_progress,
                          .progress_ctx = q->progress_ctx, .tls = &r->tls,
                          .allow_http = r->loopback || !r->o->tls_verify};
  return pyoci_http_request(c, &req, resp, err);
}

enum { NEXT_DONE, NEXT_AGAIN, NEXT_FAIL };

/* Decide what to do after one attempt. */
static int next_step(reg_client_t *r, pyoci_http_conn_t *c, const reg_req_t *q, struct attempt *a, int rc,
                     pyoci_http_resp_t *resp, pyoci_error_t **err)
{
  unsigned retries = r->o->retries ? r->o->retries : 4;
  bool can_retry = !q->no_retry && a->tries < retries;
  long st = resp->status;
  if (rc < 0)
    can_retry = can_retry && resp->retriable;
  else if (st == 401 && same_host(r, a->url) && !a->reauthed) {
    a->reauthed = true;
    if (pyoci_reg_auth_challenge(r, resp, err) < 0)
      return NEXT_FAIL;
    cleanup_free char *ignored = NULL;
    if (pyoci_reg_auth_header(r, c, q->scope, true, &ignored, err) < 0)
      return NEXT_FAIL;
    return q->on_body && q->before_retry && (a->range = q->before_retry(q->ctx)) == NULL ? NEXT_FAIL : NEXT_AGAIN;
  } else if (st >= 300 && st < 400 && q->follow && resp->redirect_url) {
    if (++a->redirects > PYOCI_REGISTRY_MAX_REDIRECTS) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: more than %d redirects", a->url, PYOCI_REGISTRY_MAX_REDIRECTS);
      return NEXT_FAIL;
    }
    free(a->url);
    a->url = xstrdup(resp->redirect_url);
    return NEXT_AGAIN;
  } else if (!(st == 429 || st == 500 || st == 502 || st == 503 || st == 504)) {
    return NEXT_DONE;
  }
  if (!can_retry)
    return rc < 0 ? NEXT_FAIL : NEXT_DONE;
  unsigned w = retry_wait(r, rc < 0 ? NULL : resp, a->tries);
  pyoci_log(PYOCI_LOG_INFO, "%s %s: %s; retrying in %us", q->method ? q->method : "GET", a->url,
            rc < 0 ? (*err)->msg : st == 429 ? "429 too many requests" : "server error", w);
  if (rc < 0)
    pyoci_error_release(err);
  a->tries++;
  sleep_seconds(w);
  if (q->on_body && q->before_retry && (a->range = q->before_retry(q->ctx)) == NULL)
    return NEXT_FAIL;
  return NEXT_AGAIN;
}

int pyoci_reg_do(reg_client_t *r, pyoci_http_conn_t *c, const reg_req_t *q, pyoci_http_resp_t *resp, pyoci_error_t **err)
{
  struct attempt a = {.url = pyoci_reg_resolve_url(r, q->path), .range = q->range};
  for (;;) {
    int rc = perform(r, c, q, &a, resp, err);
    int next = next_step(r, c, q, &a, rc, resp, err);
    if (next == NEXT_AGAIN) {
      pyoci_http_resp_free(resp);
      continue;
    }
    free(a.url);
    if (next == NEXT_FAIL && (err == NULL || *err == NULL))
      pyoci_error_set(err, 0, "%s: giving up", q->path);
    return next == NEXT_DONE && rc == 0 ? 0 : -1;
  }
}

int pyoci_reg_with_ref(const char *refstr, const pyoci_registry_opts_t *o, const char *what, reg_ref_fn fn,
                       void *ctx, pyoci_error_t **err)
{
  pyoci_ref_t ref;
  if (pyoci_ref_parse(refstr, &ref, err) < 0)
    return -1;
  cleanup_http_conn pyoci_http_conn_t *c = pyoci_http_conn_new();
  cleanup_reg_client reg_client_t *r = NULL;
  int rc = pyoci_reg_client_open(ref.domain, o, c, &r, err);
  if (rc == 0)
    rc = fn(r, c, &ref, ctx, err);
  pyoci_ref_free(&ref);
  if (rc < 0)
    pyoci_error_prefix(err, "%s%s", what, refstr);
  return rc;
}
