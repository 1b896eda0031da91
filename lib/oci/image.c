/* Images: loading a manifest + config from the store with every check a
 * hostile image needs, and writing new ones (config, OCI manifest, names). */
#include "image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "lib/layer/codec.h"
#include "lib/util/alloc.h"
#include "lib/util/settings.h"
#include "lib/util/cleanup.h"
#include "lib/util/json.h"
#include "store_int.h"

const char *pyoci_host_arch(void)
{
  static const struct {
    const char *machine, *goarch;
  } map[] = {
      {"x86_64", "amd64"}, {"amd64", "amd64"}, {"aarch64", "arm64"}, {"arm64", "arm64"}, {"i386", "386"},
      {"i486", "386"},     {"i586", "386"},    {"i686", "386"},      {"armv7l", "arm"},  {"armv6l", "arm"},
      {"ppc64le", "ppc64le"}, {"s390x", "s390x"}, {"riscv64", "riscv64"}, {"mips64", "mips64"},
  };
  static char other[65];
  struct utsname u;
  if (uname(&u) < 0)
    return "amd64";
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (strcmp(u.machine, map[i].machine) == 0)
      return map[i].goarch;
  snprintf(other, sizeof(other), "%s", u.machine);
  return other;
}

void pyoci_image_free(pyoci_image_t *img)
{
  if (img == NULL)
    return;
  free(img->manifest_media_type);
  json_decref(img->manifest);
  json_decref(img->config);
  for (size_t i = 0; i < img->n_layers; i++)
    free(img->layers[i].media_type);
  free(img->layers);
  free(img->diff_ids);
  free(img);
}

int pyoci_layer_media_compression(const char *mt)
{
  if (mt == NULL)
    return -1;
  size_t n = strlen(mt);
#define ENDS(suffix) (n >= strlen(suffix) && strcmp(mt + n - strlen(suffix), suffix) == 0)
  if (ENDS(".tar.gzip")) /* docker's schema 2 foreign layers */
    return PYOCI_COMP_GZIP;
  for (pyoci_comp_t c = PYOCI_COMP_NONE; c <= PYOCI_COMP_BZIP2; c++) {
    const char *suffix = pyoci_codec_get(c)->media_suffix;
    if (suffix != NULL && c != PYOCI_COMP_NONE && ENDS(suffix))
      return c;
  }
  if (ENDS(pyoci_codec_get(PYOCI_COMP_NONE)->media_suffix))
    return PYOCI_COMP_NONE;
#undef ENDS
  return -1;
}

const char *pyoci_layer_diff_id_to_check(const char *media_type, const char *digest, const char *diff_id)
{
  int comp = pyoci_layer_media_compression(media_type);
  if (diff_id == NULL || !pyoci_digest_valid(diff_id) || comp < 0 || !pyoci_codec_get((pyoci_comp_t)comp)->layers)
    return NULL;
  return strcmp(digest, diff_id) == 0 ? NULL : diff_id;
}

bool pyoci_media_type_is_image_layer(const char *mt)
{
  return mt != NULL &&
         (strncmp(mt, "application/vnd.oci.image.layer.", 32) == 0 ||
          strncmp(mt, "application/vnd.docker.image.rootfs.", 36) == 0) &&
         strstr(mt, "+encrypted") == NULL;
}

void pyoci_chain_id(const char (*diff_ids)[PYOCI_DIGEST_LEN], size_t n, char out[PYOCI_DIGEST_LEN])
{
  if (n == 0) {
    out[0] = '\0';
    return;
  }
  memcpy(out, diff_ids[0], PYOCI_DIGEST_LEN);
  for (size_t i = 1; i < n; i++) {
    char buf[2 * PYOCI_DIGEST_LEN + 1];
    int len = snprintf(buf, sizeof(buf), "%s %s", out, diff_ids[i]);
    pyoci_sha256_buf(buf, (size_t)len, out);
  }
}

/* ---- loading ---- */

static int bad(pyoci_error_t **err, const char *digest, const char *fmt, const char *detail)
{
  return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: %s%s%s", digest, fmt, detail ? ": " : "",
                              detail ? detail : "");
}

