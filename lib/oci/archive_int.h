/* Pieces shared by the archive readers and writers (not a public API). */
#ifndef PYOCI_OCI_ARCHIVE_INT_H
#define PYOCI_OCI_ARCHIVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/layer/layer.h"
#include "lib/util/error.h"
#include "lib/util/hash.h"
#include "archive.h"
#include "image.h"
#include "store.h"
#include "variant.h"

/* ---- deterministic tar writer (ustar; owner 0:0, no user names) ----
 * Names we write are short (< 100 bytes); sizes past ustar's 8 GiB use the
 * base-256 encoding Go's archive/tar (docker) and libarchive read. */
typedef struct pyoci_tarw pyoci_tarw_t;
pyoci_tarw_t *pyoci_tarw_new(int fd, const char *what);
void pyoci_tarw_free(pyoci_tarw_t *w);
int pyoci_tarw_dir(pyoci_tarw_t *w, const char *name, int64_t mtime, pyoci_error_t **err);
int pyoci_tarw_file(pyoci_tarw_t *w, const char *name, const void *data, size_t len, int64_t mtime,
                    pyoci_error_t **err);
/* A member streamed in pieces: begin with its exact size, write, end. */
int pyoci_tarw_begin(pyoci_tarw_t *w, const char *name, int64_t size, int64_t mtime, pyoci_error_t **err);
int pyoci_tarw_write(pyoci_tarw_t *w, const void *buf, size_t len, pyoci_error_t **err);
int pyoci_tarw_end(pyoci_tarw_t *w, pyoci_error_t **err);
/* The whole content of the member begun last: the first `size` bytes of fd
 * (as announced), copied in the kernel where it can be; digest gets their
 * SHA-256 (NULL: not hashed, for a blob whose stamp vouches for it). */
int pyoci_tarw_copy_fd(pyoci_tarw_t *w, int fd, char digest[PYOCI_DIGEST_LEN], pyoci_error_t **err);
/* End-of-archive blocks and flush. */
int pyoci_tarw_finish(pyoci_tarw_t *w, pyoci_error_t **err);
/* A pyoci_sink_fn over pyoci_tarw_write. */
int pyoci_tarw_sink(void *w, const void *buf, size_t len, pyoci_error_t **err);

/* ---- blob streaming ---- */
/* Compression of a stream by its first bytes (give 512 when available, so a
 * tar header is recognised): 0 none, 1 gzip, 2 zstd, 3 xz, 4 bzip2. */
/* Stream a store blob decompressed into sink (which may be NULL to only
 * measure); comp 0 = stored plain, >0 = compressed, <0 = sniff the magic.
 * Fills the uncompressed digest and size. */
int pyoci_blob_stream_uncompressed(pyoci_store_t *s, const char *digest, int comp, pyoci_sink_fn sink, void *ctx,
                                   char diff_id[PYOCI_DIGEST_LEN], int64_t *size_out, pyoci_error_t **err);
/* Copy a store blob as stored into the tar member begun last (of the same
 * size), checking that its content hashes to want (its digest, or the
 * diff_id of a plain layer). */
int pyoci_blob_copy_to_tar(pyoci_store_t *s, const char *digest, int64_t size, const char *want,
                           pyoci_tarw_t *w, pyoci_error_t **err);

/* ---- load: the spooled members of one archive ---- */
typedef struct {
  char *path;                    /* cleaned */
  char *link;                    /* symlink/hardlink target (cleaned, archive-relative) or NULL */
  char digest[PYOCI_DIGEST_LEN]; /* blob holding the content (regular files) */
  int64_t size;
  int comp;                      /* pyoci_codec_sniff of the first bytes (a pyoci_comp_t) */
} pyoci_member_t;

typedef struct {
  const char *what; /* archive name for messages */
  pyoci_member_t *v;
  size_t n, cap;
  bool sorted;
  /* small metadata files kept in memory */
  char *manifest_json;
  size_t manifest_json_len;
  char *index_json;
  size_t index_json_len;
  bool has_oci_layout;
} pyoci_members_t;

/* Find a regular-file member by path, following up to 8 links.  NULL + err
 * ("load 'x.tar': member 'a/layer.tar' is missing") when absent. */
const pyoci_member_t *pyoci_members_find(pyoci_members_t *m, const char *path, pyoci_error_t **err);
/* Member "blobs/sha256/<hex>" for a digest. */
const pyoci_member_t *pyoci_members_find_blob(pyoci_members_t *m, const char *digest, pyoci_error_t **err);

