/* HTTP(S) with libcurl: one request engine (pyoci_http_request) under the
 * simple downloader (`pyoci db update`, ADD <url>) and the registry client. */
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cleanup.h"
#include "fs.h"
#include "log.h"
#include "strbuf.h"

#define HTTP_DEFAULT_MAX (64u << 10)
#define HTTP_MAX_HEADER_LINE 8192

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct pyoci_http_conn {
  CURL *curl;
};

pyoci_http_conn_t *pyoci_http_conn_new(void)
{
  pthread_once(&curl_once, curl_init);
  pyoci_http_conn_t *c = xcalloc(1, sizeof(*c));
  c->curl = curl_easy_init();
  if (c->curl == NULL) {
    free(c);
    return NULL;
  }
  return c;
}

void pyoci_http_conn_free(pyoci_http_conn_t *c)
{
  if (c == NULL)
    return;
  curl_easy_cleanup(c->curl);
  free(c);
}

/* State of one transfer, shared by the curl callbacks. */
struct xfer {
  const pyoci_http_req_t *req;
  pyoci_http_resp_t *resp;
  strbuf_t body;
  uint64_t max;
  bool too_big;
  pyoci_error_t *cb_err; /* set when on_body refused the data */
  uint64_t up_pos;       /* upload position within the request body */
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
  struct xfer *x = user;
  size_t n = size * nmemb;
  if (x->resp->received + n > x->max) {
    x->too_big = true;
    return 0;
  }
  x->resp->received += n;
  /* Error bodies are small documents: always collect them, never feed them
   * to the caller's sink as if they were content. */
  if (x->req->on_body == NULL || x->resp->status < 200 || x->resp->status >= 300) {
    if (x->req->on_body != NULL && x->body.len + n > HTTP_DEFAULT_MAX) {
      x->too_big = true;
      return 0;
    }
    strbuf_add(&x->body, data, n);
    return n;
  }
  if (x->resp->received == n && x->req->on_start && x->req->on_start(x->req->ctx, x->resp, &x->cb_err) < 0)
    return 0;
  if (x->req->on_body(x->req->ctx, data, n, &x->cb_err) < 0)
    return 0;
  return n;
}

static void headers_reset(pyoci_http_resp_t *r)
{
  for (size_t i = 0; i < r->n_headers; i++)
    free(r->headers[i]);
  r->n_headers = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
  struct xfer *x = user;
  size_t n = size * nmemb;
  if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    /* A new response (after 100-continue or a followed redirect). */
    headers_reset(x->resp);
    long st = 0;
    const char *sp = memchr(data, ' ', n);
    if (sp != NULL)
      st = strtol(sp + 1, NULL, 10);
    x->resp->status = st;
    return n;
  }
  size_t len = n;
  while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
    len--;
  const char *colon = memchr(data, ':', len);
  if (colon == NULL || len > HTTP_MAX_HEADER_LINE || x->resp->n_headers >= PYOCI_HTTP_MAX_HEADERS)
    return n;
  char *line = xstrndup(data, len);
  for (char *p = line; *p != ':'; p++)
    *p = (char)tolower((unsigned char)*p);
  x->resp->headers[x->resp->n_headers++] = line;
  return n;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *user)
{
  struct xfer *x = user;
  const pyoci_http_req_t *r = x->req;
  size_t want = size * nmemb;
  if (r->body_fd < 0) {
    size_t left = r->body_len - (size_t)x->up_pos;
    size_t n = want < left ? want : left;
    memcpy(buf, (const char *)r->body + x->up_pos, n);
    x->up_pos += n;
    return n;
  }
  uint64_t left = r->body_size - x->up_pos;
  size_t n = want < left ? want : (size_t)left;
  if (n == 0)
    return 0;
  ssize_t got;
  do
    got = pread(r->body_fd, buf, n, (off_t)(r->body_offset + x->up_pos));
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    return CURL_READFUNC_ABORT;
  x->up_pos += (uint64_t)got;
  return (size_t)got;
}

