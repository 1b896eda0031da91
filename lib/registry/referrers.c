/* OCI 1.1 referrers: an artifact (SBOM, scan report) pushed as a manifest
 * whose `subject` is the image, found again through GET /v2/NAME/referrers/
 * DIGEST, or, on registries without that API (the distribution 2.8 in
 * Debian 12), through the spec's fallback: an index tagged
 * "sha256-<hex of the subject>" that lists the referrers and that the
 * client updates itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "registry_int.h"

#define MT_EMPTY "application/vnd.oci.empty.v1+json"

static json_t *desc_json(const char *mt, const char *digest, int64_t size)
{
  return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
}

/* The artifact manifest: empty config, one layer, subject = the image. */
static char *artifact_manifest(const char *artifact_type, const char *layer_mt, const char *layer_digest,
                               size_t layer_len, const char *subj_mt, const char *subj_digest, size_t subj_len,
                               const char *empty_digest)
{
  char created[PYOCI_TIME_LEN];
  pyoci_time_created(created);
  cleanup_json json_t *m = json_pack("{s:i, s:s, s:s, s:o, s:[o], s:o, s:{s:s}}", "schemaVersion", 2, "mediaType",
                                     PYOCI_MT_OCI_MANIFEST, "artifactType", artifact_type, "config",
                                     desc_json(MT_EMPTY, empty_digest, 2), "layers",
                                     desc_json(layer_mt, layer_digest, (int64_t)layer_len), "subject",
                                     desc_json(subj_mt, subj_digest, (int64_t)subj_len), "annotations",
                                     "org.opencontainers.image.created", created);
  return m ? pyoci_json_dump_canonical(m) : NULL;
}

static char *fallback_tag(const char *digest)
{
  char *t = NULL;
  t = xasprintf("sha256-%s", digest + 7);
  return t;
}

/* Add the artifact to the fallback index (created when absent). */
static int update_fallback(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *subject,
                           const char *digest, size_t len, const char *artifact_type, pyoci_error_t **err)
{
  cleanup_free char *tag = fallback_tag(subject);
  reg_manifest_t cur;
  pyoci_error_t *e = NULL;
  cleanup_json json_t *idx = NULL;
  if (pyoci_reg_fetch_manifest(r, c, repo, tag, &cur, &e) == 0) {
    idx = pyoci_json_parse_object(cur.bytes, cur.len, tag, err);
    pyoci_reg_manifest_free(&cur);
    if (idx == NULL)
      return -1;
  } else if (e->code == PYOCI_E_NOT_FOUND) {
    idx = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", PYOCI_MT_OCI_INDEX, "manifests");
  } else {
    *err = e;
    return -1;
  }
  pyoci_error_free(e);
  json_t *list = json_object_get(idx, "manifests");
  if (!json_is_array(list))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: the referrers index has no manifests list", tag);
  json_t *d = desc_json(PYOCI_MT_OCI_MANIFEST, digest, (int64_t)len);
  json_object_set_new(d, "artifactType", json_string(artifact_type));
  json_array_append_new(list, d);
  cleanup_free char *bytes = pyoci_json_dump_canonical(idx);
  return pyoci_reg_put_manifest(r, c, repo, tag, PYOCI_MT_OCI_INDEX, bytes, strlen(bytes), err);
}

struct attach {
  const char *artifact_type, *layer_mt;
  const void *bytes;
  size_t len;
  const char *subj_mt;
  char subj_digest[PYOCI_DIGEST_LEN];
  size_t subj_len;
};

