/* pyoci pull: registry -> store.
 *
 * The manifest (or index, then the platform's manifest) is fetched and
 * verified first; then every blob the store lacks is downloaded on a pool of
 * connections, each streamed through sha256 into an unnamed file in the
 * store's tmp/, resumed with Range when the connection drops, and only
 * linked into blobs/ once its digest and size match.  A layer's entries are
 * not read here, as skopeo and containerd's content store do not: whatever
 * reads them later (unpack, scan, layers) applies lib/layer's rules in the
 * pass it makes anyway, so checking them at the door would inflate every
 * layer twice on the way to a build -- 0.45 s of CPU for a 200 MB Python
 * image, more than the whole download.  --check-layers asks for the door
 * check (lib/layer's streaming check, the rules load applies): a layer
 * with "../" or absolute names is then refused before anything of the
 * image is published.  Manifests are written
 * after all their blobs, the tag last, so a kill at any moment leaves the
 * store consistent (at worst unreferenced blobs for gc). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/util/alloc.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "registry_int.h"

struct blob_job {
  char digest[PYOCI_DIGEST_LEN];
  int64_t size;
  bool layer;             /* a tar layer whose entries are checked too (--check-layers) */
  char diff_id[PYOCI_DIGEST_LEN]; /* --check-layers: what it must decompress to ("" = unknown) */
  pyoci_blob_writer_t *w; /* verified, not yet published */
};

struct pull {
  reg_client_t *r;
  pyoci_store_t *s;
  const char *repo, *scope;
  const pyoci_registry_opts_t *o;
  struct blob_job *jobs;
  size_t n_jobs;
  pthread_mutex_t mu;
  size_t fetched, present;
  uint64_t bytes;
  bool check_layers; /* --check-layers: entries checked while they arrive */
};

/* One blob download in flight. */
struct dl {
  struct pull *p;
  struct blob_job *j;
  pyoci_blob_writer_t *w;
  pyoci_layer_check_t *chk; /* layers: the entry check fed alongside */
  bool refused;             /* the check failed: not a transfer error */
  uint64_t got;   /* bytes verified into the writer so far */
  uint64_t base;  /* got when the current request started */
  char range[64];
};

static const char *diff_id_of(const struct blob_job *j)
{
  return j->diff_id[0] != '\0' ? j->diff_id : NULL;
}

static void progress(struct pull *p, const char *digest, pyoci_blob_state_t st, uint64_t done, uint64_t total)
{
  if (p->o->progress)
    p->o->progress(p->o->progress_ctx, digest, st, done, total);
}

static int dl_start(void *ctx, const pyoci_http_resp_t *resp, pyoci_error_t **err)
{
  struct dl *d = ctx;
  d->base = d->got;
  if (resp->status == 206) {
    const char *cr = pyoci_http_header(resp, "content-range");
    unsigned long long start = 0;
    if (cr == NULL || sscanf(cr, "bytes %llu-", &start) != 1 || start != d->got)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s: resumed at the wrong offset (%s)", d->j->digest,
                                  cr ? cr : "no Content-Range");
    return 0;
  }
  if (d->got == 0)
    return 0;
  /* The server ignored our Range: start over. */
  pyoci_blob_writer_abort(d->w);
  d->w = NULL;
  d->got = d->base = 0;
  if (d->chk != NULL) {
    pyoci_layer_check_abort(d->chk);
    d->chk = NULL;
    if (pyoci_layer_check_start(d->j->digest, diff_id_of(d->j), &d->chk, err) < 0)
      return -1;
  }
  return pyoci_blob_writer_new(d->p->s, &d->w, err);
}

static int dl_body(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  struct dl *d = ctx;
  if (d->got + len > (uint64_t)d->j->size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s: more bytes than the %" PRId64 " the manifest gives",
                                d->j->digest, d->j->size);
  if (pyoci_blob_writer_write(d->w, buf, len, err) < 0)
    return -1;
  if (d->chk != NULL && pyoci_layer_check_feed(d->chk, buf, len, err) < 0) {
    d->refused = true;
    return pyoci_error_prefix(err, "layer refused");
  }
  d->got += len;
  return 0;
}

static void dl_progress(void *ctx, uint64_t done, uint64_t total)
{
  struct dl *d = ctx;
  progress(d->p, d->j->digest, PYOCI_BLOB_MOVING, d->base + done, (uint64_t)d->j->size);
}

static const char *dl_before_retry(void *ctx)
{
  struct dl *d = ctx;
  progress(d->p, d->j->digest, PYOCI_BLOB_RETRYING, d->got, (uint64_t)d->j->size);
  if (d->got == 0)
    return "";
  snprintf(d->range, sizeof(d->range), "Range: bytes=%" PRIu64 "-", d->got);
  return d->range;
}