static int on_xferinfo(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  struct xfer *x = user;
  if (x->req->on_progress)
    x->req->on_progress(x->req->progress_ctx, (uint64_t)(dlnow + ulnow), (uint64_t)(dltotal + ultotal));
  return 0;
}

static void set_tls(CURL *c, const pyoci_http_tls_t *tls)
{
  if (tls == NULL)
    return;
  if (!tls->verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (tls->ca_pem != NULL) {
    struct curl_blob blob = {.data = (void *)tls->ca_pem, .len = strlen(tls->ca_pem), .flags = CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  }
  if (tls->client_cert && tls->client_key) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, tls->client_cert);
    curl_easy_setopt(c, CURLOPT_SSLKEY, tls->client_key);
  }
}

static void set_method(CURL *c, const pyoci_http_req_t *r, uint64_t body_size)
{
  const char *m = r->method ? r->method : "GET";
  if (strcmp(m, "HEAD") == 0) {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    return;
  }
  if (strcmp(m, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->has_body ? body_size : 0));
    if (!r->has_body)
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    return;
  }
  if (r->has_body) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)body_size);
  }
  if (strcmp(m, "GET") != 0 && strcmp(m, "PUT") != 0)
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
  else if (strcmp(m, "PUT") == 0 && !r->has_body) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)0);
  }
}

static struct curl_slist *build_headers(const pyoci_http_req_t *r)
{
  struct curl_slist *h = NULL;
  /* A registry answers at once; waiting for 100-continue costs a round trip. */
  h = curl_slist_append(h, "Expect:");
  for (const char *const *p = r->headers; p != NULL && *p != NULL; p++)
    h = curl_slist_append(h, *p);
  return h;
}

static void set_options(CURL *c, const pyoci_http_req_t *r, struct xfer *x, char *errbuf)
{
  const char *protocols = r->allow_http ? "http,https" : "https";
  curl_easy_setopt(c, CURLOPT_URL, r->url);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, r->follow_redirects ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L); /* bytes/s ... */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);    /* ... for this long aborts */
  curl_easy_setopt(c, CURLOPT_USERAGENT, "pyoci");
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(c, CURLOPT_READDATA, x);
  curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L << 10);
  curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
  if (r->on_progress) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
  }
  set_tls(c, r->tls);
  set_method(c, r, r->body_fd >= 0 ? r->body_size : r->body_len);
}

static bool retriable_code(CURLcode rc)
{
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

static int finish(CURL *c, CURLcode rc, struct xfer *x, const char *errbuf, pyoci_error_t **err)
{
  pyoci_http_resp_t *resp = x->resp;
  const pyoci_http_req_t *r = x->req;
  long st = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
  if (st != 0)
    resp->status = st;
  char *loc = NULL;
  if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc != NULL)
    resp->redirect_url = xstrdup(loc);
  resp->body_len = x->body.len;
  resp->body = strbuf_detach(&x->body);
  if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s '%s': larger than the limit of %llu bytes",
                                r->method ? r->method : "GET", r->url, (unsigned long long)x->max);
  if (x->cb_err != NULL) {
    *err = x->cb_err;
    x->cb_err = NULL;
    return -1;
  }
  if (rc == CURLE_OK)
    return 0;
  resp->retriable = retriable_code(rc);
  resp->tls_failed = rc == CURLE_SSL_CONNECT_ERROR;
  return pyoci_error_set(err, 0, "%s '%s': %s", r->method ? r->method : "GET", r->url,
                         errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

int pyoci_http_request(pyoci_http_conn_t *conn, const pyoci_http_req_t *req, pyoci_http_resp_t *resp,
                       pyoci_error_t **err)
{
  memset(resp, 0, sizeof(*resp));
  CURL *c = conn->curl;
  curl_easy_reset(c); /* options go, the connection cache stays */
  struct xfer x = {.req = req, .resp = resp, .body = STRBUF_INIT, .max = req->max_bytes ? req->max_bytes : HTTP_DEFAULT_MAX};
  char errbuf[CURL_ERROR_SIZE] = "";
  set_options(c, req, &x, errbuf);
  struct curl_slist *h = build_headers(req);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(h);
  int ret = finish(c, rc, &x, errbuf, err);
  strbuf_release(&x.body);
  pyoci_error_free(x.cb_err);
  return ret;
}

void pyoci_http_resp_free(pyoci_http_resp_t *r)
{
  headers_reset(r);
  free(r->body);
  free(r->redirect_url);
  r->body = NULL;
  r->redirect_url = NULL;
}

const char *pyoci_http_header(const pyoci_http_resp_t *r, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = r->n_headers; i-- > 0;) {
    const char *h = r->headers[i];
    if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
      const char *v = h + n + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      return v;
    }
  }
  return NULL;
}

