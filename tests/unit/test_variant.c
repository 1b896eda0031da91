/* Layer variants for exports: option parsing, converting a Docker v2 image's
 * manifest (docker media types become OCI ones, config untouched), the
 * diff_id check, records reused, and gc keeping variants only of live layers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/layer/decompress.h"
#include "lib/oci/archive_int.h"
#include "lib/oci/variant.h"
#include "lib/util/cleanup.h"
#include "lib/util/fs.h"
#include "lib/util/json.h"
#include "lib/util/strbuf.h"
#include "tap.h"

static bool parses(const char *algo, const char *level, pyoci_comp_t comp, int want_level)
{
  pyoci_variant_spec_t v;
  pyoci_error_t *err = NULL;
  bool r = pyoci_variant_spec_parse(algo, level, &v, &err) == 0 && v.comp == comp && v.level == want_level;
  pyoci_error_free(err);
  return r;
}

static bool refused(const char *algo, const char *level, const char *msg)
{
  pyoci_variant_spec_t v;
  pyoci_error_t *err = NULL;
  bool r = pyoci_variant_spec_parse(algo, level, &v, &err) < 0 && err != NULL && strstr(err->msg, msg) != NULL;
  if (!r && err)
    printf("# got: %s\n", err->msg);
  pyoci_error_free(err);
  return r;
}

static void test_parse(void)
{
  ok(parses("gzip", NULL, PYOCI_COMP_GZIP, 0), "gzip: default level");
  ok(parses("gzip", "12", PYOCI_COMP_GZIP, 12), "gzip:12 (libdeflate's top)");
  ok(parses("zstd", "19", PYOCI_COMP_ZSTD, 19), "zstd:19");
  ok(parses("uncompressed", NULL, PYOCI_COMP_NONE, 0), "uncompressed");
  ok(refused("lz4", NULL, "unknown compression 'lz4'"), "lz4 refused");
  ok(refused("gzip", "13", "gzip takes 1 to 12"), "gzip:13 refused");
  ok(refused("gzip", "0", "gzip takes 1 to 12"), "gzip:0 refused");
  ok(refused("zstd", "5x", "compression level '5x'"), "zstd:5x refused");
  ok(refused("gzip", "", "compression level ''"), "empty level refused");
  ok(refused("uncompressed", "1", "take no compression level"), "uncompressed takes no level");
}

static int buf_sink(void *ctx, const void *buf, size_t len, pyoci_error_t **err)
{
  (void)err;
  strbuf_add(ctx, buf, len);
  return 0;
}

static size_t count_files(const char *dir)
{
  cleanup_dir DIR *d = opendir(dir);
  size_t n = 0;
  struct dirent *de;
  while (d && (de = readdir(d)) != NULL)
    n += de->d_name[0] != '.';
  return n;
}

/* A Docker v2 image with one plain layer, as a registry would give it. */
static void put_docker_image(pyoci_store_t *s, const char *layer, char diff_id[PYOCI_DIGEST_LEN],
                             char manifest[PYOCI_DIGEST_LEN], char config[PYOCI_DIGEST_LEN])
{
  pyoci_error_t *err = NULL;
  pyoci_store_put_blob(s, layer, strlen(layer), diff_id, &err);
  cleanup_free char *cfg = NULL;
  if (asprintf(&cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
               diff_id) < 0)
    abort();
  pyoci_store_put_blob(s, cfg, strlen(cfg), config, &err);
  cleanup_free char *man = NULL;
  if (asprintf(&man,
               "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
               "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"k\":\"v\"}}]}",
               PYOCI_MT_DOCKER_MANIFEST, PYOCI_MT_DOCKER_CONFIG, config, strlen(cfg), PYOCI_MT_DOCKER_LAYER, diff_id,
               strlen(layer)) < 0)
    abort();
  pyoci_store_put_blob(s, man, strlen(man), manifest, &err);
  ok(err == NULL && pyoci_store_add_image(s, manifest, PYOCI_MT_DOCKER_MANIFEST, (int64_t)strlen(man), "dk:1", &err) == 0,
     "docker v2 image stored");
  pyoci_error_free(err);
}