static int fetch_blob(struct pull *p, pyoci_http_conn_t *c, struct blob_job *j, pyoci_error_t **err)
{
  struct dl d = {.p = p, .j = j};
  if (pyoci_blob_writer_new(p->s, &d.w, err) < 0)
    return -1;
  if (j->layer && pyoci_layer_check_start(j->digest, diff_id_of(j), &d.chk, err) < 0) {
    pyoci_blob_writer_abort(d.w);
    return -1;
  }
  cleanup_free char *path = NULL;
  path = xasprintf("/v2/%s/blobs/%s", p->repo, j->digest);
  reg_req_t q = {.path = path, .scope = p->scope, .body_fd = -1, .max_bytes = (uint64_t)j->size + 1,
                 .on_body = dl_body, .on_start = dl_start, .ctx = &d, .on_progress = dl_progress,
                 .progress_ctx = &d, .before_retry = dl_before_retry, .follow = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(p->r, c, &q, &resp, err);
  if (rc == 0 && resp.status != 200 && resp.status != 206)
    rc = pyoci_reg_status_error(&resp, j->digest, err);
  else if (rc == 0 && d.got != (uint64_t)j->size)
    rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s: %" PRIu64 " bytes, the manifest gives %" PRId64,
                              j->digest, d.got, j->size);
  pyoci_http_resp_free(&resp);
  if (rc < 0) {
    pyoci_blob_writer_abort(d.w);
    pyoci_layer_check_abort(d.chk);
    return d.refused ? -1 : pyoci_error_prefix(err, "pull blob");
  }
  /* Verified now, published with the others once every blob is good, so
   * a refused blob leaves the store as it was.  The digest is checked
   * before the entries: a blob that is not what the manifest names is
   * reported as that, whatever it holds. */
  j->w = d.w;
  if (pyoci_blob_writer_verify(d.w, j->digest, err) < 0) {
    pyoci_layer_check_abort(d.chk);
    return pyoci_error_prefix(err, "pull blob %s", j->digest);
  }
  if (d.chk != NULL && pyoci_layer_check_finish(d.chk, err) < 0)
    return pyoci_error_prefix(err, "layer refused");
  if (pyoci_blob_writer_sync(d.w, err) < 0)
    return pyoci_error_prefix(err, "pull blob %s", j->digest);
  return 0;
}

static int publish_blobs(struct pull *p, bool ok, pyoci_error_t **err)
{
  int rc = 0;
  for (size_t i = 0; i < p->n_jobs; i++) {
    pyoci_blob_writer_t *w = p->jobs[i].w;
    p->jobs[i].w = NULL;
    if (w == NULL)
      continue;
    if (ok && rc == 0)
      rc = pyoci_blob_writer_publish(w, p->jobs[i].digest, err);
    else
      pyoci_blob_writer_abort(w);
  }
  return rc; /* the directory is synced once, by publish, before the tag */
}

static int pull_job(void *ctx, pyoci_http_conn_t *c, size_t i, pyoci_error_t **err)
{
  struct pull *p = ctx;
  struct blob_job *j = &p->jobs[i];
  if (pyoci_store_has_blob(p->s, j->digest)) {
    pthread_mutex_lock(&p->mu);
    p->present++;
    pthread_mutex_unlock(&p->mu);
    progress(p, j->digest, PYOCI_BLOB_EXISTS, (uint64_t)j->size, (uint64_t)j->size);
    return 0;
  }
  if (fetch_blob(p, c, j, err) < 0)
    return -1;
  pthread_mutex_lock(&p->mu);
  p->fetched++;
  p->bytes += (uint64_t)j->size;
  pthread_mutex_unlock(&p->mu);
  progress(p, j->digest, PYOCI_BLOB_DONE, (uint64_t)j->size, (uint64_t)j->size);
  return 0;
}

static struct blob_job *find_job(struct pull *p, const char *digest)
{
  for (size_t i = 0; i < p->n_jobs; i++)
    if (strcmp(p->jobs[i].digest, digest) == 0)
      return &p->jobs[i];
  return NULL;
}

static void add_job(struct pull *p, const pyoci_wire_desc_t *d, bool layer)
{
  struct blob_job *seen = find_job(p, d->digest);
  if (seen != NULL) {
    seen->layer |= layer;
    return;
  }
  p->jobs = xrealloc(p->jobs, (p->n_jobs + 1) * sizeof(*p->jobs));
  memcpy(p->jobs[p->n_jobs].digest, d->digest, PYOCI_DIGEST_LEN);
  p->jobs[p->n_jobs].size = d->size;
  p->jobs[p->n_jobs].layer = layer;
  p->jobs[p->n_jobs].diff_id[0] = '\0';
  p->jobs[p->n_jobs].w = NULL;
  p->n_jobs++;
}