/* An image ready to be tagged: everything verified, blobs in the store. */
typedef struct {
  char manifest_digest[PYOCI_DIGEST_LEN]; /* empty: commit from config + layers */
  char *manifest_media_type;
  int64_t manifest_size;
  char config_digest[PYOCI_DIGEST_LEN];
  pyoci_desc_t *layers;
  size_t n_layers;
  char **names;
  size_t n_names;
} pyoci_pending_image_t;

void pyoci_pending_images_free(pyoci_pending_image_t *v, size_t n);

/* Verify the docker-archive images in m (manifest.json). */
int pyoci_docker_archive_plan(pyoci_store_t *s, pyoci_members_t *m, pyoci_pending_image_t **out, size_t *n,
                              pyoci_error_t **err);
/* Verify the OCI layout images in m (index.json). */
int pyoci_oci_archive_plan(pyoci_store_t *s, pyoci_members_t *m, pyoci_pending_image_t **out, size_t *n,
                           pyoci_error_t **err);

/* The same from config bytes already read (an OCI layout's, before import). */
int pyoci_config_parse_diff_ids(const char *buf, size_t len, const char *what, const char *member,
                                char (**diff_ids)[PYOCI_DIGEST_LEN], size_t *n, pyoci_error_t **err);
/* Read and check a config blob; returns its diff_ids (n entries). */
int pyoci_archive_read_config(pyoci_store_t *s, const char *what, const char *member, const char *digest,
                              char (**diff_ids)[PYOCI_DIGEST_LEN], size_t *n, pyoci_error_t **err);

/* ---- save ---- */
typedef struct {
  pyoci_image_t *img;
  char **names; /* familiar names to record (may be empty: saved by ID) */
  size_t n_names;
  int64_t mtime; /* config "created", or 0 */
} pyoci_save_item_t;

int pyoci_docker_archive_write(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, pyoci_tarw_t *w,
                               pyoci_error_t **err);
/* spec: the layers' compression (archive_convert.c); NULL = as stored. */
int pyoci_oci_archive_write(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, const pyoci_variant_spec_t *spec,
                            pyoci_tarw_t *w, pyoci_error_t **err);

/* ---- the format table (archive_formats.c) ---- */
typedef struct {
  const char *name; /* "docker-archive", "oci-archive" (for messages) */
  pyoci_archive_format_t fmt;
  bool compressed_layers; /* may hold compressed layers (save --compression) */
  /* How sure the spooled members are this format: 0 not at all; the
   * highest bid plans the load. */
  int (*bid)(const pyoci_members_t *m);
  /* Verify the archive's images against the spooled blobs. */
  int (*plan)(pyoci_store_t *s, pyoci_members_t *m, pyoci_pending_image_t **out, size_t *n, pyoci_error_t **err);
  /* Write items in this format; spec: layer compression, NULL as stored. */
  int (*write)(pyoci_store_t *s, pyoci_save_item_t *items, size_t n, const pyoci_variant_spec_t *spec,
               pyoci_tarw_t *w, pyoci_error_t **err);
} pyoci_archive_fmt_t;

/* The row for fmt (NULL for a value that is no format). */
const pyoci_archive_fmt_t *pyoci_archive_fmt_get(pyoci_archive_format_t fmt);
/* The row that bids highest for m, or NULL when none recognises it. */
const pyoci_archive_fmt_t *pyoci_archive_fmt_bid(const pyoci_members_t *m);

/* The manifest an export writes for an image (archive_convert.c). */
typedef struct {
  char digest[PYOCI_DIGEST_LEN];
  const char *media_type; /* static or the image's */
  int64_t size;
  char *bytes; /* the converted manifest, or NULL: the stored one as it is */
  size_t len;
  pyoci_desc_t *layers; /* the layer blobs to write */
  size_t n_layers;
} pyoci_export_manifest_t;
/* Get (make or reuse) every layer of img in spec's compression and the
 * manifest naming them; progress counts layers in *done of total. */
int pyoci_export_manifest(pyoci_store_t *s, const pyoci_image_t *img, const pyoci_variant_spec_t *spec,
                          size_t *done, size_t total, pyoci_export_manifest_t *out, pyoci_error_t **err);
void pyoci_export_manifest_free(pyoci_export_manifest_t *m);

#endif
