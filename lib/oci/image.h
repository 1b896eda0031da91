/* An image as stored: manifest + config + layer descriptors, loaded and
 * checked together, and the one place that writes new images.
 *
 * The config blob's bytes are kept as-is (its digest is the Docker image ID),
 * so an image loaded from `docker save` and saved again keeps its ID. */
#ifndef PYOCI_OCI_IMAGE_H
#define PYOCI_OCI_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "store.h"

#define PYOCI_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define PYOCI_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define PYOCI_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define PYOCI_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define PYOCI_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define PYOCI_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define PYOCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define PYOCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define PYOCI_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define PYOCI_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define PYOCI_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Limits for hostile input. */
#define PYOCI_MAX_LAYERS 512
#define PYOCI_MAX_MANIFEST_SIZE (4u << 20)
#define PYOCI_MAX_CONFIG_SIZE (8u << 20)

typedef struct {
  char *media_type;
  char digest[PYOCI_DIGEST_LEN];
  int64_t size;
} pyoci_desc_t;

typedef struct {
  char manifest_digest[PYOCI_DIGEST_LEN];
  char *manifest_media_type;
  int64_t manifest_size;
  json_t *manifest;
  char config_digest[PYOCI_DIGEST_LEN]; /* = Docker image ID */
  json_t *config;
  size_t n_layers;
  pyoci_desc_t *layers;
  char (*diff_ids)[PYOCI_DIGEST_LEN]; /* n_layers entries, from config rootfs.diff_ids */
} pyoci_image_t;

/* Resolve ref (see pyoci_store_resolve) and load manifest + config, checking
 * digests, media types, the layer count against diff_ids, and limits.
 * OCI and Docker v2 schema 2 manifests are accepted.  When ref names an image
 * index / manifest list, the linux/<host arch> manifest is loaded and
 * manifest_digest is that manifest's digest (not the index's). */
int pyoci_image_load(pyoci_store_t *s, const char *ref, pyoci_image_t **out, pyoci_error_t **err);
int pyoci_image_load_digest(pyoci_store_t *s, const char *manifest_digest, pyoci_image_t **out,
                            pyoci_error_t **err);
void pyoci_image_free(pyoci_image_t *img);
#define cleanup_image __attribute__((cleanup(pyoci_image_freep)))
static inline void pyoci_image_freep(pyoci_image_t **p)
{
  pyoci_image_free(*p);
}

/* Layer media type -> compression: 0 none, 1 gzip, 2 zstd, -1 unknown. */
int pyoci_layer_media_compression(const char *media_type);
/* An image layer whose tar entries load, pull and copy check: every OCI and
 * Docker layer media type (non-distributable / foreign too), not an
 * encrypted one (unreadable without its key) nor an artifact's blob. */
bool pyoci_media_type_is_image_layer(const char *media_type);

/* The diff_id a door check should hold layer against (NULL: none needed or
 * none possible): none when the blob is the uncompressed layer and its
 * digest, verified as it entered, is already that diff_id; none for a
 * media type libarchive decompresses itself (the reader's check would need
 * a second pass; the first reader that fills a cache checks it). */
const char *pyoci_layer_diff_id_to_check(const char *media_type, const char *digest, const char *diff_id);

/* Chain IDs as Docker/OCI define them: chain[0] = diff_id[0],
 * chain[i] = sha256(chain[i-1] + " " + diff_id[i]). */
void pyoci_chain_id(const char (*diff_ids)[PYOCI_DIGEST_LEN], size_t n, char out[PYOCI_DIGEST_LEN]);

/* Write a new image: config (serialised canonically unless config_bytes is
 * given verbatim), an OCI manifest over `layers`, then tag it with each of
 * names (may be NULL/empty for untagged).  Blobs of layers must exist. */
int pyoci_image_commit(pyoci_store_t *s, const json_t *config, const char *config_bytes, size_t config_len,
                       const pyoci_desc_t *layers, size_t n_layers, const char *const *names,
                       char manifest_digest_out[PYOCI_DIGEST_LEN], pyoci_error_t **err);

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL (years up to 9999). */
#define PYOCI_TIME_LEN 32
void pyoci_time_rfc3339(time_t t, char out[PYOCI_TIME_LEN]);
/* SOURCE_DATE_EPOCH as the program handed it in (settings.h), when valid. */
bool pyoci_source_date_epoch(time_t *out);
/* "created" for something made now: SOURCE_DATE_EPOCH when set, else now. */
void pyoci_time_created(char out[PYOCI_TIME_LEN]);

/* This host's architecture in GOARCH terms ("amd64", "arm64", ...). */
const char *pyoci_host_arch(void);

/* A fresh config for a single-rootfs image: architecture/os of this host,
 * "created" from SOURCE_DATE_EPOCH when set (else now), empty Config. */
json_t *pyoci_config_new(void);
/* Append a layer's diff_id and a history entry; created_by may be NULL.
 * empty_layer history entries have no diff_id. */
/* created: an RFC 3339 time for the history entry, NULL = now (or
 * SOURCE_DATE_EPOCH). */
void pyoci_config_add_layer(json_t *config, const char *diff_id, const char *created_by, const char *created);
void pyoci_config_add_history(json_t *config, const char *created_by, int empty_layer, const char *created);

#endif