static int put_artifact(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const struct attach *a,
                        char digest_out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  char layer_digest[PYOCI_DIGEST_LEN], empty_digest[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(a->bytes, a->len, layer_digest);
  pyoci_sha256_buf("{}", 2, empty_digest);
  if (pyoci_reg_push_bytes(r, c, repo, "{}", 2, empty_digest, err) < 0 ||
      pyoci_reg_push_bytes(r, c, repo, a->bytes, a->len, layer_digest, err) < 0)
    return -1;
  cleanup_free char *m = artifact_manifest(a->artifact_type, a->layer_mt, layer_digest, a->len, a->subj_mt,
                                           a->subj_digest, a->subj_len, empty_digest);
  if (m == NULL)
    return pyoci_error_set(err, 0, "artifact manifest: out of memory");
  size_t mlen = strlen(m);
  pyoci_sha256_buf(m, mlen, digest_out);
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_send_manifest(r, c, repo, digest_out, PYOCI_MT_OCI_MANIFEST, m, mlen, &resp, err);
  if (rc == 0 && resp.status != 201)
    rc = pyoci_reg_status_error(&resp, "artifact manifest", err);
  /* OCI-Subject in the reply: the registry indexes referrers itself. */
  bool api = rc == 0 && pyoci_http_header(&resp, "oci-subject") != NULL;
  pyoci_http_resp_free(&resp);
  if (rc == 0 && !api)
    rc = update_fallback(r, c, repo, a->subj_digest, digest_out, mlen, a->artifact_type, err);
  return rc;
}

int pyoci_registry_attach(pyoci_store_t *s, const char *image, const char *dest, const char *artifact_type,
                          const char *layer_media_type, const void *bytes, size_t len,
                          const pyoci_registry_opts_t *o, char digest_out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  struct attach a = {.artifact_type = artifact_type, .layer_mt = layer_media_type, .bytes = bytes, .len = len};
  if (pyoci_store_resolve(s, image, a.subj_digest, err) < 0)
    return -1;
  cleanup_free char *subj = NULL;
  if (pyoci_store_read_blob(s, a.subj_digest, PYOCI_REGISTRY_MAX_MANIFEST, &subj, &a.subj_len, err) < 0)
    return -1;
  pyoci_wire_manifest_t m;
  if (pyoci_wire_manifest_parse(subj, a.subj_len, NULL, a.subj_digest, &m, err) < 0)
    return -1;
  cleanup_free char *mt = xstrdup(m.media_type);
  pyoci_wire_manifest_free(&m);
  a.subj_mt = mt;
  pyoci_ref_t ref;
  if (pyoci_ref_parse(dest ? dest : image, &ref, err) < 0)
    return pyoci_error_prefix(err, "attach: destination");
  cleanup_http_conn pyoci_http_conn_t *c = pyoci_http_conn_new();
  cleanup_reg_client reg_client_t *r = NULL;
  reg_manifest_t there;
  int rc = pyoci_reg_client_open(ref.domain, o, c, &r, err);
  if (rc == 0 && pyoci_reg_fetch_manifest(r, c, ref.path, a.subj_digest, &there, err) < 0)
    rc = pyoci_error_prefix(err, "the image is not in %s/%s (push it first)", ref.domain, ref.path);
  else if (rc == 0)
    pyoci_reg_manifest_free(&there);
  if (rc == 0)
    rc = put_artifact(r, c, ref.path, &a, digest_out, err);
  pyoci_ref_free(&ref);
  if (rc < 0)
    pyoci_error_prefix(err, "attach %s", artifact_type);
  return rc;
}

static int list_from_index(const reg_manifest_t *idx, pyoci_referrer_t **out, size_t *n)
{
  *out = xcalloc(idx->m.n_descs + 1, sizeof(**out));
  for (size_t i = 0; i < idx->m.n_descs; i++) {
    const pyoci_wire_desc_t *d = &idx->m.descs[i];
    pyoci_referrer_t *v = &(*out)[(*n)++];
    memcpy(v->digest, d->digest, PYOCI_DIGEST_LEN);
    v->artifact_type = d->artifact_type ? xstrdup(d->artifact_type) : NULL;
    v->media_type = xstrdup(d->media_type);
    v->size = d->size;
  }
  return 0;
}

/* GET /v2/NAME/referrers/DIGEST; *absent when the registry lacks the API. */
static int referrers_api(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *digest,
                         reg_manifest_t *out, bool *absent, pyoci_error_t **err)
{
  cleanup_free char *path = NULL, *scope = pyoci_reg_scope(repo, "pull");
  path = xasprintf("/v2/%s/referrers/%s", repo, digest);
  const char *hdrs[] = {"Accept: " PYOCI_MT_OCI_INDEX, NULL};
  reg_req_t q = {.path = path, .scope = scope, .headers = hdrs, .body_fd = -1,
                 .max_bytes = PYOCI_REGISTRY_MAX_MANIFEST, .follow = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  *absent = rc == 0 && resp.status == 404;
  memset(out, 0, sizeof(*out));
  if (rc == 0 && !*absent && resp.status != 200)
    rc = pyoci_reg_status_error(&resp, "referrers", err);
  if (rc == 0 && !*absent) {
    out->bytes = steal_pointer(&resp.body);
    out->len = resp.body_len;
    rc = pyoci_wire_manifest_parse(out->bytes, out->len, PYOCI_MT_OCI_INDEX, "referrers", &out->m, err);
  }
  pyoci_http_resp_free(&resp);
  return rc;
}

static int list_referrers(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, pyoci_referrer_t **out,
                          size_t *n, pyoci_error_t **err)
{
  reg_manifest_t subj, idx = {0};
  if (pyoci_reg_fetch_manifest(r, c, ref->path, ref->digest ? ref->digest : ref->tag, &subj, err) < 0)
    return -1;
  bool absent = false;
  int rc = referrers_api(r, c, ref->path, subj.digest, &idx, &absent, err);
  if (rc == 0 && absent) {
    cleanup_free char *tag = fallback_tag(subj.digest);
    pyoci_error_t *e = NULL;
    rc = pyoci_reg_fetch_manifest(r, c, ref->path, tag, &idx, &e);
    if (rc < 0 && e->code == PYOCI_E_NOT_FOUND) {
      pyoci_error_free(e);
      rc = 0;
    } else if (rc < 0) {
      *err = e;
    }
  }
  if (rc == 0)
    rc = list_from_index(&idx, out, n);
  pyoci_reg_manifest_free(&subj);
  pyoci_reg_manifest_free(&idx);
  return rc;
}

struct referrers_call {
  pyoci_referrer_t **out;
  size_t *n;
};

static int referrers_on(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, void *ctx,
                        pyoci_error_t **err)
{
  struct referrers_call *rc = ctx;
  return list_referrers(r, c, ref, rc->out, rc->n, err);
}

int pyoci_registry_referrers(const char *refstr, const pyoci_registry_opts_t *o, pyoci_referrer_t **out, size_t *n,
                             pyoci_error_t **err)
{
  *out = NULL;
  *n = 0;
  struct referrers_call rc = {.out = out, .n = n};
  return pyoci_reg_with_ref(refstr, o, "referrers of ", referrers_on, &rc, err);
}

void pyoci_referrers_free(pyoci_referrer_t *v, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(v[i].artifact_type);
    free(v[i].media_type);
  }
  free(v);
}
