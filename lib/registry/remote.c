/* Talking to a registry without the store: login/logout (checked against
 * the registry before anything is saved) and remote inspect (manifest,
 * config and tags without pulling layers, as `skopeo inspect` does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/oci/image.h"
#include "lib/oci/ref.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "registry_int.h"

#define TAGS_MAX (4u << 20)
#define TAGS_LIMIT 100000

/* "https://index.docker.io/v1/" and friends -> the name a client opens. */
static char *registry_name(const char *registry)
{
  cleanup_free char *key = pyoci_registry_server_key(registry);
  if (strncmp(key, "https://", 8) == 0)
    return xstrdup("docker.io");
  return steal_pointer(&key);
}

int pyoci_registry_login(const char *registry, const pyoci_registry_opts_t *o, pyoci_error_t **err)
{
  if (o->username == NULL || o->password == NULL)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "login: a user name and a password are needed");
  cleanup_free char *name = registry_name(registry);
  cleanup_http_conn pyoci_http_conn_t *c = pyoci_http_conn_new();
  cleanup_reg_client reg_client_t *r = NULL;
  if (pyoci_reg_client_open(name, o, c, &r, err) < 0)
    return pyoci_error_prefix(err, "login %s", name);
  reg_req_t q = {.path = "/v2/", .body_fd = -1};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  if (rc == 0 && resp.status != 200) {
    cleanup_free char *msg = pyoci_registry_error_text(resp.body, resp.body_len, resp.status, NULL);
    rc = pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "%s", resp.status == 401 ? "unauthorized: incorrect username or password" : msg);
  }
  pyoci_http_resp_free(&resp);
  if (rc == 0)
    rc = pyoci_reg_creds_store(o->docker_config, name, o->username, o->password, err);
  if (rc < 0)
    pyoci_error_prefix(err, "login %s", name);
  return rc;
}

int pyoci_registry_logout(const char *registry, const pyoci_registry_opts_t *o, pyoci_error_t **err)
{
  cleanup_free char *name = registry_name(registry);
  if (pyoci_reg_creds_erase(o->docker_config, name, err) < 0)
    return pyoci_error_prefix(err, "logout");
  return 0;
}

int pyoci_reg_fetch_small_blob(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *digest, size_t max,
                               char **out, size_t *len, pyoci_error_t **err)
{
  cleanup_free char *path = NULL, *scope = pyoci_reg_scope(repo, "pull");
  path = xasprintf("/v2/%s/blobs/%s", repo, digest);
  reg_req_t q = {.path = path, .scope = scope, .body_fd = -1, .max_bytes = max, .follow = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  if (rc == 0 && resp.status != 200)
    rc = pyoci_reg_status_error(&resp, digest, err);
  char got[PYOCI_DIGEST_LEN];
  if (rc == 0) {
    pyoci_sha256_buf(resp.body, resp.body_len, got);
    if (strcmp(got, digest) != 0)
      rc = pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "blob %s: the bytes hash to %s", digest, got);
  }
  if (rc == 0) {
    *out = steal_pointer(&resp.body);
    *len = resp.body_len;
  }
  pyoci_http_resp_free(&resp);
  return rc;
}

static int fetch_tags(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, pyoci_remote_image_t *out,
                      pyoci_error_t **err)
{
  cleanup_free char *path = NULL, *scope = pyoci_reg_scope(repo, "pull");
  path = xasprintf("/v2/%s/tags/list", repo);
  reg_req_t q = {.path = path, .scope = scope, .body_fd = -1, .max_bytes = TAGS_MAX};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  if (rc == 0 && resp.status == 200) {
    cleanup_json json_t *j = pyoci_json_parse_object(resp.body, resp.body_len, "tags list", err);
    json_t *tags = j ? json_object_get(j, "tags") : NULL;
    size_t i;
    json_t *t;
    size_t n = json_is_array(tags) ? json_array_size(tags) : 0;
    out->tags = xcalloc(n + 1, sizeof(char *));
    json_array_foreach(tags, i, t) if (json_is_string(t) && i < TAGS_LIMIT) out->tags[out->n_tags++] =
        xstrdup(json_string_value(t));
    rc = j ? 0 : -1;
  }
  pyoci_http_resp_free(&resp);
  return rc;
}

