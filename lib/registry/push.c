/* pyoci push: store -> registry.
 *
 * Every blob is first asked about (HEAD) and skipped when the registry has
 * it; a blob from another repository of the same registry is mounted
 * (POST ?mount=&from=); the rest is uploaded, monolithic (POST then PUT of
 * the file) or chunked (PATCH with Content-Range, then PUT).  Manifests go
 * last, children of an index before the index, each with its media type,
 * and the digest the registry reports must be the one we computed. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/strbuf.h"
#include "registry_int.h"

enum { HOW_UPLOADED, HOW_EXISTS, HOW_MOUNTED };

static char *push_scope(const char *repo, const char *mount_from)
{
  if (mount_from != NULL)
    return xasprintf("repository:%s:pull,push repository:%s:pull", repo, mount_from);
  return pyoci_reg_scope(repo, "pull,push");
}

/* Location with ?digest= (or &digest=) appended. */
static char *with_digest(reg_client_t *r, const char *location, const char *digest)
{
  cleanup_free char *abs = pyoci_reg_resolve_url(r, location);
  char *s = NULL;
  s = xasprintf("%s%cdigest=sha256%%3A%s", abs, strchr(abs, '?') ? '&' : '?', digest + 7);
  return s;
}

static int expect(const pyoci_http_resp_t *resp, long want, const char *what, pyoci_error_t **err)
{
  if (resp->status == want)
    return 0;
  return pyoci_reg_status_error(resp, what, err);
}

/* pyoci_reg_do, then the status must be want. */
static int do_expect(reg_client_t *r, pyoci_http_conn_t *c, const reg_req_t *q, long want, const char *what,
                     pyoci_error_t **err)
{
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, q, &resp, err);
  if (rc == 0)
    rc = expect(&resp, want, what, err);
  pyoci_http_resp_free(&resp);
  return rc;
}

static int blob_exists(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *scope, const char *digest,
                       bool *yes, pyoci_error_t **err)
{
  cleanup_free char *path = NULL;
  path = xasprintf("/v2/%s/blobs/%s", repo, digest);
  reg_req_t q = {.method = "HEAD", .path = path, .scope = scope, .body_fd = -1, .follow = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  *yes = rc == 0 && resp.status == 200;
  if (rc == 0 && resp.status != 200 && resp.status != 404)
    rc = pyoci_reg_status_error(&resp, digest, err);
  pyoci_http_resp_free(&resp);
  return rc;
}

/* POST an upload (or a mount); *location is where to send the bytes, NULL
 * when the mount succeeded. */
static int start_upload(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *scope,
                        const char *mount_from, const char *digest, char **location, pyoci_error_t **err)
{
  cleanup_free char *path = mount_from
                                ? xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, mount_from)
                                : xasprintf("/v2/%s/blobs/uploads/", repo);
  reg_req_t q = {.method = "POST", .path = path, .scope = scope, .body_fd = -1};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  *location = NULL;
  if (rc == 0 && mount_from && resp.status == 201) {
    pyoci_http_resp_free(&resp);
    return 0;
  }
  if (rc == 0)
    rc = expect(&resp, 202, digest, err);
  const char *loc = pyoci_http_header(&resp, "location");
  if (rc == 0 && loc == NULL)
    rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "upload of %s: the registry gave no Location", digest);
  if (rc == 0)
    *location = xstrdup(loc);
  pyoci_http_resp_free(&resp);
  return rc;
}

static int upload_chunks(reg_client_t *r, pyoci_http_conn_t *c, const char *scope, int fd, int64_t size,
                         char **location, const char *digest, pyoci_error_t **err)
{
  uint64_t chunk = r->o->chunk_size;
  for (uint64_t off = 0; off < (uint64_t)size; off += chunk) {
    uint64_t n = (uint64_t)size - off < chunk ? (uint64_t)size - off : chunk;
    char cr[96];
    snprintf(cr, sizeof(cr), "Content-Range: %" PRIu64 "-%" PRIu64, off, off + n - 1);
    const char *hdrs[] = {"Content-Type: application/octet-stream", cr, NULL};
    cleanup_free char *url = pyoci_reg_resolve_url(r, *location);
    reg_req_t q = {.method = "PATCH", .path = url, .scope = scope, .headers = hdrs, .body_fd = fd,
                   .body_offset = off, .body_size = n, .has_body = true, .no_retry = true};
    pyoci_http_resp_t resp;
    int rc = pyoci_reg_do(r, c, &q, &resp, err);
    if (rc == 0)
      rc = expect(&resp, 202, digest, err);
    const char *loc = pyoci_http_header(&resp, "location");
    if (rc == 0 && loc != NULL) {
      free(*location);
      *location = xstrdup(loc);
    }
    pyoci_http_resp_free(&resp);
    if (rc < 0)
      return -1;
  }
  return 0;
}