static void test_convert(void)
{
  char tmpl[] = "/tmp/pyoci-variant-XXXXXX";
  char *dir = mkdtemp(tmpl);
  cleanup_free char *store = pyoci_path_join(dir, "store");
  pyoci_store_t *s = NULL;
  pyoci_error_t *err = NULL;
  ok(pyoci_store_open(store, &s, &err) == 0, "store");
  /* Compressible and over one gzip chunk (1 MiB): several members. */
  strbuf_t layer = STRBUF_INIT;
  for (int i = 0; layer.len < (3u << 20); i++)
    strbuf_addf(&layer, "line %d of a layer that is not a tar, which no variant code needs\n", i);
  char diff_id[PYOCI_DIGEST_LEN], manifest[PYOCI_DIGEST_LEN], config[PYOCI_DIGEST_LEN];
  put_docker_image(s, layer.buf, diff_id, manifest, config);

  pyoci_image_t *img = NULL;
  ok(pyoci_image_load(s, "dk:1", &img, &err) == 0, "image loads");
  pyoci_variant_spec_t zstd = {PYOCI_COMP_ZSTD, 0};
  pyoci_export_manifest_t m;
  size_t done = 0;
  ok(img && pyoci_export_manifest(s, img, &zstd, &done, 1, &m, &err) == 0, "export manifest (zstd)");
  is_int((int)done, 1, "one layer done");
  cleanup_json json_t *j = m.bytes ? pyoci_json_parse_object(m.bytes, m.len, "manifest", &err) : NULL;
  is_str(pyoci_json_str(j, "mediaType"), PYOCI_MT_OCI_MANIFEST, "docker manifest becomes an OCI one");
  json_t *c = json_object_get(j, "config");
  is_str(pyoci_json_str(c, "mediaType"), PYOCI_MT_OCI_CONFIG, "with an OCI config media type");
  is_str(pyoci_json_str(c, "digest"), config, "and the same config (image ID)");
  json_t *l = json_array_get(json_object_get(j, "layers"), 0);
  is_str(pyoci_json_str(l, "mediaType"), PYOCI_MT_OCI_LAYER_ZSTD, "layer +zstd");
  is_str(pyoci_json_str(l, "digest"), m.layers[0].digest, "names the variant blob");
  is_int((int)pyoci_json_int(l, "size", -1), (int)m.layers[0].size, "with its size");
  is_str(pyoci_json_str(json_object_get(l, "annotations"), "k"), "v", "layer annotations kept");
  char want[PYOCI_DIGEST_LEN];
  pyoci_sha256_buf(m.bytes ? m.bytes : "", m.len, want);
  is_str(m.digest, want, "manifest digest is its bytes' digest");
  ok(m.layers[0].size < (int64_t)layer.len / 4, "compressed well");

  /* The variant decompresses to the layer. */
  cleanup_close int fd = -1;
  int64_t size = 0;
  strbuf_t back = STRBUF_INIT;
  ok(pyoci_store_open_blob(s, m.layers[0].digest, &fd, &size, &err) == 0 &&
         pyoci_decompress_fd(fd, PYOCI_DECOMP_AUTO, "variant", buf_sink, &back, &err) == 0 && back.len == layer.len &&
         memcmp(back.buf, layer.buf, layer.len) == 0,
     "the zstd variant decompresses to the layer");
  strbuf_release(&back);

  /* Asked again: from the record, same blob. */
  pyoci_desc_t again = {0};
  pyoci_variant_origin_t origin = PYOCI_VARIANT_MADE;
  ok(pyoci_variant_get(s, &img->layers[0], diff_id, &zstd, &again, &origin, &err) == 0 &&
         origin == PYOCI_VARIANT_CACHED && strcmp(again.digest, m.layers[0].digest) == 0,
     "second request reuses the recorded variant");
  free(again.media_type);
  pyoci_variant_spec_t plain = {PYOCI_COMP_NONE, 0};
  ok(pyoci_variant_get(s, &img->layers[0], diff_id, &plain, &again, &origin, &err) == 0 &&
         origin == PYOCI_VARIANT_STORED && strcmp(again.media_type, PYOCI_MT_OCI_LAYER) == 0,
     "uncompressed: the plain layer as stored, with the OCI media type");
  free(again.media_type);

  /* The diff_id check: content that does not match leaves no blob. */
  cleanup_free char *blobs = pyoci_path_join(store, "blobs/sha256");
  size_t blobs_before = count_files(blobs);
  pyoci_variant_spec_t gz = {PYOCI_COMP_GZIP, 0};
  const char *wrong = "sha256:" "1111111111111111111111111111111111111111111111111111111111111111";
  ok(pyoci_variant_get(s, &img->layers[0], wrong, &gz, &again, &origin, &err) < 0 && err &&
         err->code == PYOCI_E_CORRUPT && strstr(err->msg, "not to its diff_id") != NULL,
     "content not matching the diff_id: PYOCI_E_CORRUPT");
  pyoci_error_release(&err);
  is_int((int)count_files(blobs), (int)blobs_before,
         "and no blob left");

  /* gc keeps the variant while its layer is used, not after. */
  ok(pyoci_store_gc(s, NULL, NULL, &err) == 0 && pyoci_store_has_blob(s, m.layers[0].digest),
     "gc keeps the variant of a live layer");
  ok(pyoci_store_remove_image(s, manifest, &err) == 0 && pyoci_store_gc(s, NULL, NULL, &err) == 0 &&
         !pyoci_store_has_blob(s, m.layers[0].digest),
     "and deletes it once no image uses the layer");
  ok(pyoci_variant_get(s, &img->layers[0], diff_id, &zstd, &again, &origin, &err) < 0,
     "asked again once both are gone: an error, nothing stale is used");
  pyoci_error_release(&err);

  pyoci_export_manifest_free(&m);
  pyoci_image_free(img);
  strbuf_release(&layer);
  pyoci_store_close(s);
  pyoci_rm_rf(dir, &err);
  pyoci_error_free(err);
}

int main(void)
{
  test_parse();
  test_convert();
  return done_testing();
}
