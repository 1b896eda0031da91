/* Manifests and indexes from the wire: everything a registry serves is
 * checked before a byte of it is trusted (size, digest, media types,
 * descriptor fields, counts), and the platform of an index is chosen here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/oci/image.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "registry_int.h"

#define MT_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define MT_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

const char *const pyoci_reg_manifest_accept[] = {
    "Accept: " PYOCI_MT_OCI_MANIFEST ", " PYOCI_MT_OCI_INDEX ", " PYOCI_MT_DOCKER_MANIFEST ", " PYOCI_MT_DOCKER_LIST
    ", " MT_SCHEMA1_SIGNED ";q=0.1, " MT_SCHEMA1 ";q=0.1",
    NULL,
};

static int copy_field(char *dst, size_t cap, const char *v, const char *field, const char *what, pyoci_error_t **err)
{
  if (v == NULL) {
    dst[0] = '\0';
    return 0;
  }
  if (strlen(v) >= cap)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %s longer than %zu bytes", what, field, cap - 1);
  strcpy(dst, v);
  return 0;
}

static int parse_desc(const json_t *j, const char *what, pyoci_wire_desc_t *d, pyoci_error_t **err)
{
  memset(d, 0, sizeof(*d));
  if (!json_is_object(j))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: a descriptor is not an object", what);
  const char *mt = pyoci_json_str(j, "mediaType");
  const char *dg = pyoci_json_str(j, "digest");
  json_t *sz = json_object_get(j, "size");
  if (mt == NULL || dg == NULL || !json_is_integer(sz) || json_integer_value(sz) < 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: a descriptor lacks mediaType, digest or size", what);
  if (!pyoci_digest_valid(dg))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: unsupported or malformed digest '%.80s'", what, dg);
  strcpy(d->digest, dg);
  d->size = json_integer_value(sz);
  json_t *p = json_object_get(j, "platform");
  if (copy_field(d->media_type, sizeof(d->media_type), mt, "mediaType", what, err) < 0 ||
      copy_field(d->os, sizeof(d->os), pyoci_json_str(p, "os"), "platform os", what, err) < 0 ||
      copy_field(d->arch, sizeof(d->arch), pyoci_json_str(p, "architecture"), "platform architecture", what, err) <
          0 ||
      copy_field(d->variant, sizeof(d->variant), pyoci_json_str(p, "variant"), "platform variant", what, err) < 0)
    return -1;
  const char *at = pyoci_json_str(j, "artifactType");
  d->artifact_type = at ? xstrdup(at) : NULL;
  return 0;
}

static int parse_descs(const json_t *arr, size_t max, const char *field, const char *what, pyoci_wire_manifest_t *m,
                       pyoci_error_t **err)
{
  if (!json_is_array(arr))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: '%s' is not an array", what, field);
  size_t n = json_array_size(arr);
  if (n > max)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: %zu %s (the limit is %zu)", what, n, field, max);
  m->descs = xcalloc(n ? n : 1, sizeof(*m->descs));
  for (size_t i = 0; i < n; i++) {
    if (parse_desc(json_array_get(arr, i), what, &m->descs[i], err) < 0)
      return -1;
    m->n_descs++;
  }
  return 0;
}

static bool known_type(const char *mt, bool *is_index)
{
  *is_index = strcmp(mt, PYOCI_MT_OCI_INDEX) == 0 || strcmp(mt, PYOCI_MT_DOCKER_LIST) == 0;
  return *is_index || strcmp(mt, PYOCI_MT_OCI_MANIFEST) == 0 || strcmp(mt, PYOCI_MT_DOCKER_MANIFEST) == 0;
}

/* The media type: the body's, else the Content-Type without parameters. */
static char *pick_media_type(const json_t *j, const char *content_type)
{
  const char *mt = pyoci_json_str(j, "mediaType");
  if (mt != NULL)
    return xstrdup(mt);
  if (content_type == NULL)
    return NULL;
  size_t n = strcspn(content_type, "; ");
  return xstrndup(content_type, n);
}

static int parse_body(const json_t *j, const char *what, pyoci_wire_manifest_t *out, pyoci_error_t **err)
{
  if (out->is_index)
    return parse_descs(json_object_get(j, "manifests"), PYOCI_REGISTRY_MAX_INDEX_ENTRIES, "manifests", what, out, err);
  if (parse_desc(json_object_get(j, "config"), what, &out->config, err) < 0)
    return pyoci_error_prefix(err, "config");
  json_t *layers = json_object_get(j, "layers");
  if (layers == NULL && out->artifact_type != NULL)
    return 0; /* an artifact may carry no layers */
  return parse_descs(layers, PYOCI_MAX_LAYERS, "layers", what, out, err);
}

static int wire_parse(const char *buf, size_t len, const char *content_type, const char *what,
                      pyoci_wire_manifest_t *out, pyoci_error_t **err)
{
  if (len > PYOCI_REGISTRY_MAX_MANIFEST)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: manifest of %zu bytes is over the limit of %u", what,
                                len, PYOCI_REGISTRY_MAX_MANIFEST);
  cleanup_json json_t *j = pyoci_json_parse_object(buf, len, what, err);
  if (j == NULL)
    return -1;
  out->media_type = pick_media_type(j, content_type);
  if (pyoci_json_int(j, "schemaVersion", 2) == 1 ||
      (out->media_type && strncmp(out->media_type, MT_SCHEMA1, strlen(MT_SCHEMA1) - 5) == 0))
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0,
                                "%s: a Docker schema 1 manifest; pyoci reads schema 2 and OCI manifests only (push "
                                "the image again with a current docker)",
                                what);
  if (out->media_type == NULL)
    out->media_type = xstrdup(json_object_get(j, "manifests") ? PYOCI_MT_OCI_INDEX : PYOCI_MT_OCI_MANIFEST);
  if (!known_type(out->media_type, &out->is_index))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "%s: unsupported manifest media type '%.100s'", what,
                                out->media_type);
  const char *at = pyoci_json_str(j, "artifactType");
  out->artifact_type = at ? xstrdup(at) : NULL;
  json_t *subj = json_object_get(j, "subject");
  if (subj != NULL) {
    if (parse_desc(subj, what, &out->subject, err) < 0)
      return pyoci_error_prefix(err, "subject");
    out->has_subject = true;
  }
  return parse_body(j, what, out, err);
}