struct up_progress {
  reg_client_t *r;
  const char *digest;
  uint64_t total;
};

static void push_progress(void *ctx, uint64_t done, uint64_t total)
{
  struct up_progress *u = ctx;
  if (u->r->o->progress)
    u->r->o->progress(u->r->o->progress_ctx, u->digest, PYOCI_BLOB_MOVING, done, u->total);
}

static int upload(reg_client_t *r, pyoci_http_conn_t *c, pyoci_store_t *s, const char *scope, char **location,
                  const char *digest, pyoci_error_t **err)
{
  cleanup_close int fd = -1;
  int64_t size = 0;
  if (pyoci_store_open_blob(s, digest, &fd, &size, err) < 0)
    return -1;
  bool chunked = r->o->chunk_size > 0 && (uint64_t)size > r->o->chunk_size;
  if (chunked && upload_chunks(r, c, scope, fd, size, location, digest, err) < 0)
    return -1;
  cleanup_free char *url = with_digest(r, *location, digest);
  const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
  struct up_progress u = {.r = r, .digest = digest, .total = (uint64_t)size};
  reg_req_t q = {.method = "PUT", .path = url, .scope = scope, .headers = hdrs, .body_fd = chunked ? -1 : fd,
                 .body_size = (uint64_t)size, .has_body = !chunked, .no_retry = true, .on_progress = push_progress,
                 .progress_ctx = &u};
  return do_expect(r, c, &q, 201, digest, err);
}

int pyoci_reg_push_blob(reg_client_t *r, pyoci_http_conn_t *c, pyoci_store_t *s, const char *repo, const char *mount_from,
                  const char *digest, int *how, pyoci_error_t **err)
{
  cleanup_free char *scope = push_scope(repo, mount_from);
  bool have = false;
  if (blob_exists(r, c, repo, scope, digest, &have, err) < 0)
    return -1;
  if (have) {
    *how = HOW_EXISTS;
    return 0;
  }
  cleanup_free char *location = NULL;
  if (start_upload(r, c, repo, scope, mount_from, digest, &location, err) < 0)
    return -1;
  if (location == NULL) {
    *how = HOW_MOUNTED;
    return 0;
  }
  *how = HOW_UPLOADED;
  return upload(r, c, s, scope, &location, digest, err);
}

int pyoci_reg_push_bytes(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const void *bytes, size_t len,
                   const char *digest, pyoci_error_t **err)
{
  cleanup_free char *scope = push_scope(repo, NULL);
  bool have = false;
  if (blob_exists(r, c, repo, scope, digest, &have, err) < 0 || have)
    return have ? 0 : -1;
  cleanup_free char *location = NULL;
  if (start_upload(r, c, repo, scope, NULL, digest, &location, err) < 0)
    return -1;
  cleanup_free char *url = with_digest(r, location, digest);
  const char *hdrs[] = {"Content-Type: application/octet-stream", NULL};
  reg_req_t q = {.method = "PUT", .path = url, .scope = scope, .headers = hdrs, .body = bytes, .body_len = len,
                 .body_fd = -1, .has_body = true, .no_retry = true};
  return do_expect(r, c, &q, 201, digest, err);
}

int pyoci_reg_send_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                            const char *media_type, const void *bytes, size_t len, pyoci_http_resp_t *resp,
                            pyoci_error_t **err)
{
  cleanup_free char *scope = push_scope(repo, NULL);
  cleanup_free char *path = xasprintf("/v2/%s/manifests/%s", repo, reference);
  cleanup_free char *ct = xasprintf("Content-Type: %s", media_type);
  const char *hdrs[] = {ct, NULL};
  reg_req_t q = {.method = "PUT", .path = path, .scope = scope, .headers = hdrs, .body = bytes, .body_len = len,
                 .body_fd = -1, .has_body = true};
  return pyoci_reg_do(r, c, &q, resp, err);
}

int pyoci_reg_put_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                     const char *media_type, const char *bytes, size_t len, pyoci_error_t **err)
{
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_send_manifest(r, c, repo, reference, media_type, bytes, len, &resp, err);
  if (rc == 0)
    rc = expect(&resp, 201, reference, err);
  char mine[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(bytes, len, mine);
  const char *theirs = rc == 0 ? pyoci_http_header(&resp, "docker-content-digest") : NULL;
  if (theirs != NULL && strcmp(theirs, mine) != 0)
    rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: the registry stored %.80s, we sent %s", reference,
                              theirs, mine);
  pyoci_http_resp_free(&resp);
  if (rc < 0)
    pyoci_error_prefix(err, "push manifest");
  return rc;
}

