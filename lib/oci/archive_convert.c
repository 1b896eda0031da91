/* The manifest an oci-archive export writes when the layers are wanted in
 * another compression than they are stored in: the stored manifest with
 * each layer's mediaType, digest and size replaced by its variant's
 * (variant.c).  The config is untouched, so the image ID stays; a Docker v2
 * manifest becomes an OCI one (OCI media types throughout, as BuildKit's oci
 * exporter writes, and the only ones that can say zstd).  When nothing would
 * change, the stored manifest is used as it is. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/alloc.h"
#include "lib/util/json.h"
#include "lib/util/log.h"
#include "archive_int.h"

void pyoci_export_manifest_free(pyoci_export_manifest_t *m)
{
  if (m == NULL)
    return;
  for (size_t i = 0; i < m->n_layers; i++)
    free(m->layers[i].media_type);
  free(m->layers);
  free(m->bytes);
  memset(m, 0, sizeof(*m));
}

/* Set key to value when it differs; true when it did. */
static bool set_str(json_t *obj, const char *key, const char *value)
{
  const char *cur = pyoci_json_str(obj, key);
  if (cur != NULL && strcmp(cur, value) == 0)
    return false;
  json_object_set_new(obj, key, json_string(value));
  return true;
}

static bool set_layer(json_t *d, const pyoci_desc_t *v)
{
  bool changed = set_str(d, "mediaType", v->media_type);
  changed |= set_str(d, "digest", v->digest);
  if (pyoci_json_int(d, "size", -1) != v->size) {
    json_object_set_new(d, "size", json_integer(v->size));
    changed = true;
  }
  return changed;
}

int pyoci_export_manifest(pyoci_store_t *s, const pyoci_image_t *img, const pyoci_variant_spec_t *spec,
                          size_t *done, size_t total, pyoci_export_manifest_t *out, pyoci_error_t **err)
{
  memset(out, 0, sizeof(*out));
  out->layers = xcalloc(img->n_layers + 1, sizeof(*out->layers));
  cleanup_json json_t *m = json_deep_copy(img->manifest);
  json_t *layers = json_object_get(m, "layers");
  if (m == NULL || !json_is_array(layers) || json_array_size(layers) != img->n_layers) {
    pyoci_export_manifest_free(out);
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "save: manifest %s: bad \"layers\" list",
                                img->manifest_digest);
  }
  bool changed = false;
  for (size_t i = 0; i < img->n_layers; i++) {
    pyoci_progress("Compressing layers", *done, total, 0);
    pyoci_variant_origin_t origin;
    if (pyoci_variant_get(s, &img->layers[i], img->diff_ids[i], spec, &out->layers[i], &origin, err) < 0) {
      pyoci_export_manifest_free(out);
      return pyoci_error_prefix(err, "save");
    }
    out->n_layers = i + 1;
    (*done)++;
    if (origin == PYOCI_VARIANT_MADE)
      pyoci_log(PYOCI_LOG_DEBUG, "layer %s: made %s (%lld bytes)", img->diff_ids[i], out->layers[i].digest,
                (long long)out->layers[i].size);
    changed |= set_layer(json_array_get(layers, i), &out->layers[i]);
  }
  json_t *cfg = json_object_get(m, "config");
  const char *cfg_mt = pyoci_json_str(cfg, "mediaType");
  if (cfg_mt != NULL && strcmp(cfg_mt, PYOCI_MT_DOCKER_CONFIG) == 0)
    changed |= set_str(cfg, "mediaType", PYOCI_MT_OCI_CONFIG);
  if (strcmp(img->manifest_media_type, PYOCI_MT_OCI_MANIFEST) != 0 || pyoci_json_str(m, "mediaType") != NULL)
    changed |= set_str(m, "mediaType", PYOCI_MT_OCI_MANIFEST);
  if (!changed) {
    snprintf(out->digest, sizeof(out->digest), "%s", img->manifest_digest);
    out->size = img->manifest_size;
    out->media_type = img->manifest_media_type;
    return 0;
  }
  out->bytes = json_dumps(m, JSON_COMPACT);
  if (out->bytes == NULL) {
    pyoci_export_manifest_free(out);
    return pyoci_error_set(err, ENOMEM, "save %s", img->manifest_digest);
  }
  out->len = strlen(out->bytes);
  out->size = (int64_t)out->len;
  pyoci_sha256_buf(out->bytes, out->len, out->digest);
  out->media_type = PYOCI_MT_OCI_MANIFEST;
  return 0;
}