int pyoci_wire_manifest_parse(const char *buf, size_t len, const char *content_type, const char *what,
                              pyoci_wire_manifest_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  if (wire_parse(buf, len, content_type, what, out, err) == 0)
    return 0;
  pyoci_wire_manifest_free(out); /* nothing half-built goes back */
  return -1;
}

void pyoci_wire_manifest_free(pyoci_wire_manifest_t *m)
{
  for (size_t i = 0; i < m->n_descs; i++)
    free(m->descs[i].artifact_type);
  free(m->descs);
  free(m->config.artifact_type);
  free(m->subject.artifact_type);
  free(m->media_type);
  free(m->artifact_type);
  memset(m, 0, sizeof(*m));
}

static void list_platforms(const pyoci_wire_manifest_t *idx, strbuf_t *sb)
{
  for (size_t i = 0; i < idx->n_descs; i++) {
    const pyoci_wire_desc_t *d = &idx->descs[i];
    if (d->os[0] == '\0' || strcmp(d->os, "unknown") == 0)
      continue;
    strbuf_addf(sb, "%s%s/%s%s%s", sb->len ? ", " : "", d->os, d->arch, d->variant[0] ? "/" : "", d->variant);
  }
}

int pyoci_wire_pick_platform(const pyoci_wire_manifest_t *idx, const char *platform, const char *what,
                             size_t *which, pyoci_error_t **err)
{
  char os[32] = "linux", arch[32], variant[32] = "";
  snprintf(arch, sizeof(arch), "%s", pyoci_host_arch());
  if (platform != NULL && sscanf(platform, "%31[^/]/%31[^/]/%31s", os, arch, variant) < 2)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "platform '%s': expected os/arch[/variant]", platform);
  for (size_t i = 0; i < idx->n_descs; i++) {
    const pyoci_wire_desc_t *d = &idx->descs[i];
    if (strcmp(d->os, os) != 0 || strcmp(d->arch, arch) != 0)
      continue;
    if (variant[0] != '\0' && strcmp(d->variant, variant) != 0)
      continue;
    *which = i;
    return 0;
  }
  strbuf_t sb = STRBUF_INIT;
  list_platforms(idx, &sb);
  pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "%s: no manifest for %s/%s%s%s (the index has: %s)", what, os, arch,
                       variant[0] ? "/" : "", variant, sb.len ? sb.buf : "nothing runnable");
  strbuf_release(&sb);
  return -1;
}

/* "python:3.11" or "me/app@sha256:..." for messages, docker's familiar style. */
static char *manifest_what(const char *repo, const char *reference)
{
  const char *r = strncmp(repo, "library/", 8) == 0 ? repo + 8 : repo;
  char *s = NULL;
  s = xasprintf("%s%c%s", r, strncmp(reference, "sha256:", 7) == 0 ? '@' : ':', reference);
  return s;
}

static int verify_manifest_digest(const pyoci_http_resp_t *resp, const char *reference, const char *what,
                                  reg_manifest_t *out, pyoci_error_t **err)
{
  pyoci_sha256_buf(out->bytes, out->len, out->digest);
  const char *want = strncmp(reference, "sha256:", 7) == 0 ? reference : pyoci_http_header(resp, "docker-content-digest");
  if (want != NULL && strncmp(want, "sha256:", 7) == 0 && strcmp(want, out->digest) != 0)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: the registry said %.80s but the bytes hash to %s",
                                what, want, out->digest);
  return 0;
}

int pyoci_reg_fetch_manifest(reg_client_t *r, pyoci_http_conn_t *c, const char *repo, const char *reference,
                       reg_manifest_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  cleanup_free char *what = manifest_what(repo, reference);
  cleanup_free char *path = NULL, *scope = pyoci_reg_scope(repo, "pull");
  path = xasprintf("/v2/%s/manifests/%s", repo, reference);
  reg_req_t q = {.path = path, .scope = scope, .headers = pyoci_reg_manifest_accept, .body_fd = -1,
                 .max_bytes = PYOCI_REGISTRY_MAX_MANIFEST, .follow = true};
  pyoci_http_resp_t resp;
  int rc = pyoci_reg_do(r, c, &q, &resp, err);
  if (rc < 0)
    pyoci_error_prefix(err, "manifest %s", what);
  else if (resp.status != 200)
    rc = pyoci_reg_status_error(&resp, what, err);
  if (rc == 0) {
    out->bytes = steal_pointer(&resp.body);
    out->len = resp.body_len;
    rc = verify_manifest_digest(&resp, reference, what, out, err);
  }
  if (rc == 0)
    rc = pyoci_wire_manifest_parse(out->bytes, out->len, pyoci_http_header(&resp, "content-type"), what, &out->m, err);
  pyoci_http_resp_free(&resp);
  if (rc < 0)
    pyoci_reg_manifest_free(out);
  return rc;
}

void pyoci_reg_manifest_free(reg_manifest_t *m)
{
  free(m->bytes);
  pyoci_wire_manifest_free(&m->m);
  memset(m, 0, sizeof(*m));
}