static void add_manifest_jobs(struct pull *p, const pyoci_wire_manifest_t *m)
{
  add_job(p, &m->config, false);
  for (size_t i = 0; i < m->n_descs; i++)
    add_job(p, &m->descs[i], p->check_layers && pyoci_media_type_is_image_layer(m->descs[i].media_type));
  for (size_t i = 0; i < p->n_jobs; i++)
    progress(p, p->jobs[i].digest, PYOCI_BLOB_WAITING, 0, (uint64_t)p->jobs[i].size);
}

/* --check-layers: the config's diff_ids go with the layers' checks, so the
 * check also proves each layer is what the config says it is (docker
 * pull's "layers from manifest don't match image configuration"), at the
 * cost of one SHA-256 over what the check inflates anyway.  The config is
 * fetched here for its diff_ids and again by the pool with the other blobs
 * (a few KB).  A count that does not match is left for the image load
 * before tagging to refuse; see pyoci_layer_diff_id_to_check for the
 * layers that need none. */
static int assign_diff_ids(struct pull *p, pyoci_http_conn_t *c, const pyoci_wire_manifest_t *m, pyoci_error_t **err)
{
  if (m->is_index || m->artifact_type != NULL)
    return 0; /* no image config to hold layers against */
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_reg_fetch_small_blob(p->r, c, p->repo, m->config.digest, PYOCI_MAX_CONFIG_SIZE, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "config");
  cleanup_json json_t *cfg = pyoci_json_parse_object(buf, len, m->config.digest, err);
  if (cfg == NULL)
    return -1;
  json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
  size_t k = 0;
  for (size_t i = 0; i < m->n_descs; i++) {
    const pyoci_wire_desc_t *d = &m->descs[i];
    if (!pyoci_media_type_is_image_layer(d->media_type))
      continue;
    const char *id = pyoci_layer_diff_id_to_check(d->media_type, d->digest, json_string_value(json_array_get(ids, k++)));
    struct blob_job *j = find_job(p, d->digest);
    if (j != NULL && id != NULL)
      snprintf(j->diff_id, sizeof(j->diff_id), "%s", id);
  }
  return 0;
}

/* Store a manifest's bytes as a blob, checked against the digest it was
 * fetched under: 1 when written (the directory is synced once, before the
 * tag), 0 when the store had it. */
static int put_manifest(pyoci_store_t *s, const reg_manifest_t *m, pyoci_error_t **err)
{
  if (pyoci_store_has_blob(s, m->digest))
    return 0;
  pyoci_blob_writer_t *w = NULL;
  if (pyoci_blob_writer_new(s, &w, err) < 0)
    return -1;
  if (pyoci_blob_writer_write(w, m->bytes, m->len, err) < 0) {
    pyoci_blob_writer_abort(w);
    return -1;
  }
  return pyoci_blob_writer_publish(w, m->digest, err) < 0 ? -1 : 1;
}

/* The manifests to pull: the top one, or the index's children. */
struct pull_set {
  reg_manifest_t top;
  reg_manifest_t *children;
  size_t n_children;
};

static void pull_set_free(struct pull_set *ps)
{
  pyoci_reg_manifest_free(&ps->top);
  for (size_t i = 0; i < ps->n_children; i++)
    pyoci_reg_manifest_free(&ps->children[i]);
  free(ps->children);
}

static int fetch_children(struct pull *p, pyoci_http_conn_t *c, const pyoci_pull_opts_t *po, const char *what,
                          struct pull_set *ps, pyoci_error_t **err)
{
  const pyoci_wire_manifest_t *idx = &ps->top.m;
  size_t which = 0, n = po->all_platforms ? idx->n_descs : 1;
  if (!po->all_platforms && pyoci_wire_pick_platform(idx, po->platform, what, &which, err) < 0)
    return -1;
  ps->children = xcalloc(n ? n : 1, sizeof(*ps->children));
  for (size_t i = 0; i < n; i++) {
    const pyoci_wire_desc_t *d = &idx->descs[po->all_platforms ? i : which];
    if (pyoci_reg_fetch_manifest(p->r, c, p->repo, d->digest, &ps->children[i], err) < 0)
      return -1;
    ps->n_children++;
    if (ps->children[i].m.is_index)
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: an index inside an index is not supported", what);
    add_manifest_jobs(p, &ps->children[i].m);
  }
  return 0;
}