/* ---- pushing an image ---- */

struct push {
  reg_client_t *r;
  pyoci_store_t *s;
  const char *repo, *mount_from;
  char (*blobs)[PYOCI_DIGEST_LEN];
  size_t n_blobs;
  pthread_mutex_t mu;
  pyoci_push_result_t *res;
};

static int push_job(void *ctx, pyoci_http_conn_t *c, size_t i, pyoci_error_t **err)
{
  struct push *p = ctx;
  int how = 0;
  const char *d = p->blobs[i];
  if (pyoci_reg_push_blob(p->r, c, p->s, p->repo, p->mount_from, d, &how, err) < 0)
    return pyoci_error_prefix(err, "push blob %s", d);
  pthread_mutex_lock(&p->mu);
  if (how == HOW_EXISTS)
    p->res->blobs_skipped++;
  else if (how == HOW_MOUNTED)
    p->res->blobs_mounted++;
  else
    p->res->blobs_pushed++;
  pthread_mutex_unlock(&p->mu);
  if (p->r->o->progress)
    p->r->o->progress(p->r->o->progress_ctx, d,
                      how == HOW_EXISTS ? PYOCI_BLOB_EXISTS : how == HOW_MOUNTED ? PYOCI_BLOB_MOUNTED : PYOCI_BLOB_DONE,
                      0, 0);
  return 0;
}

static void add_blob(struct push *p, const char *d)
{
  for (size_t i = 0; i < p->n_blobs; i++)
    if (strcmp(p->blobs[i], d) == 0)
      return;
  p->blobs = xrealloc(p->blobs, (p->n_blobs + 1) * sizeof(*p->blobs));
  memcpy(p->blobs[p->n_blobs++], d, PYOCI_DIGEST_LEN);
}

/* A stored manifest: bytes and parsed form. */
struct stored {
  char digest[PYOCI_DIGEST_LEN];
  char *bytes;
  size_t len;
  pyoci_wire_manifest_t m;
};

static int read_stored(pyoci_store_t *s, const char *digest, struct stored *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  memcpy(out->digest, digest, PYOCI_DIGEST_LEN);
  if (pyoci_store_read_blob(s, digest, PYOCI_REGISTRY_MAX_MANIFEST, &out->bytes, &out->len, err) < 0)
    return -1;
  return pyoci_wire_manifest_parse(out->bytes, out->len, NULL, digest, &out->m, err);
}

static void stored_free(struct stored *st)
{
  free(st->bytes);
  pyoci_wire_manifest_free(&st->m);
}

static int push_manifests(struct push *p, pyoci_http_conn_t *c, struct stored *top, struct stored *kids,
                          size_t n_kids, const char *reference, pyoci_error_t **err)
{
  for (size_t i = 0; i < n_kids; i++)
    if (pyoci_reg_put_manifest(p->r, c, p->repo, kids[i].digest, kids[i].m.media_type, kids[i].bytes, kids[i].len, err) < 0)
      return -1;
  return pyoci_reg_put_manifest(p->r, c, p->repo, reference, top->m.media_type, top->bytes, top->len, err);
}

/* The reference already names this very manifest: a registry accepts a
 * manifest only with all its blobs, so there is nothing to send. */
static bool already_there(struct push *p, pyoci_http_conn_t *c, const char *reference, const char *digest)
{
  cleanup_free char *path = NULL, *scope = push_scope(p->repo, p->mount_from);
  path = xasprintf("/v2/%s/manifests/%s", p->repo, reference);
  reg_req_t q = {.method = "HEAD", .path = path, .scope = scope, .headers = pyoci_reg_manifest_accept, .body_fd = -1,
                 .follow = true};
  pyoci_http_resp_t resp;
  pyoci_error_t *e = NULL;
  bool yes = false;
  if (pyoci_reg_do(p->r, c, &q, &resp, &e) == 0 && resp.status == 200) {
    const char *d = pyoci_http_header(&resp, "docker-content-digest");
    yes = d != NULL && strcmp(d, digest) == 0;
  }
  pyoci_http_resp_free(&resp);
  pyoci_error_free(e);
  return yes;
}