static int inspect_ref(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, const char *platform,
                       bool raw_only, pyoci_remote_image_t *out, pyoci_error_t **err)
{
  reg_manifest_t top, kid = {0};
  if (pyoci_reg_fetch_manifest(r, c, ref->path, ref->digest ? ref->digest : ref->tag, &top, err) < 0)
    return -1;
  out->manifest = steal_pointer(&top.bytes);
  out->manifest_len = top.len;
  out->media_type = xstrdup(top.m.media_type);
  memcpy(out->digest, top.digest, PYOCI_DIGEST_LEN);
  int rc = 0;
  const reg_manifest_t *m = &top;
  if (!raw_only && top.m.is_index) {
    size_t which = 0;
    rc = pyoci_wire_pick_platform(&top.m, platform, ref->path, &which, err);
    if (rc == 0)
      rc = pyoci_reg_fetch_manifest(r, c, ref->path, top.m.descs[which].digest, &kid, err);
    m = &kid;
  }
  if (rc == 0 && !raw_only) {
    out->layers = xcalloc(m->m.n_descs + 1, PYOCI_DIGEST_LEN);
    for (size_t i = 0; i < m->m.n_descs; i++)
      memcpy(out->layers[out->n_layers++], m->m.descs[i].digest, PYOCI_DIGEST_LEN);
  }
  if (rc == 0 && !raw_only && m->m.artifact_type == NULL)
    rc = pyoci_reg_fetch_small_blob(r, c, ref->path, m->m.config.digest, PYOCI_MAX_CONFIG_SIZE, &out->config,
                          &out->config_len, err);
  if (rc == 0 && !raw_only)
    rc = fetch_tags(r, c, ref->path, out, err);
  pyoci_reg_manifest_free(&top);
  pyoci_reg_manifest_free(&kid);
  return rc;
}

struct inspect_call {
  const char *platform;
  bool raw_only;
  pyoci_remote_image_t *out;
};

static int inspect_on(reg_client_t *r, pyoci_http_conn_t *c, const pyoci_ref_t *ref, void *ctx, pyoci_error_t **err)
{
  struct inspect_call *ic = ctx;
  if (inspect_ref(r, c, ref, ic->platform, ic->raw_only, ic->out, err) < 0)
    return -1;
  ic->out->repo = xasprintf("%s/%s", ref->domain, ref->path);
  return 0;
}

int pyoci_registry_inspect(const char *refstr, const pyoci_registry_opts_t *o, const char *platform, bool raw_only,
                           pyoci_remote_image_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  struct inspect_call ic = {.platform = platform, .raw_only = raw_only, .out = out};
  if (pyoci_reg_with_ref(refstr, o, "inspect docker://", inspect_on, &ic, err) < 0) {
    pyoci_remote_image_free(out);
    return -1;
  }
  return 0;
}

void pyoci_remote_image_free(pyoci_remote_image_t *r)
{
  free(r->manifest);
  free(r->media_type);
  free(r->config);
  free(r->repo);
  for (size_t i = 0; i < r->n_tags; i++)
    free(r->tags[i]);
  free(r->tags);
  free(r->layers);
  memset(r, 0, sizeof(*r));
}

static json_t *or_null(json_t *v)
{
  return v ? json_incref(v) : json_null();
}

char *pyoci_remote_image_json(const pyoci_remote_image_t *r)
{
  cleanup_json json_t *cfg = r->config ? json_loadb(r->config, r->config_len, 0, NULL) : NULL;
  json_t *cc = cfg ? json_object_get(cfg, "config") : NULL;
  json_t *tags = json_array(), *layers = json_array();
  for (size_t i = 0; i < r->n_tags; i++)
    json_array_append_new(tags, json_string(r->tags[i]));
  for (size_t i = 0; i < r->n_layers; i++)
    json_array_append_new(layers, json_string(r->layers[i]));
  cleanup_json json_t *o = json_object();
  json_object_set_new(o, "Name", json_string(r->repo ? r->repo : ""));
  json_object_set_new(o, "Digest", json_string(r->digest));
  json_object_set_new(o, "RepoTags", tags);
  json_object_set_new(o, "Created", or_null(cfg ? json_object_get(cfg, "created") : NULL));
  const char *dv = cfg ? pyoci_json_str(cfg, "docker_version") : NULL;
  json_object_set_new(o, "DockerVersion", json_string(dv ? dv : ""));
  json_object_set_new(o, "Labels", or_null(cc ? json_object_get(cc, "Labels") : NULL));
  json_object_set_new(o, "Architecture", or_null(cfg ? json_object_get(cfg, "architecture") : NULL));
  json_object_set_new(o, "Os", or_null(cfg ? json_object_get(cfg, "os") : NULL));
  json_object_set_new(o, "Layers", layers);
  json_object_set_new(o, "Env", or_null(cc ? json_object_get(cc, "Env") : NULL));
  return pyoci_json_dump_text(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
}