/* ---- the simple downloader ---- */

struct dl_sink {
  int fd;
  const char *label;
};

static int dl_write(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  struct dl_sink *s = ctx;
  return pyoci_write_all(s->fd, buf, len, "download", err);
}

static void dl_progress(void *ctx, uint64_t done, uint64_t total)
{
  struct dl_sink *s = ctx;
  pyoci_progress(s->label, done, total, 0);
}

/* One download on conn c (kept open for the next one). */
static int download_on(pyoci_http_conn_t *c, const char *url, int fd, const pyoci_http_opts_t *o,
                       pyoci_http_info_t *info, pyoci_error_t **err)
{
  struct dl_sink s = {.fd = fd, .label = o->label ? o->label : "downloading"};
  pyoci_http_req_t req = {.url = url, .body_fd = -1, .max_bytes = o->max_bytes, .on_body = dl_write, .ctx = &s,
                          .on_progress = dl_progress, .progress_ctx = &s, .allow_http = o->allow_http,
                          .follow_redirects = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_http_request(c, &req, &resp, err);
  pyoci_progress(s.label, resp.received, 0, 1);
  if (rc < 0 && err && *err) {
    /* Keep the downloader's one-line style: "download 'URL': reason". */
    size_t skip = strlen(url) + 8; /* "GET '" URL "': " */
    const char *m = strlen((*err)->msg) > skip ? (*err)->msg + skip : (*err)->msg;
    pyoci_error_t *e = *err;
    *err = NULL;
    pyoci_error_set_code(err, e->code, 0, "download '%s': %s", url, m);
    pyoci_error_free(e);
  } else if (rc == 0 && (resp.status < 200 || resp.status >= 300)) {
    rc = pyoci_error_set(err, 0, "download '%s': The requested URL returned error: %ld", url, resp.status);
  }
  if (rc == 0 && info) {
    const char *lm = pyoci_http_header(&resp, "last-modified");
    time_t t = lm ? curl_getdate(lm, NULL) : (time_t)-1;
    info->size = resp.received;
    info->last_modified = t >= 0 ? t : (time_t)-1;
  }
  pyoci_http_resp_free(&resp);
  return rc;
}

int pyoci_http_download(const char *url, int fd, const pyoci_http_opts_t *o, pyoci_http_info_t *info,
                        pyoci_error_t **err)
{
  pyoci_http_conn_t *c = pyoci_http_conn_new();
  if (c == NULL)
    return pyoci_error_set(err, 0, "download '%s': cannot initialise libcurl", url);
  int rc = download_on(c, url, fd, o, info, err);
  pyoci_http_conn_free(c);
  return rc;
}

/* pyoci_http_download_many: worker threads, each with its own kept
 * connection, take the next job until all are done or one failed. */
typedef struct {
  const pyoci_http_job_t *jobs;
  size_t n, next, done;
  const pyoci_http_opts_t *o;
  pthread_mutex_t mu;
  pyoci_error_t *err;
  size_t failed;
} many_t;

static void *many_worker(void *arg)
{
  many_t *m = arg;
  pyoci_http_conn_t *c = pyoci_http_conn_new();
  pyoci_http_opts_t o = *m->o;
  o.label = NULL;
  for (;;) {
    pthread_mutex_lock(&m->mu);
    size_t i = m->err == NULL ? m->next++ : m->n;
    pthread_mutex_unlock(&m->mu);
    if (i >= m->n)
      break;
    pyoci_error_t *e = NULL;
    int rc = c == NULL ? pyoci_error_set(&e, 0, "download '%s': cannot initialise libcurl", m->jobs[i].url)
                       : download_on(c, m->jobs[i].url, m->jobs[i].fd, &o, NULL, &e);
    pthread_mutex_lock(&m->mu);
    if (rc < 0 && m->err == NULL) {
      m->err = e;
      m->failed = i;
      e = NULL;
    } else if (rc == 0) {
      m->done++;
      pyoci_progress(m->o->label ? m->o->label : "downloading", m->done, m->n, m->done == m->n);
    }
    pthread_mutex_unlock(&m->mu);
    pyoci_error_free(e);
  }
  pyoci_http_conn_free(c);
  return NULL;
}

int pyoci_http_download_many(const pyoci_http_job_t *jobs, size_t n, int parallel, const pyoci_http_opts_t *o,
                             size_t *failed, pyoci_error_t **err)
{
  if (n == 0)
    return 0;
  size_t nt = parallel > 0 ? (size_t)parallel : 8;
  if (nt > n)
    nt = n;
  many_t m = {.jobs = jobs, .n = n, .o = o};
  pthread_mutex_init(&m.mu, NULL);
  pthread_t *t = xcalloc(nt, sizeof(*t));
  size_t started = 0;
  for (; started < nt; started++)
    if (pthread_create(&t[started], NULL, many_worker, &m) != 0)
      break;
  if (started == 0)
    many_worker(&m);
  for (size_t i = 0; i < started; i++)
    pthread_join(t[i], NULL);
  free(t);
  pthread_mutex_destroy(&m.mu);
  if (m.err != NULL) {
    if (failed)
      *failed = m.failed;
    if (err && *err == NULL)
      *err = m.err;
    else
      pyoci_error_free(m.err);
    return -1;
  }
  return 0;
}

/* ---- URLs ---- */

char *pyoci_url_resolve(const char *base, const char *ref, pyoci_error_t **err)
{
  CURLU *u = curl_url();
  if (u == NULL)
    abort();
  char *out = NULL;
  CURLUcode rc = curl_url_set(u, CURLUPART_URL, base, 0);
  if (rc != CURLUE_OK) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "URL '%s': %s", base, curl_url_strerror(rc));
  } else if ((rc = curl_url_set(u, CURLUPART_URL, ref, 0)) != CURLUE_OK) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "URL '%s' (on '%s'): %s", ref, base, curl_url_strerror(rc));
  } else if ((rc = curl_url_get(u, CURLUPART_URL, &out, 0)) != CURLUE_OK) {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "URL '%s' (on '%s'): %s", ref, base, curl_url_strerror(rc));
  } else {
    char *copy = xstrdup(out);
    curl_free(out);
    out = copy;
  }
  curl_url_cleanup(u);
  return out;
}