static int parse_desc(const json_t *j, pyoci_desc_t *d, int64_t max_size)
{
  const char *mt = pyoci_json_str(j, "mediaType");
  const char *dg = pyoci_json_str(j, "digest");
  json_int_t size = pyoci_json_int(j, "size", -1);
  if (!json_is_object(j) || mt == NULL || !pyoci_digest_valid(dg) || size < 0 || size > max_size)
    return -1;
  d->media_type = xstrdup(mt);
  memcpy(d->digest, dg, PYOCI_DIGEST_LEN);
  d->size = size;
  return 0;
}

/* From an image index, the manifest for linux/<host arch>. */
static int pick_platform(const json_t *idx, const char *digest, char out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  const char *arch = pyoci_host_arch();
  json_t *m = json_object_get(idx, "manifests");
  if (!json_is_array(m))
    return bad(err, digest, "image index without a \"manifests\" array", NULL);
  size_t i;
  json_t *e;
  json_array_foreach(m, i, e)
  {
    json_t *p = json_object_get(e, "platform");
    const char *os = pyoci_json_str(p, "os"), *a = pyoci_json_str(p, "architecture");
    const char *d = pyoci_json_str(e, "digest");
    if (os && a && strcmp(os, "linux") == 0 && strcmp(a, arch) == 0 && pyoci_digest_valid(d)) {
      memcpy(out, d, PYOCI_DIGEST_LEN);
      return 0;
    }
  }
  return pyoci_error_set_code(err, PYOCI_E_NOT_FOUND, 0, "image index %s has no linux/%s image", digest, arch);
}

static int load_config(pyoci_store_t *s, pyoci_image_t *img, const pyoci_desc_t *cfg, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, cfg->digest, PYOCI_MAX_CONFIG_SIZE, &buf, &len, err) < 0)
    return pyoci_error_prefix(err, "image config");
  if ((int64_t)len != cfg->size)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: config %s is %zu bytes, the manifest says %lld",
                                img->manifest_digest, cfg->digest, len, (long long)cfg->size);
  char what[PYOCI_DIGEST_LEN + 16];
  snprintf(what, sizeof(what), "config %s", cfg->digest);
  img->config = pyoci_json_parse_object(buf, len, what, err);
  if (img->config == NULL)
    return -1;
  json_t *ids = json_object_get(json_object_get(img->config, "rootfs"), "diff_ids");
  if (ids == NULL && img->n_layers == 0)
    return 0;
  if (!json_is_array(ids))
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "config %s: rootfs.diff_ids is not an array", cfg->digest);
  if (json_array_size(ids) != img->n_layers)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0,
                                "config %s: %zu diff_ids for %zu layers in manifest %s", cfg->digest,
                                json_array_size(ids), img->n_layers, img->manifest_digest);
  img->diff_ids = xcalloc(img->n_layers ? img->n_layers : 1, PYOCI_DIGEST_LEN);
  for (size_t i = 0; i < img->n_layers; i++) {
    const char *d = json_string_value(json_array_get(ids, i));
    if (!pyoci_digest_valid(d))
      return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "config %s: diff_id %zu is not a sha256 digest",
                                  cfg->digest, i);
    memcpy(img->diff_ids[i], d, PYOCI_DIGEST_LEN);
  }
  return 0;
}