static int push_image(struct push *p, pyoci_http_conn_t *c, struct stored *top, const char *reference,
                      pyoci_error_t **err)
{
  size_t n_kids = top->m.is_index ? top->m.n_descs : 0;
  struct stored *kids = xcalloc(n_kids ? n_kids : 1, sizeof(*kids));
  int rc = 0;
  for (size_t i = 0; i < n_kids && rc == 0; i++) {
    rc = read_stored(p->s, top->m.descs[i].digest, &kids[i], err);
    if (rc < 0)
      pyoci_error_prefix(err, "the index names a manifest the store lacks (pull with --all-platforms to push all)");
    else if (kids[i].m.is_index)
      rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "nested index %s: not supported", kids[i].digest);
  }
  struct stored *mans = top->m.is_index ? kids : top;
  size_t n_mans = top->m.is_index ? n_kids : 1;
  for (size_t i = 0; i < n_mans && rc == 0; i++) {
    add_blob(p, mans[i].m.config.digest);
    for (size_t k = 0; k < mans[i].m.n_descs; k++)
      add_blob(p, mans[i].m.descs[k].digest);
  }
  if (rc == 0 && already_there(p, c, reference, top->digest)) {
    p->res->blobs_skipped = p->n_blobs;
  } else if (rc == 0) {
    rc = pyoci_reg_pool_run(p->r->o->jobs, p->n_blobs, push_job, p, err);
    if (rc == 0)
      rc = push_manifests(p, c, top, kids, n_kids, reference, err);
  }
  for (size_t i = 0; i < n_kids; i++)
    stored_free(&kids[i]);
  free(kids);
  return rc;
}

/* The repository to mount from: the image's own, when it is on the same
 * registry under another name. */
static char *mount_source(const char *image, const pyoci_ref_t *dest)
{
  pyoci_ref_t src;
  pyoci_error_t *ignored = NULL;
  if (pyoci_ref_parse(image, &src, &ignored) < 0) {
    pyoci_error_free(ignored);
    return NULL;
  }
  char *from = strcmp(src.domain, dest->domain) == 0 && strcmp(src.path, dest->path) != 0 ? xstrdup(src.path) : NULL;
  pyoci_ref_free(&src);
  return from;
}

static int push_to(pyoci_store_t *s, const char *image, const char *digest, const pyoci_ref_t *dest,
                   const pyoci_registry_opts_t *o, pyoci_push_result_t *res, pyoci_error_t **err)
{
  struct stored top;
  if (read_stored(s, digest, &top, err) < 0) {
    stored_free(&top);
    return -1;
  }
  cleanup_http_conn pyoci_http_conn_t *c = pyoci_http_conn_new();
  cleanup_reg_client reg_client_t *r = NULL;
  cleanup_free char *from = mount_source(o->source_ref ? o->source_ref : image, dest);
  int rc = pyoci_reg_client_open(dest->domain, o, c, &r, err);
  if (rc == 0) {
    struct push p = {.r = r, .s = s, .repo = dest->path, .mount_from = from, .res = res};
    pthread_mutex_init(&p.mu, NULL);
    const char *reference = dest->digest ? dest->digest : dest->tag;
    rc = push_image(&p, c, &top, reference, err);
    pthread_mutex_destroy(&p.mu);
    free(p.blobs);
    res->tag = xstrdup(reference);
    memcpy(res->digest, top.digest, PYOCI_DIGEST_LEN);
    res->size = (int64_t)top.len;
  }
  stored_free(&top);
  return rc;
}

int pyoci_registry_push(pyoci_store_t *s, const char *image, const char *dest, const pyoci_registry_opts_t *o,
                        pyoci_push_result_t *res, pyoci_error_t **err)
{
  memset(res, 0, sizeof(*res));
  char digest[PYOCI_DIGEST_LEN];
  if (pyoci_store_resolve(s, image, digest, err) < 0)
    return -1;
  pyoci_ref_t ref;
  if (pyoci_ref_parse(dest ? dest : image, &ref, err) < 0)
    return pyoci_error_prefix(err, "push destination");
  if (ref.digest != NULL && strcmp(ref.digest, digest) != 0) {
    pyoci_ref_free(&ref);
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "push %s: the image's digest is %s", dest ? dest : image,
                                digest);
  }
  int rc = push_to(s, image, digest, &ref, o, res, err);
  if (rc < 0)
    pyoci_error_prefix(err, "push %s", dest ? dest : image);
  pyoci_ref_free(&ref);
  return rc;
}

void pyoci_push_result_free(pyoci_push_result_t *r)
{
  free(r->tag);
  r->tag = NULL;
}