/* Publish manifests (children first), check the image loads, tag it. */
static int publish(struct pull *p, const struct pull_set *ps, const pyoci_pull_opts_t *po, const char *name,
                   pyoci_pull_result_t *res, pyoci_error_t **err)
{
  int wrote = 0, rc = 0;
  for (size_t i = 0; i < ps->n_children && rc >= 0; i++)
    wrote |= rc = put_manifest(p->s, &ps->children[i], err);
  const reg_manifest_t *tagged = ps->top.m.is_index && !po->all_platforms ? &ps->children[0] : &ps->top;
  if (rc >= 0 && tagged == &ps->top)
    wrote |= rc = put_manifest(p->s, &ps->top, err);
  /* The new blobs and manifests made durable before the tag names them;
   * nothing new (a warm pull): nothing to sync. */
  if (rc < 0 || ((wrote || p->fetched > 0) && pyoci_store_sync_blobs(p->s, err) < 0))
    return -1;
  if (tagged->m.artifact_type == NULL && !tagged->m.is_index) {
    cleanup_image pyoci_image_t *img = NULL;
    if (pyoci_image_load_digest(p->s, tagged->digest, &img, err) < 0)
      return pyoci_error_prefix(err, "pulled image");
  }
  char before[PYOCI_DIGEST_LEN] = "";
  if (name != NULL) {
    pyoci_error_t *ignored = NULL;
    if (pyoci_store_resolve(p->s, name, before, &ignored) < 0)
      before[0] = '\0';
    pyoci_error_free(ignored);
  }
  res->up_to_date = strcmp(before, tagged->digest) == 0 && p->fetched == 0;
  memcpy(res->digest, tagged->digest, PYOCI_DIGEST_LEN);
  memcpy(res->repo_digest, ps->top.digest, PYOCI_DIGEST_LEN);
  return pyoci_store_add_image(p->s, tagged->digest, tagged->m.media_type, (int64_t)tagged->len, name, err);
}

static int assign_all_diff_ids(struct pull *p, pyoci_http_conn_t *c, const struct pull_set *ps, pyoci_error_t **err)
{
  if (!p->check_layers)
    return 0;
  if (!ps->top.m.is_index)
    return assign_diff_ids(p, c, &ps->top.m, err);
  for (size_t i = 0; i < ps->n_children; i++)
    if (assign_diff_ids(p, c, &ps->children[i].m, err) < 0)
      return -1;
  return 0;
}

static int pull_ref(struct pull *p, pyoci_http_conn_t *c, const pyoci_ref_t *ref, const pyoci_pull_opts_t *po,
                    pyoci_pull_result_t *res, pyoci_error_t **err)
{
  struct pull_set ps = {0};
  cleanup_free char *what = pyoci_ref_familiar(ref);
  int rc = pyoci_reg_fetch_manifest(p->r, c, p->repo, ref->digest ? ref->digest : ref->tag, &ps.top, err);
  if (rc == 0 && ps.top.m.is_index)
    rc = fetch_children(p, c, po, what, &ps, err);
  else if (rc == 0)
    add_manifest_jobs(p, &ps.top.m);
  if (rc == 0)
    rc = assign_all_diff_ids(p, c, &ps, err);
  if (rc == 0)
    rc = pyoci_reg_pool_run(p->o->jobs, p->n_jobs, pull_job, p, err);
  if (publish_blobs(p, rc == 0, err) < 0)
    rc = -1;
  if (rc == 0) {
    cleanup_free char *name = ref->tag && !po->untagged ? pyoci_ref_familiar(ref) : NULL;
    rc = publish(p, &ps, po, name, res, err);
    if (rc == 0 && name)
      res->name = steal_pointer(&name);
  }
  pull_set_free(&ps);
  return rc;
}

struct pull_call {
  pyoci_store_t *s;
  const pyoci_registry_opts_t *o;
  const pyoci_pull_opts_t *po;
  pyoci_pull_result_t *res;
};

static int pull_on(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, void *ctx, pyoci_error_t **err)
{
  struct pull_call *pc = ctx;
  cleanup_free char *scope = pyoci_reg_scope(ref->path, "pull");
  struct pull p = {.r = r, .s = pc->s, .repo = ref->path, .scope = scope, .o = pc->o,
                   .check_layers = pc->po->check_layers};
  pthread_mutex_init(&p.mu, NULL);
  int rc = pull_ref(&p, c, ref, pc->po, pc->res, err);
  pc->res->blobs_fetched = p.fetched;
  pc->res->blobs_present = p.present;
  pc->res->bytes_fetched = p.bytes;
  pthread_mutex_destroy(&p.mu);
  free(p.jobs);
  return rc;
}

int pyoci_registry_pull(pyoci_store_t *s, const char *refstr, const pyoci_registry_opts_t *o,
                        const pyoci_pull_opts_t *po, pyoci_pull_result_t *res, pyoci_error_t **err)
{
  memset(res, 0, sizeof(*res));
  struct pull_call pc = {.s = s, .o = o, .po = po, .res = res};
  return pyoci_reg_with_ref(refstr, o, "pull ", pull_on, &pc, err);
}

void pyoci_pull_result_free(pyoci_pull_result_t *r)
{
  free(r->name);
  r->name = NULL;
}