static int load_manifest(pyoci_store_t *s, const char *digest, int depth, pyoci_image_t **out, pyoci_error_t **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (pyoci_store_read_blob(s, digest, PYOCI_MAX_MANIFEST_SIZE, &buf, &len, err) < 0)
    return -1;
  char what[PYOCI_DIGEST_LEN + 16];
  snprintf(what, sizeof(what), "manifest %s", digest);
  cleanup_json json_t *doc = pyoci_json_parse_object(buf, len, what, err);
  if (doc == NULL)
    return -1;
  if (pyoci_doc_is_index(doc, NULL)) {
    if (depth > 0)
      return bad(err, digest, "nested image index", NULL);
    char child[PYOCI_DIGEST_LEN];
    if (pick_platform(doc, digest, child, err) < 0)
      return -1;
    return load_manifest(s, child, depth + 1, out, err);
  }
  if (pyoci_json_int(doc, "schemaVersion", -1) != 2)
    return bad(err, digest, "schemaVersion is not 2", NULL);
  const char *mt = pyoci_json_str(doc, "mediaType");
  if (mt != NULL && strcmp(mt, PYOCI_MT_OCI_MANIFEST) != 0 && strcmp(mt, PYOCI_MT_DOCKER_MANIFEST) != 0)
    return bad(err, digest, "unsupported media type", mt);
  json_t *layers = json_object_get(doc, "layers");
  if (!json_is_array(layers))
    return bad(err, digest, "\"layers\" is not an array", NULL);
  if (json_array_size(layers) > PYOCI_MAX_LAYERS)
    return pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "manifest %s: %zu layers is over the limit of %d", digest,
                                json_array_size(layers), PYOCI_MAX_LAYERS);

  pyoci_image_t *img = xcalloc(1, sizeof(*img));
  cleanup_image pyoci_image_t *guard = img;
  memcpy(img->manifest_digest, digest, PYOCI_DIGEST_LEN);
  img->manifest_media_type = xstrdup(mt ? mt : PYOCI_MT_OCI_MANIFEST);
  img->manifest_size = (int64_t)len;
  pyoci_desc_t cfg = {0};
  if (parse_desc(json_object_get(doc, "config"), &cfg, PYOCI_MAX_CONFIG_SIZE) < 0)
    return bad(err, digest, "missing or invalid config descriptor", NULL);
  memcpy(img->config_digest, cfg.digest, PYOCI_DIGEST_LEN);
  size_t n = json_array_size(layers);
  img->layers = xcalloc(n ? n : 1, sizeof(*img->layers));
  if (img->layers == NULL) {
    free(cfg.media_type);
    return pyoci_error_set(err, ENOMEM, "load image");
  }
  for (size_t i = 0; i < n; i++, img->n_layers++) {
    if (parse_desc(json_array_get(layers, i), &img->layers[i], INT64_MAX) < 0) {
      free(cfg.media_type);
      char idx[32];
      snprintf(idx, sizeof(idx), "%zu", i);
      return bad(err, digest, "invalid layer descriptor", idx);
    }
  }
  img->manifest = steal_pointer(&doc);
  int r = load_config(s, img, &cfg, err);
  free(cfg.media_type);
  if (r < 0)
    return -1;
  *out = steal_pointer(&guard);
  return 0;
}

int pyoci_image_load_digest(pyoci_store_t *s, const char *manifest_digest, pyoci_image_t **out,
                            pyoci_error_t **err)
{
  return load_manifest(s, manifest_digest, 0, out, err);
}

int pyoci_image_load(pyoci_store_t *s, const char *ref, pyoci_image_t **out, pyoci_error_t **err)
{
  char digest[PYOCI_DIGEST_LEN];
  if (pyoci_store_resolve(s, ref, digest, err) < 0)
    return -1;
  if (pyoci_image_load_digest(s, digest, out, err) < 0)
    return pyoci_error_prefix(err, "image '%s'", ref);
  return 0;
}

/* ---- writing ---- */

/* Docker layer media types inside an OCI manifest would confuse readers. */
static const char *oci_layer_type(const char *mt)
{
  if (mt == NULL)
    return PYOCI_MT_OCI_LAYER_GZIP;
  if (strcmp(mt, PYOCI_MT_DOCKER_LAYER_GZIP) == 0)
    return PYOCI_MT_OCI_LAYER_GZIP;
  if (strcmp(mt, PYOCI_MT_DOCKER_LAYER) == 0)
    return PYOCI_MT_OCI_LAYER;
  return mt;
}