/* scheme, lower-cased host and port (the scheme's default when absent). */
static bool url_origin(const char *url, char **scheme, char **host, char **port)
{
  CURLU *u = curl_url();
  if (u == NULL)
    abort();
  *scheme = *host = *port = NULL;
  bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK;
  curl_url_cleanup(u);
  for (char *h = ok ? *host : NULL; h && *h; h++)
    *h = (char)tolower((unsigned char)*h);
  return ok;
}

bool pyoci_url_same_origin(const char *a, const char *b)
{
  char *sa, *ha, *pa, *sb, *hb, *pb;
  /* & not &&: both calls run, so every part is set (NULL at worst) and freed */
  bool ok = url_origin(a, &sa, &ha, &pa) & url_origin(b, &sb, &hb, &pb);
  bool same = ok && strcmp(sa, sb) == 0 && strcmp(ha, hb) == 0 && strcmp(pa, pb) == 0;
  char *parts[] = {sa, ha, pa, sb, hb, pb};
  for (size_t i = 0; i < 6; i++)
    curl_free(parts[i]);
  return same;
}

char *pyoci_url_scheme(const char *url)
{
  char *s, *h, *p, *out = NULL;
  if (url_origin(url, &s, &h, &p))
    out = xstrdup(s);
  curl_free(s);
  curl_free(h);
  curl_free(p);
  return out;
}