int pyoci_image_commit(pyoci_store_t *s, const json_t *config, const char *config_bytes, size_t config_len,
                       const pyoci_desc_t *layers, size_t n_layers, const char *const *names,
                       char manifest_digest_out[PYOCI_DIGEST_LEN], pyoci_error_t **err)
{
  cleanup_free char *own = NULL;
  cleanup_json json_t *parsed = NULL;
  if (config_bytes == NULL) {
    if (config == NULL)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "commit image: no config");
    own = pyoci_json_dump_canonical(config);
    config_bytes = own;
    config_len = strlen(own);
  } else {
    if ((parsed = pyoci_json_parse_object(config_bytes, config_len, "image config", err)) == NULL)
      return -1;
    config = parsed;
  }
  if (n_layers > PYOCI_MAX_LAYERS)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "commit image: %zu layers is over the limit of %d", n_layers,
                                PYOCI_MAX_LAYERS);
  json_t *ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
  if (json_array_size(ids) != n_layers)
    return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "commit image: config has %zu diff_ids for %zu layers",
                                json_array_size(ids), n_layers);
  cleanup_json json_t *jl = json_array();
  for (size_t i = 0; i < n_layers; i++) {
    int64_t size = 0;
    int fd = -1;
    if (pyoci_store_open_blob(s, layers[i].digest, &fd, &size, err) < 0)
      return pyoci_error_prefix(err, "commit image: layer %zu", i);
    close(fd);
    if (size != layers[i].size)
      return pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "commit image: layer %s is %lld bytes, not %lld",
                                  layers[i].digest, (long long)size, (long long)layers[i].size);
    json_array_append_new(jl, json_pack("{s:s, s:s, s:I}", "mediaType", oci_layer_type(layers[i].media_type),
                                        "digest", layers[i].digest, "size", (json_int_t)layers[i].size));
  }
  char config_digest[PYOCI_DIGEST_LEN];
  if (pyoci_store_put_blob(s, config_bytes, config_len, config_digest, err) < 0)
    return pyoci_error_prefix(err, "commit image config");
  cleanup_json json_t *m =
      json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType", PYOCI_MT_OCI_MANIFEST,
                "config", "mediaType", PYOCI_MT_OCI_CONFIG, "digest", config_digest, "size", (json_int_t)config_len,
                "layers", jl);
  cleanup_free char *mbytes = pyoci_json_dump_canonical(m);
  char mdigest[PYOCI_DIGEST_LEN];
  size_t mlen = strlen(mbytes);
  if (pyoci_store_put_blob(s, mbytes, mlen, mdigest, err) < 0)
    return pyoci_error_prefix(err, "commit image manifest");
  bool named = false;
  for (size_t i = 0; names != NULL && names[i] != NULL; i++) {
    if (pyoci_store_add_image(s, mdigest, PYOCI_MT_OCI_MANIFEST, (int64_t)mlen, names[i], err) < 0)
      return -1;
    named = true;
  }
  if (!named && pyoci_store_add_image(s, mdigest, PYOCI_MT_OCI_MANIFEST, (int64_t)mlen, NULL, err) < 0)
    return -1;
  if (manifest_digest_out)
    memcpy(manifest_digest_out, mdigest, PYOCI_DIGEST_LEN);
  return 0;
}

bool pyoci_source_date_epoch(time_t *out)
{
  int64_t v = pyoci_settings()->source_date_epoch;
  if (v < 0)
    return false;
  *out = (time_t)v;
  return true;
}

void pyoci_time_rfc3339(time_t t, char out[PYOCI_TIME_LEN])
{
  struct tm tm;
  gmtime_r(&t, &tm);
  if (strftime(out, PYOCI_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    snprintf(out, PYOCI_TIME_LEN, "1970-01-01T00:00:00Z");
}

/* RFC 3339 UTC, from SOURCE_DATE_EPOCH when it is a plain number. */
void pyoci_time_created(char out[PYOCI_TIME_LEN])
{
  time_t t;
  if (!pyoci_source_date_epoch(&t))
    t = time(NULL);
  pyoci_time_rfc3339(t, out);
}

static json_t *created_now(void)
{
  char buf[PYOCI_TIME_LEN];
  pyoci_time_created(buf);
  return json_string(buf);
}

json_t *pyoci_config_new(void)
{
  json_t *c = pyoci_xcheck(json_pack("{s:s, s:s, s:o, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", pyoci_host_arch(), "os",
                        "linux", "created", created_now(), "config", "rootfs", "type", "layers", "diff_ids",
                        "history"));
  return c;
}

void pyoci_config_add_history(json_t *config, const char *created_by, int empty_layer, const char *created)
{
  json_t *h = json_object();
  json_object_set_new(h, "created", created ? json_string(created) : created_now());
  if (created_by != NULL)
    json_object_set_new(h, "created_by", json_string(created_by));
  if (empty_layer)
    json_object_set_new(h, "empty_layer", json_true());
  json_array_append_new(pyoci_json_member_array(config, "history"), h);
}

void pyoci_config_add_layer(json_t *config, const char *diff_id, const char *created_by, const char *created)
{
  json_t *rootfs = json_object_get(config, "rootfs");
  if (!json_is_object(rootfs)) {
    rootfs = json_pack("{s:s}", "type", "layers");
    json_object_set_new(config, "rootfs", rootfs);
  }
  json_array_append_new(pyoci_json_member_array(rootfs, "diff_ids"), json_string(diff_id));
  pyoci_config_add_history(config, created_by, 0, created);
}
